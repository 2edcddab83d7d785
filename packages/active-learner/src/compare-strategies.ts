/*
 * Metrics that count experiments, paired by seed (same split and initialisation for every strategy): runs and
 * testbed-seconds to a target ROC-AUC (the full-pool model's minus a gap), AULC over the first runs, the worst seed,
 * the iteration-to-iteration swing, and where the stopping rule stopped; and the comparison of a strategy with a
 * baseline as means with 95% t-intervals over the per-seed ratios and gains. One summary for the emulation
 * (`scripts/evaluate-active-learning.mjs`), the live benchmark (`scripts/evaluate-al-live.mjs`) and the live lab.
 *
 * Censoring: a seed that never reaches the target within its budget has no runs to target. By default it leaves the
 * ratios (`censoring: 'exclude'`); with `censoring: { extraRuns }` it counts as its last point plus `extraRuns` runs
 * (its testbed-seconds extrapolated at its mean seconds per run), flagged `censored`: a lower bound on what it needed.
 */
import { ProteusError } from '@proteus-wf/core';
import type { ActiveLearningResult } from './run-active-learning.js';
import { areaUnderLearningCurve } from './summarize-learning-curves.js';

/** One seed's learning curve as the comparison reads it. */
export interface SeedCurve {
  seed: number;
  /** Per iteration: runs labelled so far, their testbed-seconds so far, and the test ROC-AUC then. */
  points: { runs: number; seconds: number; rocAuc: number }[];
  /** Where the stopping rule stopped (absent when it never did: the curve's end counts). */
  stopped?: { runs: number };
}

/** A mean with the per-seed values (null: the seed never reached the target within its budget and is not censored). */
export interface PerSeed {
  /** Mean over the seeds that have a value (reached or censored); null when none has. */
  mean: number | null;
  perSeed: (number | null)[];
  /** Seeds that reached it. */
  reached: number;
  /** Seeds that never reached it and count at the censoring value instead (0 unless `censoring` is set). */
  censored: number;
}

/** Where a seed first reached its target, or its censored stand-in. */
export interface TargetReach {
  runs: number;
  seconds: number;
  /** True when the seed never reached the target and this is its last point plus the censoring's extra runs. */
  censored: boolean;
}

/** One strategy's experiment-counting metrics over its seeds. */
export interface StrategyMetrics {
  strategy: string;
  seeds: number[];
  /** Labelled runs when the test ROC-AUC first reached the target. */
  runsToTarget: PerSeed;
  /** Testbed-seconds (sum of the runs' wall times) when the target was first reached. */
  secondsToTarget: PerSeed;
  /** Area under ROC-AUC vs runs up to `aulcRuns` runs, divided by the run range; mean over seeds. */
  aulc: { mean: number; perSeed: number[]; runs: number };
  /** The lowest final ROC-AUC over the seeds. */
  worstSeedRocAuc: number;
  /** Mean absolute change of ROC-AUC from one iteration to the next, mean over seeds. */
  swing: number;
  /**
   * Where the stopping rule stopped (the curve's end for a seed where it never fired): runs and ROC-AUC then, means
   * over seeds; `fired` seeds where the rule fired, `atTarget` seeds at or above their target then.
   */
  stopped: {
    runs: number;
    rocAuc: number;
    fired: number;
    atTarget: number;
    perSeed: { runs: number; rocAuc: number }[];
  };
}

/** A mean and its 95% t-interval over seeds (null when fewer than two seeds give a value). */
export interface MeanInterval {
  mean: number | null;
  ci95: [number, number] | null;
  /** Seeds the value was computed on. */
  seeds: number;
}

/** A strategy against a baseline, paired by seed. */
export interface PairedComparison {
  strategy: string;
  baseline: string;
  /** Per seed: the strategy's runs to target over the baseline's (seeds where both reached it). */
  runsToTargetRatio: MeanInterval;
  /** Per seed: testbed-seconds to target over the baseline's. */
  secondsToTargetRatio: MeanInterval;
  /** Per seed: (AULC - baseline AULC) / baseline AULC. */
  aulcGain: MeanInterval;
}

/** Options of the summaries. */
export interface ComparisonOptions {
  /** Target ROC-AUC: the full-pool model's test ROC-AUC minus the target gap. */
  target: number;
  /** A target per seed (each seed's own full-pool model), overriding `target` for the seeds it names. */
  targetBySeed?: Readonly<Record<number, number>>;
  /** AULC over the first this many runs (default 16). */
  aulcRuns?: number;
  /**
   * A seed that never reached the target: `exclude` (default) leaves it out of runs/seconds to target and of the
   * ratios; `{ extraRuns }` counts it at its last point plus `extraRuns` runs (e.g. one more batch), censored.
   */
  censoring?: 'exclude' | { extraRuns: number };
  /**
   * How the per-seed ratios are averaged: `arithmetic` (default), or `geometric` (mean and t-interval of the log
   * ratios, exponentiated; symmetric in strategy and baseline, the live benchmark's choice).
   */
  ratioMean?: 'arithmetic' | 'geometric';
}

