/*
 * Feature scalers fitted on training data only (ml.md §7.3: every reference pipeline fits min-max on all runs and
 * all splits, which leaks test statistics into training).
 */
import { ProteusError } from '@proteus-wf/core';
import type { FeatureSet } from './extract-features.js';

/** `minmax`: (x - min) / (max - min); `standard`: (x - mean) / std (population std). */
export type ScalerKind = 'minmax' | 'standard';

/**
 * Per-feature statistics as plain JSON. `scaled = divisor === 0 ? 0 : (x - offset) / divisor`: a constant column
 * (divisor 0) maps to 0. Values outside the training range are not clipped.
 */
export interface Scaler {
  kind: ScalerKind;
  pipeline: string;
  pipelineVersion: number;
  featureNames: string[];
  /** min (minmax) or mean (standard) per feature. */
  offset: number[];
  /** max - min (minmax) or std (standard) per feature; 0 for a constant feature. */
  divisor: number[];
  /** How much data the statistics came from. */
  fittedOn: { runs: number; jobs: number };
}

/** Options of `fitScaler`: exactly one of `runs` (run indices, the default split) or `jobs` (flat job indices). */
export interface FitScalerOptions {
  kind?: ScalerKind;
  /** Training run indices (`splitByRun(...).train`). */
  runs?: readonly number[];
  /** Training job indices into `[runs * jobs]` (`splitByJob(...).train`, transductive). */
  jobs?: ArrayLike<number>;
}

const WHERE = 'features/fitScaler';

/**
 * Fits a min-max or standard scaler on the training runs (or training jobs) only; nothing else is read.
 *
 * @example
 * const split = splitByRun(features, { seed: 1 });
 * const scaler = fitScaler(features, { kind: 'minmax', runs: split.train });
 * JSON.stringify(scaler); // plain data
 * @throws ProteusError PROTEUS_FEATURES_INVALID_OPTION when neither or both of runs/jobs are given, an index is out of range, or the kind is unknown
 */
export function fitScaler(features: FeatureSet, options: FitScalerOptions): Scaler {
  const kind = options.kind ?? 'minmax';
  if (kind !== 'minmax' && kind !== 'standard') {
    throw new ProteusError(
      'PROTEUS_FEATURES_INVALID_OPTION',
      `${WHERE}: kind must be "minmax" or "standard", got ${JSON.stringify(kind)}`,
    );
  }
  if ((options.runs === undefined) === (options.jobs === undefined)) {
    throw new ProteusError(
      'PROTEUS_FEATURES_INVALID_OPTION',
      `${WHERE}: pass exactly one of { runs } (training run indices) or { jobs } (training job indices); to fit on everything pass every run index explicitly`,
    );
  }
  const jobsPerRun = features.jobsPerRun;
  const totalRows = features.runs.length * jobsPerRun;
  const rows =
    options.runs !== undefined
      ? rowsOfRuns(options.runs, features.runs.length, jobsPerRun)
      : checkedJobs(options.jobs as ArrayLike<number>, totalRows);
  if (rows.length === 0) {
    throw new ProteusError(
      'PROTEUS_FEATURES_INVALID_OPTION',
      `${WHERE}: no training data (empty ${options.runs ? 'runs' : 'jobs'})`,
    );
  }
  const width = features.featureNames.length;
  const values = features.values;
  const offset = new Array<number>(width).fill(0);
  const divisor = new Array<number>(width).fill(0);
  for (let f = 0; f < width; f++) {
    if (kind === 'minmax') {
      let min = Number.POSITIVE_INFINITY;
      let max = Number.NEGATIVE_INFINITY;
      for (let i = 0; i < rows.length; i++) {
        const x = values[(rows[i] as number) * width + f] as number;
        if (x < min) min = x;
        if (x > max) max = x;
      }
      offset[f] = min;
      divisor[f] = max - min;
    } else {
      let sum = 0;
      for (let i = 0; i < rows.length; i++) sum += values[(rows[i] as number) * width + f] as number;
      const mean = sum / rows.length;
      let squares = 0;
      for (let i = 0; i < rows.length; i++) {
        const d = (values[(rows[i] as number) * width + f] as number) - mean;
        squares += d * d;
      }
      offset[f] = mean;
      const std = Math.sqrt(squares / rows.length);
      divisor[f] = std > 1e-12 * Math.max(1, Math.abs(mean)) ? std : 0;
    }
  }
  return {
    kind,
    pipeline: features.pipeline,
    pipelineVersion: features.pipelineVersion,
    featureNames: features.featureNames.slice(),
    offset,
    divisor,
    fittedOn: {
      runs: options.runs
        ? new Set(options.runs).size
        : new Set(Array.from(rows, (r) => Math.floor(r / jobsPerRun))).size,
      jobs: rows.length,
    },
  };
}

