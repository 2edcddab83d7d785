/* The runs acquired so far, one entry per run, and the batches the steps build from them. */
import type { LabelledRuns } from '../experiment-backend.js';
import { classIndex, type LearningTask } from '../learning-task.js';
import type { LearnerModel } from './learner-model.js';
import type { RunBatch } from './model-definitions.js';

/** Labelled runs in acquisition order. */
export interface LabelledSet {
  runIds: string[];
  labels: string[];
  durations: number[];
  x: Float32Array[];
  jobBinary: Uint8Array[];
  jobLabels: string[][];
  /** The learning task: batches then carry class targets (job or run classes) besides the binary job labels. */
  task?: LearningTask;
}

/** Runs scored or analyzed per model call. */
export const EVAL_BATCH = 32;

export function createLabelledSet(): LabelledSet {
  return { runIds: [], labels: [], durations: [], x: [], jobBinary: [], jobLabels: [] };
}

/** Appends a backend's runs; returns their indices in the set. */
export function appendRuns(set: LabelledSet, runs: LabelledRuns, nodes: number, features: number): number[] {
  return runs.runIds.map((id, r) => {
    set.runIds.push(id);
    set.labels.push(runs.labels[r] as string);
    set.durations.push(runs.durations[r] as number);
    set.x.push(runs.x.slice(r * nodes * features, (r + 1) * nodes * features));
    set.jobBinary.push(runs.jobBinary.slice(r * nodes, (r + 1) * nodes));
    set.jobLabels.push(runs.jobLabels.slice(r * nodes, (r + 1) * nodes));
    return set.runIds.length - 1;
  });
}

export function batchOf(set: LabelledSet, indices: readonly number[], nodes: number, features: number): RunBatch {
  const x = new Float32Array(indices.length * nodes * features);
  const jobBinary = new Uint8Array(indices.length * nodes);
  indices.forEach((run, k) => {
    x.set(set.x[run] as Float32Array, k * nodes * features);
    jobBinary.set(set.jobBinary[run] as Uint8Array, k * nodes);
  });
  const batch: RunBatch = { x, runs: indices.length, jobBinary };
  if (set.task) batch.classes = classesOf(set, indices, set.task);
  return batch;
}

/** Class targets of labelled runs under a task: one per run (graph level) or per job (node level). */
export function classesOf(set: LabelledSet, indices: readonly number[], task: LearningTask): Int32Array {
  if (task.level === 'graph') return Int32Array.from(indices, (run) => classIndex(task, set.labels[run] as string));
  return Int32Array.from(
    indices.flatMap((run) => (set.jobLabels[run] as string[]).map((label) => classIndex(task, label))),
  );
}

/**
 * `n / (K n_c)` per class over the labelled items (sklearn's "balanced", K = the classes present; 1 for a class not
 * seen yet), from each run's class targets; every weight 1 while fewer than two classes are present.
 */
export function balancedClassWeights(classes: readonly Int32Array[], count: number): number[] {
  const counts = new Array<number>(count).fill(0);
  let total = 0;
  for (const run of classes)
    for (const c of run) {
      counts[c] = (counts[c] as number) + 1;
      total++;
    }
  const present = counts.filter((n) => n > 0).length;
  if (present < 2) return new Array<number>(count).fill(1);
  return counts.map((n) => (n > 0 ? total / (present * n) : 1));
}

/** Job scores of `[runs, N, F]` features, in batches of {@link EVAL_BATCH} runs. */
export async function scoreRuns(
  model: LearnerModel,
  x: Float32Array,
  runs: number,
  nodes: number,
  features: number,
): Promise<Float32Array> {
  const scores = new Float32Array(runs * nodes);
  for (let start = 0; start < runs; start += EVAL_BATCH) {
    const count = Math.min(EVAL_BATCH, runs - start);
    const batch: RunBatch = {
      x: x.subarray(start * nodes * features, (start + count) * nodes * features),
      runs: count,
      jobBinary: new Uint8Array(count * nodes),
    };
    scores.set(await model.score(batch), start * nodes);
  }
  return scores;
}

/** `n / (2 n_c)` per class over the labelled jobs (1 and 1 while a class is missing). */
export function balancedWeights(jobBinary: readonly Uint8Array[]): [number, number] {
  let positives = 0;
  let total = 0;
  for (const run of jobBinary) {
    total += run.length;
    for (const b of run) if (b > 0) positives++;
  }
  const negatives = total - positives;
  return positives === 0 || negatives === 0 ? [1, 1] : [total / (2 * negatives), total / (2 * positives)];
}

/** Mean wall time per run label (the cost-aware strategies' expected runtime). */
export function meanDurations(set: LabelledSet): Record<string, number> {
  const sums = new Map<string, [number, number]>();
  set.labels.forEach((label, i) => {
    const s = sums.get(label) ?? [0, 0];
    s[0] += set.durations[i] as number;
    s[1]++;
    sums.set(label, s);
  });
  return Object.fromEntries([...sums].map(([label, [sum, count]]) => [label, sum / count]));
}
