/*
 * Run-level anomaly scores from job-level ones: is this run anomalous? A run is anomalous when any of its jobs is
 * (Flow-Bench's graph label is the maximum over the run's job labels, ml.md §1.4), but a single job's score is noisy,
 * so the default is the mean of the run's k highest job scores.
 */
import { ProteusError } from '@proteus-wf/core';
import { checkFiniteScores, type NumericArray } from './validate.js';

/** How {@link aggregateJobScores} folds a run's job scores into one. */
export type JobScoreAggregate = 'top-k-mean' | 'max' | 'mean';

/** Options of {@link aggregateJobScores}. */
export interface AggregateJobScoresOptions {
  /** Default `top-k-mean`. */
  method?: JobScoreAggregate;
  /** Jobs averaged by `top-k-mean`; default `ceil(0.1 * jobsPerRun)` (at least 1). */
  k?: number;
}

/** The share of a run's jobs that `top-k-mean` averages by default. */
export const DEFAULT_TOP_K_SHARE = 0.1;

/**
 * One score per run from per-job scores laid out run-major (`scores[run * jobsPerRun + job]`); higher = more anomalous.
 * @example aggregateJobScores([0.1, 0.9, 0.2, 0.3, 0.1, 0.2], 3, { k: 1 }) // Float64Array [0.9, 0.3]
 * @throws ProteusError PROTEUS_MODELS_METRIC_LENGTH when the scores are empty or not a whole number of runs
 * @throws ProteusError PROTEUS_MODELS_METRIC_K for a `k` that is not an integer in 1..jobsPerRun
 * @throws ProteusError PROTEUS_MODELS_METRIC_NAN for a NaN or infinite score
 * @throws ProteusError PROTEUS_MODELS_INVALID_OPTION for an unknown `method` or a bad `jobsPerRun`
 */
export function aggregateJobScores(
  scores: NumericArray,
  jobsPerRun: number,
  options: AggregateJobScoresOptions = {},
): Float64Array {
  const where = 'models/aggregateJobScores';
  const method = options.method ?? 'top-k-mean';
  if (method !== 'top-k-mean' && method !== 'max' && method !== 'mean') {
    throw new ProteusError(
      'PROTEUS_MODELS_INVALID_OPTION',
      `${where}: method must be "top-k-mean", "max" or "mean", got ${JSON.stringify(method)}.`,
    );
  }
  if (!(Number.isInteger(jobsPerRun) && jobsPerRun >= 1)) {
    throw new ProteusError(
      'PROTEUS_MODELS_INVALID_OPTION',
      `${where}: jobsPerRun must be a positive integer, got ${String(jobsPerRun)}.`,
    );
  }
  if (scores.length === 0 || scores.length % jobsPerRun !== 0) {
    throw new ProteusError(
      'PROTEUS_MODELS_METRIC_LENGTH',
      `${where}: got ${scores.length} job scores, not a positive multiple of ${jobsPerRun} jobs per run. Pass every job of every run, run-major.`,
    );
  }
  const k = method === 'max' ? 1 : method === 'mean' ? jobsPerRun : (options.k ?? defaultTopK(jobsPerRun));
  if (!(Number.isInteger(k) && k >= 1 && k <= jobsPerRun)) {
    throw new ProteusError(
      'PROTEUS_MODELS_METRIC_K',
      `${where}: k must be an integer in 1..${jobsPerRun} (jobs per run), got ${String(k)}.`,
    );
  }
  checkFiniteScores('aggregateJobScores', scores);
  const runs = scores.length / jobsPerRun;
  const out = new Float64Array(runs);
  const run = new Float64Array(jobsPerRun);
  for (let r = 0; r < runs; r++) {
    for (let j = 0; j < jobsPerRun; j++) run[j] = scores[r * jobsPerRun + j] as number;
    if (k < jobsPerRun) run.sort();
    let sum = 0;
    for (let j = jobsPerRun - k; j < jobsPerRun; j++) sum += run[j] as number;
    out[r] = sum / k;
  }
  return out;
}

/** `top-k-mean`'s default k for runs of `jobsPerRun` jobs: ceil(0.1 * jobsPerRun), at least 1. */
export function defaultTopK(jobsPerRun: number): number {
  return Math.max(1, Math.ceil(DEFAULT_TOP_K_SHARE * jobsPerRun));
}

/**
 * Run labels from job labels (0/1, run-major): a run is anomalous (1) when any of its jobs is.
 * @example runLabelsFromJobs([0, 1, 0, 0, 0, 0], 3) // Uint8Array [1, 0]
 * @throws ProteusError PROTEUS_MODELS_METRIC_LENGTH when the labels are empty or not a whole number of runs
 */
export function runLabelsFromJobs(labels: NumericArray, jobsPerRun: number): Uint8Array {
  if (!(Number.isInteger(jobsPerRun) && jobsPerRun >= 1) || labels.length === 0 || labels.length % jobsPerRun !== 0) {
    throw new ProteusError(
      'PROTEUS_MODELS_METRIC_LENGTH',
      `models/runLabelsFromJobs: got ${labels.length} job labels, not a positive multiple of ${String(jobsPerRun)} jobs per run.`,
    );
  }
  const out = new Uint8Array(labels.length / jobsPerRun);
  for (let i = 0; i < labels.length; i++) if (labels[i] === 1) out[Math.floor(i / jobsPerRun)] = 1;
  return out;
}