const WHERE = 'active-learner/compareStrategies';

/**
 * The curve of one `runActiveLearning` result (it needs test metrics).
 * @example const curve = seedCurveOf(await runActiveLearning({ backend, evaluation: backend.testSet() }));
 * @throws ProteusError PROTEUS_AL_INVALID_OPTION when an iteration has no test metrics
 */
export function seedCurveOf(result: ActiveLearningResult): SeedCurve {
  const points = result.iterations.map((it) => {
    if (!it.metrics)
      throw new ProteusError(
        'PROTEUS_AL_INVALID_OPTION',
        `${WHERE}: seed ${result.seed} iteration ${it.iteration} has no test metrics; pass an evaluation set`,
      );
    return { runs: it.samples, seconds: it.testbedSeconds ?? 0, rocAuc: it.metrics.rocAuc };
  });
  return { seed: result.seed, points, ...(result.stopAt ? { stopped: { runs: result.stopAt.samples } } : {}) };
}

function targetOf(curve: SeedCurve, options: ComparisonOptions): number {
  return options.targetBySeed?.[curve.seed] ?? options.target;
}

/**
 * Where a seed's curve first reached its target (the censored stand-in under `censoring: { extraRuns }`; null when it
 * never did and censoring is `exclude`).
 * @example reachTarget(curve, { target: 0.8, censoring: { extraRuns: 2 } }) // { runs: 6, seconds: 300, censored: false }
 */
export function reachTarget(curve: SeedCurve, options: ComparisonOptions): TargetReach | null {
  const target = targetOf(curve, options);
  const hit = curve.points.find((p) => p.rocAuc >= target);
  if (hit) return { runs: hit.runs, seconds: hit.seconds, censored: false };
  const censoring = options.censoring ?? 'exclude';
  const last = curve.points[curve.points.length - 1];
  if (censoring === 'exclude' || !last) return null;
  const perRun = last.runs > 0 ? last.seconds / last.runs : 0;
  return {
    runs: last.runs + censoring.extraRuns,
    seconds: last.seconds + perRun * censoring.extraRuns,
    censored: true,
  };
}

function perSeed(reaches: (TargetReach | null)[], pick: (r: TargetReach) => number): PerSeed {
  const values = reaches.map((r) => (r ? pick(r) : null));
  const found = values.filter((v): v is number => v !== null);
  return {
    mean: found.length === 0 ? null : found.reduce((a, b) => a + b, 0) / found.length,
    perSeed: values,
    reached: reaches.filter((r) => r !== null && !r.censored).length,
    censored: reaches.filter((r) => r?.censored).length,
  };
}

function aulcOf(curve: SeedCurve, runs: number): number {
  const points = curve.points.filter((p) => p.runs <= runs);
  if (points.length === 0)
    throw new ProteusError('PROTEUS_AL_INVALID_OPTION', `${WHERE}: seed ${curve.seed} has no points`);
  if (points.length === 1) return points[0]?.rocAuc as number;
  return areaUnderLearningCurve(
    points.map((p) => p.runs),
    points.map((p) => p.rocAuc),
  );
}

function stopPoint(curve: SeedCurve) {
  const last = curve.points[curve.points.length - 1];
  const at = curve.stopped ? curve.points.find((p) => p.runs >= (curve.stopped?.runs ?? 0)) : undefined;
  const point = at ?? last;
  return { runs: point?.runs ?? 0, rocAuc: point?.rocAuc ?? 0 };
}

/**
 * Runs and seconds to target, AULC, worst seed, swing and the stop point of one strategy's seeds.
 * @example summarizeStrategyMetrics('random', curves, { target: fullPoolAuc - 0.01 })
 * @throws ProteusError PROTEUS_AL_INVALID_OPTION when there are no curves or a curve is empty
 */
