/*
 * Train/validation/test splits. By run is the default (deployable detection never sees a test run's jobs in
 * training); by job reproduces the GNN paper's transductive node-level setting (WORKS 2022 §V-C, ml.md §1.5).
 */
import { createRng, ProteusError } from '@proteus-wf/core';

/** Fractions of the three parts; they must sum to 1. */
export interface SplitRatios {
  train: number;
  validation: number;
  test: number;
}

/** Anything with labelled runs: a `FlowBenchDataset` or a `FeatureSet`. */
export interface SplitSource {
  runs: readonly { label: string }[];
  jobsPerRun: number;
}

/** Options of both splits. */
export interface SplitOptions {
  /** Seed of `createRng`; default 0. */
  seed?: number;
  /** Default 0.6 / 0.2 / 0.2 (the GNN paper). */
  ratios?: SplitRatios;
}

/** Options of `splitByRun`. */
export interface SplitByRunOptions extends SplitOptions {
  /** Keep each run label's share in every part; default true. */
  stratify?: boolean;
}

/** Run indices of each part (ascending). No run is in two parts. */
export interface RunSplit {
  kind: 'by-run';
  transductive: false;
  seed: number;
  ratios: SplitRatios;
  train: number[];
  validation: number[];
  test: number[];
}

/** Flat job indices (`run * jobsPerRun + node`) of each part; jobs of one run land in different parts. */
export interface JobSplit {
  kind: 'by-job';
  /** Always true: test jobs' runs are seen in training. Only for reproducing the paper. */
  transductive: true;
  seed: number;
  ratios: SplitRatios;
  /** 0 = train, 1 = validation, 2 = test, per job. */
  assignment: Uint8Array;
  train: Uint32Array;
  validation: Uint32Array;
  test: Uint32Array;
}

const DEFAULT_RATIOS: SplitRatios = { train: 0.6, validation: 0.2, test: 0.2 };

/**
 * Splits runs into train/validation/test, seeded and stratified by run label. The default split of Proteus.
 *
 * @example
 * const split = splitByRun(features, { seed: 42 });
 * split.train.length + split.validation.length + split.test.length === features.runs.length; // true
 * @throws ProteusError PROTEUS_FEATURES_INVALID_OPTION for ratios that are negative or do not sum to 1, or a bad seed
 */
export function splitByRun(source: SplitSource, options: SplitByRunOptions = {}): RunSplit {
  const where = 'features/splitByRun';
  const ratios = checkRatios(options.ratios ?? DEFAULT_RATIOS, where);
  const seed = options.seed ?? 0;
  const rng = createRngChecked(seed, where);
  const groups = new Map<string, number[]>();
  source.runs.forEach((run, index) => {
    const key = options.stratify === false ? '' : run.label;
    const group = groups.get(key) ?? [];
    group.push(index);
    groups.set(key, group);
  });
  const train: number[] = [];
  const validation: number[] = [];
  const test: number[] = [];
  for (const key of [...groups.keys()].sort()) {
    const shuffled = rng.shuffle(groups.get(key) as number[]);
    const [nTrain, nValidation] = partSizes(shuffled.length, ratios);
    train.push(...shuffled.slice(0, nTrain));
    validation.push(...shuffled.slice(nTrain, nTrain + nValidation));
    test.push(...shuffled.slice(nTrain + nValidation));
  }
  const ascending = (a: number, b: number) => a - b;
  return {
    kind: 'by-run',
    transductive: false,
    seed,
    ratios,
    train: train.sort(ascending),
    validation: validation.sort(ascending),
    test: test.sort(ascending),
  };
}

/**
 * The paper's transductive split: every job of every run is assigned to train/validation/test at random (not
 * stratified, like the reference), so a run's jobs are spread over all parts. Flagged `transductive: true`.
 *
 * @example
 * const split = splitByJob(features, { seed: 0 });
 * split.transductive; // true
 * @throws ProteusError PROTEUS_FEATURES_INVALID_OPTION for bad ratios or seed
 */
export function splitByJob(source: SplitSource, options: SplitOptions = {}): JobSplit {
  const where = 'features/splitByJob';
  const ratios = checkRatios(options.ratios ?? DEFAULT_RATIOS, where);
  const seed = options.seed ?? 0;
  const rng = createRngChecked(seed, where);
  const total = source.runs.length * source.jobsPerRun;
  const order = new Uint32Array(total);
  for (let i = 0; i < total; i++) order[i] = i;
  for (let i = total - 1; i > 0; i--) {
    const j = rng.int(0, i);
    const tmp = order[i] as number;
    order[i] = order[j] as number;
    order[j] = tmp;
  }
  const [nTrain, nValidation] = partSizes(total, ratios);
  const assignment = new Uint8Array(total);
  for (let k = 0; k < total; k++) assignment[order[k] as number] = k < nTrain ? 0 : k < nTrain + nValidation ? 1 : 2;
  const part = (value: number) => {
    const out: number[] = [];
    for (let i = 0; i < total; i++) if (assignment[i] === value) out.push(i);
    return Uint32Array.from(out);
  };
  return {
    kind: 'by-job',
    transductive: true,
    seed,
    ratios,
    assignment,
    train: part(0),
    validation: part(1),
    test: part(2),
  };
}

function partSizes(n: number, ratios: SplitRatios): [number, number] {
  const nTrain = Math.round(n * ratios.train);
  const nValidation = Math.min(n - nTrain, Math.round(n * ratios.validation));
  return [nTrain, nValidation];
}

function checkRatios(ratios: SplitRatios, where: string): SplitRatios {
  const parts = [ratios?.train, ratios?.validation, ratios?.test];
  const valid =
    parts.every((p) => typeof p === 'number' && Number.isFinite(p) && p >= 0) &&
    Math.abs(parts.reduce((a: number, b) => a + (b as number), 0) - 1) < 1e-9;
  if (!valid) {
    throw new ProteusError(
      'PROTEUS_FEATURES_INVALID_OPTION',
      `${where}: ratios must be three non-negative numbers summing to 1, got ${JSON.stringify(ratios)}`,
    );
  }
  return { train: ratios.train, validation: ratios.validation, test: ratios.test };
}

function createRngChecked(seed: number, where: string) {
  if (!Number.isSafeInteger(seed)) {
    throw new ProteusError('PROTEUS_FEATURES_INVALID_OPTION', `${where}: seed must be an integer, got ${String(seed)}`);
  }
  return createRng(seed);
}