/**
 * Scales a feature set with a fitted scaler (also one that went through JSON).
 * @example const scaled = applyScaler(features, JSON.parse(JSON.stringify(scaler)));
 * @throws ProteusError PROTEUS_FEATURES_SCALER_INVALID when the scaler is malformed or was fitted on other features
 */
export function applyScaler(features: FeatureSet, scaler: Scaler): FeatureSet {
  return { ...features, values: scaleValues(features, scaler) };
}

/** The scaled copy of `features.values`. */
export function scaleValues(features: FeatureSet, scaler: Scaler): Float32Array {
  checkScaler(features, scaler);
  const width = features.featureNames.length;
  const source = features.values;
  const out = new Float32Array(source.length);
  const inverse = scaler.divisor.map((d) => (d === 0 ? 0 : 1 / d));
  for (let i = 0; i < source.length; i += width) {
    for (let f = 0; f < width; f++) {
      out[i + f] = ((source[i + f] as number) - (scaler.offset[f] as number)) * (inverse[f] as number);
    }
  }
  return out;
}

function checkScaler(features: FeatureSet, scaler: Scaler): void {
  const where = 'features/applyScaler';
  const width = features.featureNames.length;
  const wellFormed =
    typeof scaler === 'object' &&
    scaler !== null &&
    (scaler.kind === 'minmax' || scaler.kind === 'standard') &&
    Array.isArray(scaler.featureNames) &&
    Array.isArray(scaler.offset) &&
    Array.isArray(scaler.divisor) &&
    scaler.offset.length === scaler.featureNames.length &&
    scaler.divisor.length === scaler.featureNames.length &&
    scaler.offset.every(Number.isFinite) &&
    scaler.divisor.every((d) => Number.isFinite(d) && d >= 0);
  if (!wellFormed) {
    throw new ProteusError(
      'PROTEUS_FEATURES_SCALER_INVALID',
      `${where}: not a scaler: expected { kind, featureNames, offset, divisor } with one finite number per feature (use fitScaler)`,
    );
  }
  const same =
    scaler.featureNames.length === width && scaler.featureNames.every((name, i) => name === features.featureNames[i]);
  if (!same) {
    throw new ProteusError(
      'PROTEUS_FEATURES_SCALER_INVALID',
      `${where}: the scaler was fitted on ${scaler.featureNames.length} features of pipeline "${scaler.pipeline}" v${scaler.pipelineVersion}, the feature set has ${width} of "${features.pipeline}" v${features.pipelineVersion}. Fit a scaler on this pipeline.`,
      { details: { scaler: scaler.featureNames, features: features.featureNames } },
    );
  }
}

function rowsOfRuns(runs: readonly number[], runCount: number, jobsPerRun: number): Int32Array {
  const unique = [...new Set(runs)];
  const rows = new Int32Array(unique.length * jobsPerRun);
  unique.forEach((run, k) => {
    if (!Number.isInteger(run) || run < 0 || run >= runCount) {
      throw new ProteusError(
        'PROTEUS_FEATURES_INVALID_OPTION',
        `${WHERE}: run index ${run} is out of range (0..${runCount - 1})`,
      );
    }
    for (let node = 0; node < jobsPerRun; node++) rows[k * jobsPerRun + node] = run * jobsPerRun + node;
  });
  return rows;
}

function checkedJobs(jobs: ArrayLike<number>, total: number): ArrayLike<number> {
  for (let i = 0; i < jobs.length; i++) {
    const job = jobs[i] as number;
    if (!Number.isInteger(job) || job < 0 || job >= total) {
      throw new ProteusError(
        'PROTEUS_FEATURES_INVALID_OPTION',
        `${WHERE}: job index ${job} is out of range (0..${total - 1})`,
      );
    }
  }
  return jobs;
}

/**
 * Per-job-type statistics as plain JSON: every job is standardized with the mean and std of its job type
 * (transformation) over the runs it was fitted on. Jobs of one type do the same work in every instance of a workflow
 * family, so a job type's statistics describe it whatever the DAG's size; a model trained on per-type scaled features
 * reads another instance's jobs on the same scale.
 */
