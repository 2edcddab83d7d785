/* The evaluate step: test metrics on the held-out runs (never trained on), overall and per anomaly type. */
import { averagePrecision, precisionAtK, rocAuc } from '@proteus-wf/models';
import { classIndex, type LearningTask, macroRocAuc } from '../../learning-task.js';
import type { EvaluationSet, IterationMetrics } from '../../run-active-learning.js';
import { EVAL_BATCH, scoreRuns } from '../labelled-set.js';
import type { LearnerModel } from '../learner-model.js';

/**
 * ROC-AUC, AP and P@k on the evaluation set; per anomaly type when it has job labels. Under a task other than job-level
 * binary, `rocAuc` is the task's metric (`LearningTask.metric`) and AP and P@k rank the items (runs at graph level) by
 * their anomaly score against the binary normal/anomalous labels.
 */
export async function evaluateModel(
  model: LearnerModel,
  set: EvaluationSet,
  nodes: number,
  features: number,
  task?: LearningTask,
): Promise<{ metrics: IterationMetrics; byAnomaly?: Record<string, IterationMetrics> }> {
  if (task) return { metrics: await evaluateTask(model, set, nodes, features, task) };
  const scores = await scoreRuns(model, set.x, set.runs, nodes, features);
  const metricsOf = (labels: Uint8Array, values: Float32Array): IterationMetrics => ({
    rocAuc: rocAuc(labels, values),
    averagePrecision: averagePrecision(labels, values),
    precisionAtK: precisionAtK(labels, values),
  });
  const metrics = metricsOf(set.jobBinary, scores);
  if (!set.jobLabels) return { metrics };
  const labels = set.jobLabels;
  const types = [...new Set(labels.filter((_, j) => set.jobBinary[j] === 1))].sort();
  const byAnomaly: Record<string, IterationMetrics> = {};
  for (const type of types) {
    const keep = labels.map((label, j) => set.jobBinary[j] === 0 || label === type);
    const count = keep.filter(Boolean).length;
    const binary = new Uint8Array(count);
    const values = new Float32Array(count);
    let i = 0;
    keep.forEach((kept, j) => {
      if (!kept) return;
      binary[i] = set.jobBinary[j] as number;
      values[i++] = scores[j] as number;
    });
    if (binary.includes(0)) byAnomaly[type] = metricsOf(binary, values);
  }
  return { metrics, byAnomaly };
}

async function evaluateTask(
  model: LearnerModel,
  set: EvaluationSet,
  nodes: number,
  features: number,
  task: LearningTask,
): Promise<IterationMetrics> {
  const graph = task.level === 'graph';
  const k = task.classes.length;
  const items = graph ? set.runs : set.runs * nodes;
  const scores = new Float32Array(items);
  const probabilities = new Float32Array(items * k);
  for (let start = 0; start < set.runs; start += EVAL_BATCH) {
    const count = Math.min(EVAL_BATCH, set.runs - start);
    const out = await model.predict({
      x: set.x.subarray(start * nodes * features, (start + count) * nodes * features),
      runs: count,
      jobBinary: new Uint8Array(count * nodes),
    });
    const per = graph ? 1 : nodes;
    for (let i = 0; i < count * per; i++) scores[start * per + i] = out.score[graph ? i * nodes : i] as number;
    probabilities.set(out.classProbabilities as Float32Array, start * per * k);
  }
  // A run without a label of its own (a live test set) carries the anomaly of its anomalous jobs.
  const runLabelOf = (r: number) => {
    for (let j = r * nodes; j < (r + 1) * nodes; j++)
      if (set.jobBinary[j] === 1) return set.jobLabels?.[j] ?? 'anomalous';
    return 'normal';
  };
  const labelOf = (i: number) =>
    graph
      ? (set.runLabels?.[i] ?? runLabelOf(i))
      : (set.jobLabels?.[i] ?? (set.jobBinary[i] === 1 ? 'anomalous' : 'normal'));
  const binary = Uint8Array.from({ length: items }, (_, i) => (labelOf(i) === 'normal' ? 0 : 1));
  const metric =
    task.labels === 'binary'
      ? rocAuc(binary, scores)
      : macroRocAuc(
          Int32Array.from({ length: items }, (_, i) => classIndex(task, labelOf(i))),
          probabilities,
          k,
        );
  return {
    rocAuc: metric,
    averagePrecision: averagePrecision(binary, scores),
    precisionAtK: precisionAtK(binary, scores),
  };
}
