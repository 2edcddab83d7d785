/*
 * Did the injected anomalies change the runs at all? Before a learning curve means anything, the jobs labelled with
 * an anomaly must behave differently from the jobs labelled normal. This compares, per anomaly, each labelled job's
 * measured runtime with the same job's runtime in the runs where it was normal (ratio to that median), against the
 * normal-labelled jobs of the same anomalous runs (so a host-wide slowdown that hits every job of a run, as stressor
 * processes without cgroups do, counts as no effect). One-sided Mann-Whitney U test, normal approximation with tie
 * and continuity corrections, Holm-corrected over the anomalies tested.
 */
import { ProteusError } from '@proteus-wf/core';

/** One job of a traced run: which job of the DAG, its label and a measured quantity (runtime, CPU time...). */
export interface JobObservation {
  /** Run id; jobs of one run share it. */
  run: string;
  /** The job's name (the same job across runs: same work). */
  job: string;
  /** `normal` or an anomaly name. */
  label: string;
  /** What the trace measured for the job, e.g. its runtime in seconds. */
  value: number;
}

/** The measured effect of one anomaly. */
export interface AnomalyEffect {
  anomaly: string;
  /** Jobs labelled with the anomaly that had a normal reference. */
  anomalousJobs: number;
  /** Normal-labelled jobs of the same runs, compared against. */
  referenceJobs: number;
  /** Median of the anomalous jobs' value over their normal median (1 = no change). */
  medianRatio: number;
  /** Median ratio of the reference jobs. */
  referenceMedianRatio: number;
  /** One-sided p-value that the anomalous ratios are not larger (null when too few jobs to test). */
  pValue: number | null;
  /** `pValue` after Holm's correction for testing every anomaly at once (null when not tested). */
  adjustedPValue: number | null;
  /** True when `adjustedPValue < alpha`. */
  measurable: boolean;
}

/** What {@link assessAnomalyEffects} found. */
export interface AnomalyEffectAssessment {
  /** True when at least one anomaly changed its jobs measurably. */
  measurable: boolean;
  /** Anomalies whose jobs did not measurably differ from normal ones (or were too few to test). */
  unmeasurable: string[];
  effects: AnomalyEffect[];
  alpha: number;
  /** What was compared, in one sentence for reports. */
  method: string;
}

/** Options of {@link assessAnomalyEffects}. */
export interface AssessAnomalyEffectsOptions {
  /** Significance level of the one-sided test (default 0.05). */
  alpha?: number;
  /** Label of normal jobs (default `normal`). */
  normalLabel?: string;
  /** Fewest jobs per group to test at all (default 3). */
  minJobs?: number;
  /** Name of the measured quantity, for `method` (default `runtime`). */
  quantity?: string;
}

const DEFAULTS = { alpha: 0.05, normalLabel: 'normal', minJobs: 3, quantity: 'runtime' };

/**
 * Tests, per anomaly, whether its labelled jobs measurably differ from normal-labelled jobs of the same runs.
 * @example
 * const found = assessAnomalyEffects(jobs);
 * if (!found.measurable) console.warn(`no anomaly changed the runs: ${found.unmeasurable.join(', ')}`);
 * @throws ProteusError PROTEUS_AL_INVALID_OPTION for alpha outside (0, 1) or a non-finite or negative value
 */
export function assessAnomalyEffects(
  jobs: readonly JobObservation[],
  options: AssessAnomalyEffectsOptions = {},
): AnomalyEffectAssessment {
  const alpha = options.alpha ?? DEFAULTS.alpha;
  const normal = options.normalLabel ?? DEFAULTS.normalLabel;
  const minJobs = options.minJobs ?? DEFAULTS.minJobs;
  if (!(alpha > 0 && alpha < 1)) {
    throw new ProteusError(
      'PROTEUS_AL_INVALID_OPTION',
      `active-learner/assessAnomalyEffects: alpha must be in (0, 1) (got ${alpha})`,
    );
  }
  const bad = jobs.find((job) => !Number.isFinite(job.value) || job.value < 0);
  if (bad) {
    throw new ProteusError(
      'PROTEUS_AL_INVALID_OPTION',
      `active-learner/assessAnomalyEffects: job ${bad.job} of run ${bad.run} has value ${bad.value}; values must be finite and ≥ 0`,
    );
  }
  const normalMedian = new Map<string, number>();
  const byJob = new Map<string, number[]>();
  for (const job of jobs) {
    if (job.label !== normal) continue;
    const list = byJob.get(job.job) ?? [];
    list.push(job.value);
    byJob.set(job.job, list);
  }
  for (const [job, values] of byJob) normalMedian.set(job, median(values));
  const ratioOf = (job: JobObservation): number | undefined => {
    const reference = normalMedian.get(job.job);
    return reference !== undefined && reference > 0 ? job.value / reference : undefined;
  };

  const anomalies = [...new Set(jobs.map((job) => job.label).filter((label) => label !== normal))].sort();
  const effects = anomalies.map((anomaly): AnomalyEffect => {
    const runs = new Set(jobs.filter((job) => job.label === anomaly).map((job) => job.run));
    const anomalous = ratios(jobs.filter((job) => job.label === anomaly).map(ratioOf));
    const reference = ratios(jobs.filter((job) => job.label === normal && runs.has(job.run)).map(ratioOf));
    const pValue =
      anomalous.length >= minJobs && reference.length >= minJobs ? mannWhitneyGreater(anomalous, reference) : null;
    return {
      anomaly,
      anomalousJobs: anomalous.length,
      referenceJobs: reference.length,
      medianRatio: anomalous.length > 0 ? median(anomalous) : Number.NaN,
      referenceMedianRatio: reference.length > 0 ? median(reference) : Number.NaN,
      pValue,
      adjustedPValue: null,
      measurable: false,
    };
  });
  // Holm step-down: with several anomalies tested, one small p-value among them is expected by chance alone.
  const tested = effects.filter((effect) => effect.pValue !== null).sort((a, b) => (a.pValue ?? 1) - (b.pValue ?? 1));
  let running = 0;
  tested.forEach((effect, i) => {
    running = Math.max(running, Math.min(1, (effect.pValue as number) * (tested.length - i)));
    effect.adjustedPValue = running;
    effect.measurable = running < alpha;
  });
  const quantity = options.quantity ?? DEFAULTS.quantity;
  return {
    measurable: effects.some((effect) => effect.measurable),
    unmeasurable: effects.filter((effect) => !effect.measurable).map((effect) => effect.anomaly),
    effects,
    alpha,
    method: `each job's ${quantity} over its median in the runs where it was normal, anomalous jobs against the normal jobs of the same runs (one-sided Mann-Whitney U, Holm-corrected over the anomalies, alpha ${alpha})`,
  };
}