export interface JobTypeScaler {
  kind: 'per-job-type';
  pipeline: string;
  pipelineVersion: number;
  featureNames: string[];
  /** Per job type: mean and std (population; 0 for a constant feature) of each feature. */
  types: Record<string, { offset: number[]; divisor: number[]; jobs: number }>;
  /**
   * Mean and std of each feature over every job fitted on, whatever its type: the statistics `unknownJobTypes:
   * 'global'` applies to a job type absent from `types`. Absent in scalers fitted before it existed.
   */
  global?: { offset: number[]; divisor: number[] };
  fittedOn: { runs: number; jobs: number };
}

/** Options of {@link fitJobTypeScaler}. */
export interface FitJobTypeScalerOptions {
  /** Run indices to fit on (training runs, or unlabelled runs of another instance). */
  runs: readonly number[];
}

/** Options of {@link applyJobTypeScaler}. */
export interface ApplyJobTypeScalerOptions {
  /**
   * Jobs whose type the scaler has no statistics for: `error` (default) throws PROTEUS_FEATURES_UNKNOWN_JOB_TYPE;
   * `zero` maps their features to 0 (the mean of a known type); `global` standardizes them with the statistics of
   * every job fitted on (`scaler.global`).
   */
  unknownJobTypes?: 'error' | 'zero' | 'global';
}

/**
 * Fits per-job-type standardization (mean, std per job type and feature) on the given runs only.
 * @example
 * const scaler = fitJobTypeScaler(features, { runs: splitByRun(features, { seed: 1 }).train });
 * const scaled = applyJobTypeScaler(features, scaler); // then train / score the scaled feature set
 * @throws ProteusError PROTEUS_FEATURES_INVALID_OPTION for no runs or a run index out of range
 */
export function fitJobTypeScaler(features: FeatureSet, options: FitJobTypeScalerOptions): JobTypeScaler {
  const where = 'features/fitJobTypeScaler';
  const runs = [...new Set(options.runs)];
  if (runs.length === 0) throw new ProteusError('PROTEUS_FEATURES_INVALID_OPTION', `${where}: no runs to fit on`);
  const rows = rowsOfRuns(runs, features.runs.length, features.jobsPerRun);
  const width = features.featureNames.length;
  const typeOf = jobTypesOf(features);
  const sums = new Map<string, { n: number; sum: Float64Array; squares: Float64Array }>();
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i] as number;
    const type = typeOf[row % features.jobsPerRun] as string;
    let acc = sums.get(type);
    if (!acc) {
      acc = { n: 0, sum: new Float64Array(width), squares: new Float64Array(width) };
      sums.set(type, acc);
    }
    acc.n++;
    for (let f = 0; f < width; f++) {
      const x = features.values[row * width + f] as number;
      acc.sum[f] = (acc.sum[f] as number) + x;
      acc.squares[f] = (acc.squares[f] as number) + x * x;
    }
  }
  const statistics = (acc: { n: number; sum: Float64Array; squares: Float64Array }) => {
    const offset = Array.from(acc.sum, (s) => s / acc.n);
    const divisor = offset.map((mean, f) => {
      const std = Math.sqrt(Math.max(0, (acc.squares[f] as number) / acc.n - mean * mean));
      return std > 1e-6 * Math.max(1, Math.abs(mean)) ? std : 0;
    });
    return { offset, divisor };
  };
  const types: JobTypeScaler['types'] = {};
  const pooled = { n: 0, sum: new Float64Array(width), squares: new Float64Array(width) };
  for (const [type, acc] of [...sums].sort(([a], [b]) => a.localeCompare(b))) {
    types[type] = { ...statistics(acc), jobs: acc.n };
    pooled.n += acc.n;
    for (let f = 0; f < width; f++) {
      pooled.sum[f] = (pooled.sum[f] as number) + (acc.sum[f] as number);
      pooled.squares[f] = (pooled.squares[f] as number) + (acc.squares[f] as number);
    }
  }
  return {
    kind: 'per-job-type',
    pipeline: features.pipeline,
    pipelineVersion: features.pipelineVersion,
    featureNames: features.featureNames.slice(),
    types,
    global: statistics(pooled),
    fittedOn: { runs: runs.length, jobs: rows.length },
  };
}

/**
 * Standardizes every job's features with its job type's statistics (a copy; `features` is unchanged).
 * @example const scaled = applyJobTypeScaler(otherInstance, fitJobTypeScaler(otherInstance, { runs: calibration }));
 * @throws ProteusError PROTEUS_FEATURES_SCALER_INVALID when the scaler was fitted on other features
 * @throws ProteusError PROTEUS_FEATURES_UNKNOWN_JOB_TYPE for a job type the scaler never saw (unless `zero`)
 */
