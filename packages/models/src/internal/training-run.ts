/*
 * The trainer pipeline that `train` (GCN/MLP) and `trainSsl` share: split the runs (seeded, or a given split),
 * fit the min-max scaler on the training runs, run the epochs of seeded mini-batches of runs, and describe the
 * exported ONNX model in the sidecar. What differs between the two is only the step and what an epoch ends with.
 */
import { createHash } from 'node:crypto';
import { ProteusError, type Rng, throwIfAborted } from '@proteus-wf/core';
import {
  applyScaler,
  type FeatureSet,
  fitScaler,
  type JobSplit,
  type RunSplit,
  type Scaler,
  type SplitRatios,
  splitByJob,
  splitByRun,
} from '@proteus-wf/features';

/** Runs of each part of a split, by run id or trace file name. */
export interface GivenSplit {
  train: readonly string[];
  validation: readonly string[];
  test: readonly string[];
}

/** How to split: a given split by run, else seeded by run (or by job, the paper's transductive node level). */
export interface SplitChoice {
  seed: number;
  ratios: SplitRatios;
  split?: GivenSplit;
  byJob?: boolean;
}

/**
 * The split of a training run.
 * @throws ProteusError PROTEUS_MODELS_INVALID_SPLIT when a given split names an unknown run, a run twice, or misses one
 */
export function splitRuns(features: FeatureSet, choice: SplitChoice, where: string): RunSplit | JobSplit {
  if (choice.split) return givenSplit(features, choice.split, where, choice.seed);
  return choice.byJob
    ? splitByJob(features, { seed: choice.seed, ratios: choice.ratios })
    : splitByRun(features, { seed: choice.seed, ratios: choice.ratios });
}

/** Min-max scaler fitted on `runs` (the training runs, or every run under the paper's protocol) and the scaled values. */
export function scaleFeatures(features: FeatureSet, runs: readonly number[]): { scaler: Scaler; x: Float32Array } {
  const scaler = fitScaler(features, { kind: 'minmax', runs: [...runs] });
  return { scaler, x: applyScaler(features, scaler).values };
}

/** Options of {@link runEpochs}. */
export interface RunEpochsOptions<Losses extends { [name: string]: number }> {
  /** Scaled features `[runs, N, F]` row-major and the size of one run's block (N * F). */
  x: Float32Array;
  block: number;
  trainRuns: readonly number[];
  batchSize: number;
  epochs: number;
  /** Shuffles the training runs at the start of every epoch. */
  rng: Rng;
  where: string;
  signal?: AbortSignal;
  /** One training step on `batch` (the gathered `runs`, a reused buffer); returns the batch's mean losses. */
  step(batch: Float32Array, runs: readonly number[], at: { epoch: number; step: number }): Promise<Losses>;
  /** Called with the epoch's run-weighted mean losses; returns true to stop training. */
  endEpoch(epoch: number, means: Losses): Promise<boolean> | boolean;
}

/** The epoch loop: seeded shuffles of the training runs, batches of `batchSize` runs, one step each. */
export async function runEpochs<Losses extends { [name: string]: number }>(
  options: RunEpochsOptions<Losses>,
): Promise<void> {
  const { x, block, trainRuns, batchSize } = options;
  const steps = Math.ceil(trainRuns.length / batchSize);
  // One reused buffer for the training batches (the last, partial batch is a prefix view of it).
  const buffer = new Float32Array(Math.min(batchSize, trainRuns.length) * block);
  for (let epoch = 1; epoch <= options.epochs; epoch++) {
    const order = options.rng.shuffle(trainRuns);
    const sums: Record<string, number> = {};
    for (let step = 0; step < steps; step++) {
      throwIfAborted(options.signal, options.where);
      const runs = order.slice(step * batchSize, (step + 1) * batchSize);
      const batch = runs.length * block === buffer.length ? buffer : buffer.subarray(0, runs.length * block);
      runs.forEach((run, i) => {
        batch.set(x.subarray(run * block, (run + 1) * block), i * block);
      });
      const losses = await options.step(batch, runs, { epoch, step: step + 1 });
      for (const [name, value] of Object.entries(losses)) sums[name] = (sums[name] ?? 0) + value * runs.length;
    }
    const means = Object.fromEntries(
      Object.entries(sums).map(([name, sum]) => [name, sum / trainRuns.length]),
    ) as Losses;
    if (await options.endEpoch(epoch, means)) return;
  }
}

/** The sidecar's description of the exported ONNX file. */
export function describeOnnx<Output extends 'probabilities' | 'scores'>(
  onnx: Uint8Array,
  output: Output,
): { file: 'model.onnx'; sha256: string; input: 'x'; output: Output } {
  return { file: 'model.onnx', sha256: createHash('sha256').update(onnx).digest('hex'), input: 'x', output };
}

/** Run indices of a given split, checked: known runs, each in exactly one part. */
function givenSplit(features: FeatureSet, split: GivenSplit, where: string, seed: number): RunSplit {
  const index = new Map<string, number>();
  features.runs.forEach((run, i) => {
    index.set(run.runId, i);
    index.set(run.file, i);
    index.set(run.file.replace(/^.*[\\/]/, ''), i);
  });
  const problems: string[] = [];
  const partOf = new Map<number, string>();
  const parts = { train: [] as number[], validation: [] as number[], test: [] as number[] };
  for (const name of ['train', 'validation', 'test'] as const) {
    if (!Array.isArray(split[name])) {
      problems.push(`split.${name} must be an array of run ids or file names`);
      continue;
    }
    for (const id of split[name]) {
      const run = index.get(String(id));
      if (run === undefined) problems.push(`split.${name}: no run "${String(id)}" in ${features.workflow}`);
      else if (partOf.has(run)) problems.push(`split.${name}: run "${id}" is also in ${partOf.get(run)}`);
      else {
        partOf.set(run, name);
        parts[name].push(run);
      }
    }
  }
  const missing = features.runs.filter((_, i) => !partOf.has(i)).map((run) => run.runId);
  if (missing.length > 0) {
    problems.push(
      `${missing.length} run(s) in no part: ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', ...' : ''}`,
    );
  }
  if (problems.length > 0) {
    throw new ProteusError(
      'PROTEUS_MODELS_INVALID_SPLIT',
      `${where}: the given split does not fit the ${features.runs.length} runs of ${features.workflow}: ${problems[0]}${problems.length > 1 ? ` (and ${problems.length - 1} more problems)` : ''}. List every run id (or trace file name) in exactly one of train, validation, test.`,
      { details: { problems } },
    );
  }
  const ascending = (a: number, b: number) => a - b;
  const total = features.runs.length;
  return {
    kind: 'by-run',
    transductive: false,
    seed,
    train: parts.train.sort(ascending),
    validation: parts.validation.sort(ascending),
    test: parts.test.sort(ascending),
    ratios: {
      train: parts.train.length / total,
      validation: parts.validation.length / total,
      test: parts.test.length / total,
    },
  };
}