export function summarizeStrategyMetrics(
  strategy: string,
  curves: readonly SeedCurve[],
  options: ComparisonOptions,
): StrategyMetrics {
  if (curves.length === 0 || curves.some((c) => c.points.length === 0))
    throw new ProteusError('PROTEUS_AL_INVALID_OPTION', `${WHERE}: ${strategy} has no curves or an empty one`);
  const aulcRuns = options.aulcRuns ?? 16;
  const aulcs = curves.map((c) => aulcOf(c, aulcRuns));
  const swings = curves.map((c) => {
    const deltas = c.points.slice(1).map((p, i) => Math.abs(p.rocAuc - (c.points[i]?.rocAuc as number)));
    return deltas.length === 0 ? 0 : deltas.reduce((a, b) => a + b, 0) / deltas.length;
  });
  const stops = curves.map(stopPoint);
  const atTarget = curves.filter((c, i) => (stops[i]?.rocAuc as number) >= targetOf(c, options)).length;
  const reaches = curves.map((c) => reachTarget(c, options));
  return {
    strategy,
    seeds: curves.map((c) => c.seed),
    runsToTarget: perSeed(reaches, (r) => r.runs),
    secondsToTarget: perSeed(reaches, (r) => r.seconds),
    aulc: { mean: mean(aulcs), perSeed: aulcs, runs: aulcRuns },
    worstSeedRocAuc: Math.min(...curves.map((c) => c.points[c.points.length - 1]?.rocAuc as number)),
    swing: mean(swings),
    stopped: {
      runs: mean(stops.map((s) => s.runs)),
      rocAuc: mean(stops.map((s) => s.rocAuc)),
      fired: curves.filter((c) => c.stopped !== undefined).length,
      atTarget,
      perSeed: stops,
    },
  };
}

/**
 * A strategy against a baseline, paired by seed: runs- and seconds-to-target ratios and the AULC gain, each as a mean
 * with a 95% t-interval over the seeds both have (ratios over the seeds where both have a value: both reached the
 * target, or one or both are censored under `censoring`; `geometric` averages the log ratios).
 * @example summarizePairedComparison('gradient', gradientCurves, 'random', randomCurves, { target: 0.82 })
 * @throws ProteusError PROTEUS_AL_INVALID_OPTION when the two share no seed
 */
export function summarizePairedComparison(
  strategy: string,
  curves: readonly SeedCurve[],
  baseline: string,
  baselineCurves: readonly SeedCurve[],
  options: ComparisonOptions,
): PairedComparison {
  const bySeed = new Map(baselineCurves.map((c) => [c.seed, c]));
  const pairs = curves.flatMap((c) => {
    const b = bySeed.get(c.seed);
    return b ? [[c, b] as const] : [];
  });
  if (pairs.length === 0)
    throw new ProteusError('PROTEUS_AL_INVALID_OPTION', `${WHERE}: ${strategy} and ${baseline} share no seed to pair`);
  const aulcRuns = options.aulcRuns ?? 16;
  const geometric = options.ratioMean === 'geometric';
  const ratio = (pick: (p: TargetReach) => number) => {
    const values = pairs.flatMap(([c, b]) => {
      const x = reachTarget(c, options);
      const y = reachTarget(b, options);
      return x && y && pick(x) > 0 && pick(y) > 0 ? [pick(x) / pick(y)] : [];
    });
    return geometric ? geometricMeanInterval(values) : meanInterval(values);
  };
  return {
    strategy,
    baseline,
    runsToTargetRatio: ratio((p) => p.runs),
    secondsToTargetRatio: ratio((p) => p.seconds),
    aulcGain: meanInterval(
      pairs.map(([c, b]) => {
        const base = aulcOf(b, aulcRuns);
        return (aulcOf(c, aulcRuns) - base) / base;
      }),
    ),
  };
}

/**
 * Geometric mean and 95% interval of positive ratios: the t-interval of their logarithms, exponentiated.
 * @example geometricMeanInterval([2, 0.5]) // { mean: 1, ci95: [...], seeds: 2 }
 */
export function geometricMeanInterval(ratios: readonly number[]): MeanInterval {
  const logs = meanInterval(ratios.map(Math.log));
  return {
    mean: logs.mean === null ? null : Math.exp(logs.mean),
    ci95: logs.ci95 ? [Math.exp(logs.ci95[0]), Math.exp(logs.ci95[1])] : null,
    seeds: logs.seeds,
  };
}

function mean(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);
}

// Two-sided 97.5% quantiles of Student's t for 1..30 degrees of freedom; beyond, the normal's 1.96 is within 2%.
const T975 = [
  12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11,
  2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042,
];

/**
 * Mean and 95% t-interval of paired per-seed values (differences or ratios).
 * @example meanInterval([1.1, 0.9, 1.0]) // { mean: 1, ci95: [0.75, 1.25], seeds: 3 }
 */
export function meanInterval(values: readonly number[]): MeanInterval {
  const n = values.length;
  if (n === 0) return { mean: null, ci95: null, seeds: 0 };
  const m = mean(values);
  if (n === 1) return { mean: m, ci95: null, seeds: 1 };
  const sd = Math.sqrt(values.reduce((a, v) => a + (v - m) ** 2, 0) / (n - 1));
  const half = (T975[n - 2] ?? 1.96) * (sd / Math.sqrt(n));
  return { mean: m, ci95: [m - half, m + half], seeds: n };
}