function ratios(values: Array<number | undefined>): number[] {
  return values.filter((value): value is number => value !== undefined);
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/**
 * One-sided p-value of the Mann-Whitney U test that `a` tends to be larger than `b` (normal approximation with
 * tie and continuity corrections).
 * @example mannWhitneyGreater([5, 6, 7, 8], [1, 2, 3, 4]) // ≈ 0.01
 */
export function mannWhitneyGreater(a: readonly number[], b: readonly number[]): number {
  const all = [...a.map((value) => ({ value, a: true })), ...b.map((value) => ({ value, a: false }))].sort(
    (x, y) => x.value - y.value,
  );
  const ranks = new Array<number>(all.length);
  let tieTerm = 0;
  for (let i = 0; i < all.length; ) {
    let j = i;
    while (j + 1 < all.length && (all[j + 1] as { value: number }).value === (all[i] as { value: number }).value) j++;
    const rank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) ranks[k] = rank;
    const ties = j - i + 1;
    tieTerm += ties ** 3 - ties;
    i = j + 1;
  }
  const n1 = a.length;
  const n2 = b.length;
  const n = n1 + n2;
  let rankSum = 0;
  all.forEach((entry, i) => {
    if (entry.a) rankSum += ranks[i] as number;
  });
  const u = rankSum - (n1 * (n1 + 1)) / 2;
  const mean = (n1 * n2) / 2;
  const variance = ((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1)));
  if (variance <= 0) return 1;
  const z = (u - mean - 0.5) / Math.sqrt(variance);
  return 1 - normalCdf(z);
}

/** Standard normal CDF (Abramowitz-Stegun 7.1.26 erf, |error| < 1.5e-7). */
function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const erf =
    1 -
    ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return z >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}

/**
 * Plain-language warnings for a report when anomalies did not measurably change the runs; empty when all did.
 * @example describeAnomalyEffects(assessAnomalyEffects(jobs), { isolation: 'process-group' })
 */
export function describeAnomalyEffects(
  assessment: AnomalyEffectAssessment,
  context: { isolation?: string; runs?: number } = {},
): string[] {
  const detail = (effect: AnomalyEffect) =>
    effect.pValue === null
      ? `${effect.anomaly} (too few jobs to test: ${effect.anomalousJobs} anomalous, ${effect.referenceJobs} normal)`
      : `${effect.anomaly} (median ${effect.medianRatio.toFixed(2)}× vs ${effect.referenceMedianRatio.toFixed(2)}× for the normal jobs of the same runs, p = ${effect.pValue.toFixed(2)}, ${(effect.adjustedPValue ?? 1).toFixed(2)} after Holm's correction)`;
  const missing = assessment.effects.filter((effect) => !effect.measurable);
  if (missing.length === 0) return [];
  const where = context.runs === undefined ? '' : ` in ${context.runs} runs`;
  const why =
    context.isolation !== undefined && context.isolation !== 'cgroup'
      ? ` The testbed ran with isolation "${context.isolation}": anomalies are stressor processes that load the whole host, so they slow every job of a run alike; run as root (cgroup isolation) on a quieter host.`
      : ' The host may be too loaded, or the anomalies too weak for this workflow; use stronger anomalies, more runs, or a quieter host.';
  if (!assessment.measurable) {
    return [
      `The injected anomalies did not measurably change the runs${where}: jobs labelled anomalous were not measurably slower than the normal jobs of the same runs: ${missing.map(detail).join('; ')}. A detector cannot learn labels the traces do not show, so the learning curves and the comparison of strategies below measure noise.${why}`,
    ];
  }
  return [
    `Some anomalies did not measurably change their jobs${where}: ${missing.map(detail).join('; ')}. Their labels are noise for the detector.${why}`,
  ];
}
