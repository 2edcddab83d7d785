/* The evaluate step: test metrics on the held-out runs (never trained on), overall and per anomaly type. */
import { averagePrecision, precisionAtK, rocAuc } from '@proteus-wf/models';
import type { EvaluationSet, IterationMetrics } from '../../run-active-learning.js';
import { scoreRuns } from '../labelled-set.js';
import type { LearnerModel } from '../learner-model.js';

/** ROC-AUC, AP and P@k on the evaluation set; per anomaly type when it has job labels. */
export async function evaluateModel(
  model: LearnerModel,
  set: EvaluationSet,
  nodes: number,
  features: number,
): Promise<{ metrics: IterationMetrics; byAnomaly?: Record<string, IterationMetrics> }> {
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