export function applyJobTypeScaler(
  features: FeatureSet,
  scaler: JobTypeScaler,
  options: ApplyJobTypeScalerOptions = {},
): FeatureSet {
  const where = 'features/applyJobTypeScaler';
  const width = features.featureNames.length;
  if (
    scaler?.kind !== 'per-job-type' ||
    scaler.featureNames.length !== width ||
    scaler.featureNames.some((name, i) => name !== features.featureNames[i])
  ) {
    throw new ProteusError(
      'PROTEUS_FEATURES_SCALER_INVALID',
      `${where}: the scaler is not a per-job-type scaler of this feature set's ${width} features (pipeline "${features.pipeline}"). Fit one with fitJobTypeScaler on this pipeline.`,
    );
  }
  const typeOf = jobTypesOf(features);
  const unknown = [...new Set(typeOf.filter((type) => scaler.types[type] === undefined))];
  const fallback = options.unknownJobTypes ?? 'error';
  if (unknown.length > 0 && (fallback === 'error' || (fallback === 'global' && !scaler.global))) {
    throw new ProteusError(
      'PROTEUS_FEATURES_UNKNOWN_JOB_TYPE',
      fallback === 'global'
        ? `${where}: job type(s) ${unknown.join(', ')} of "${features.workflow}" have no statistics in the scaler, and it has no global statistics to fall back to (fitted before they existed). Fit the scaler again with fitJobTypeScaler.`
        : `${where}: job type(s) ${unknown.join(', ')} of "${features.workflow}" have no statistics in the scaler (it knows ${Object.keys(scaler.types).join(', ')}). Fit the scaler on runs of this workflow, or pass { unknownJobTypes: 'global' } or { unknownJobTypes: 'zero' }.`,
      { details: { unknown } },
    );
  }
  const perNode = typeOf.map((type) => {
    const stats = scaler.types[type] ?? (fallback === 'global' ? scaler.global : undefined);
    return stats ? { offset: stats.offset, inverse: stats.divisor.map((d) => (d === 0 ? 0 : 1 / d)) } : null;
  });
  const out = new Float32Array(features.values.length);
  for (let row = 0; row < features.values.length / width; row++) {
    const stats = perNode[row % features.jobsPerRun];
    if (!stats) continue;
    for (let f = 0; f < width; f++) {
      const i = row * width + f;
      out[i] = ((features.values[i] as number) - (stats.offset[f] as number)) * (stats.inverse[f] as number);
    }
  }
  return { ...features, values: out };
}

/**
 * Standardizes every job against the jobs of its job type in the same run: `(x - mean) / std` over that run's jobs of
 * the type (population std; 0 where the type has one job in the run or the feature is constant there). Needs no
 * training statistics, so it reads every instance of a workflow family the same way, whatever the work per job; it
 * removes what all jobs of a type share in a run (a run-wide shift), keeping how a job differs from its siblings.
 * @example const scaled = standardizeJobTypesPerRun(features); // same shape, a copy
 */
export function standardizeJobTypesPerRun(features: FeatureSet): FeatureSet {
  const width = features.featureNames.length;
  const n = features.jobsPerRun;
  const groups = new Map<string, number[]>();
  jobTypesOf(features).forEach((type, node) => {
    groups.set(type, [...(groups.get(type) ?? []), node]);
  });
  const out = new Float32Array(features.values.length);
  const source = features.values;
  for (let run = 0; run < features.runs.length; run++) {
    for (const nodes of groups.values()) {
      if (nodes.length < 2) continue;
      for (let f = 0; f < width; f++) {
        let sum = 0;
        for (const node of nodes) sum += source[(run * n + node) * width + f] as number;
        const mean = sum / nodes.length;
        let squares = 0;
        for (const node of nodes) {
          const d = (source[(run * n + node) * width + f] as number) - mean;
          squares += d * d;
        }
        const std = Math.sqrt(squares / nodes.length);
        const inverse = std > 1e-6 * Math.max(1, Math.abs(mean)) ? 1 / std : 0;
        for (const node of nodes) {
          const i = (run * n + node) * width + f;
          out[i] = ((source[i] as number) - mean) * inverse;
        }
      }
    }
  }
  return { ...features, values: out };
}

/** Each node's job type (its transformation), in node-index order. */
function jobTypesOf(features: FeatureSet): string[] {
  return features.graph.jobs().map((job) => job.transformation);
}
