import { ProteusError } from '@proteus-wf/core';
import { requestLabel } from './experiment-requests.js';
import type { ActiveLearningResult, IterationMetrics } from './run-active-learning.js';

/** Mean and standard deviation (population, over seeds). */
export interface MeanStd {
  mean: number;
  std: number;
}

/** One point of a learning curve, averaged over seeds. */
export interface CurvePoint {
  samples: number;
  rocAuc: MeanStd;
  averagePrecision: MeanStd;
  precisionAtK: MeanStd;
}

/** One strategy (or ablation variant) over all seeds: the `strategies[]` entry of `proteus al emulate`. */
export interface StrategySummary {
  strategy: string;
  /** Human label (`gradient`, `gradient without term 3`, ...). */
  label: string;
  /** Which Eq. 6 terms were on. */
  terms: { finiteDifference: boolean; inputSensitivity: boolean };
  seeds: number[];
  /** Area under ROC-AUC vs samples divided by the sample range, mean over seeds. */
  aulc: number;
  aulcStd: number;
  curve: CurvePoint[];
  final: CurvePoint;
  /** Per iteration, the confidence histogram summed over seeds (10 bins over [0, 1]). */
  confidenceHistograms: number[][];
  /** Final test metrics per anomaly type (its jobs against the normal ones), over the seeds that have them. */
  finalByAnomaly: Record<string, { rocAuc: MeanStd; averagePrecision: MeanStd; precisionAtK: MeanStd }>;
  /** What each seed asked for and got in each iteration, and how long the iteration took. */
  queries: StrategyQuery[];
}

/** One iteration of one seed: the experiments requested (`hdd_1 ×2`), the labels of the runs returned. */
export interface StrategyQuery {
  seed: number;
  iteration: number;
  /** True when the iteration queried at random (burn-in or re-selection). */
  random: boolean;
  requested: string[];
  ran: string[];
  /** Absent for iterations restored from checkpoints written before it was recorded. */
  wallSeconds?: number;
}

function meanStd(values: readonly number[]): MeanStd {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length;
  return { mean, std: Math.sqrt(variance) };
}

/**
 * Area under a learning curve (trapezoid) divided by its sample range: the mean metric over the budget.
 * @example areaUnderLearningCurve([2, 4, 6], [0.5, 0.7, 0.9]) // 0.7
 * @throws ProteusError PROTEUS_AL_INVALID_OPTION for curves of unequal length or fewer than two points
 */
export function areaUnderLearningCurve(samples: readonly number[], values: readonly number[]): number {
  if (samples.length !== values.length || samples.length < 2) {
    throw new ProteusError(
      'PROTEUS_AL_INVALID_OPTION',
      `active-learner/areaUnderLearningCurve: need two or more points of equal length, got ${samples.length} samples and ${values.length} values`,
    );
  }
  let area = 0;
  for (let i = 1; i < samples.length; i++) {
    area +=
      (((values[i] as number) + (values[i - 1] as number)) / 2) * ((samples[i] as number) - (samples[i - 1] as number));
  }
  const range = (samples[samples.length - 1] as number) - (samples[0] as number);
  return range > 0 ? area / range : (values[0] as number);
}

/**
 * Averages the runs of one strategy over seeds into a learning curve with AULC and final metrics.
 * @example const summary = summarizeLearningCurves(results, { label: 'gradient' });
 * @throws ProteusError PROTEUS_AL_INVALID_OPTION when there are no results, they lack test metrics, or their
 * sample counts differ
 */
export function summarizeLearningCurves(
  results: readonly ActiveLearningResult[],
  options: { label?: string } = {},
): StrategySummary {
  const first = results[0];
  if (!first)
    throw new ProteusError(
      'PROTEUS_AL_INVALID_OPTION',
      'active-learner/summarizeLearningCurves: no results to summarize',
    );
  const length = Math.min(...results.map((r) => r.iterations.length));
  const metricsOf = (r: ActiveLearningResult, i: number): IterationMetrics => {
    const m = r.iterations[i]?.metrics;
    if (!m)
      throw new ProteusError(
        'PROTEUS_AL_INVALID_OPTION',
        `active-learner/summarizeLearningCurves: seed ${r.seed} iteration ${i + 1} has no test metrics; pass an evaluation set`,
      );
    return m;
  };
  const curve: CurvePoint[] = [];
  for (let i = 0; i < length; i++) {
    const samples = results.map((r) => r.iterations[i]?.samples as number);
    if (new Set(samples).size !== 1) {
      throw new ProteusError(
        'PROTEUS_AL_INVALID_OPTION',
        `active-learner/summarizeLearningCurves: seeds acquired different numbers of runs at iteration ${i + 1}: ${samples.join(', ')}`,
      );
    }
    curve.push({
      samples: samples[0] as number,
      rocAuc: meanStd(results.map((r) => metricsOf(r, i).rocAuc)),
      averagePrecision: meanStd(results.map((r) => metricsOf(r, i).averagePrecision)),
      precisionAtK: meanStd(results.map((r) => metricsOf(r, i).precisionAtK)),
    });
  }
  const aulcs = results.map((r) =>
    areaUnderLearningCurve(
      r.iterations.slice(0, length).map((it) => it.samples),
      r.iterations.slice(0, length).map((_, i) => metricsOf(r, i).rocAuc),
    ),
  );
  const aulc = meanStd(aulcs);
  const histograms = Array.from({ length }, (_, i) => {
    const sum = new Array<number>(10).fill(0);
    for (const r of results) {
      for (const [b, c] of (r.iterations[i]?.confidenceHistogram ?? []).entries()) sum[b] = (sum[b] ?? 0) + c;
    }
    return sum;
  });
  const terms = {
    finiteDifference: first.terms.finiteDifference.enabled,
    inputSensitivity: first.terms.inputSensitivity.enabled,
  };
  const finalByAnomaly: StrategySummary['finalByAnomaly'] = {};
  const types = [
    ...new Set(results.flatMap((r) => Object.keys(r.iterations[length - 1]?.metricsByAnomaly ?? {}))),
  ].sort();
  for (const type of types) {
    const found = results
      .map((r) => r.iterations[length - 1]?.metricsByAnomaly?.[type])
      .filter((m): m is IterationMetrics => m !== undefined);
    finalByAnomaly[type] = {
      rocAuc: meanStd(found.map((m) => m.rocAuc)),
      averagePrecision: meanStd(found.map((m) => m.averagePrecision)),
      precisionAtK: meanStd(found.map((m) => m.precisionAtK)),
    };
  }
  const queries = results.flatMap((r) =>
    r.iterations.slice(0, length).map(
      (it): StrategyQuery => ({
        seed: r.seed,
        iteration: it.iteration,
        random: it.random,
        requested: it.requests.map((request) => `${requestLabel(request)} ×${request.runs}`),
        ran: [...it.ran],
        ...(it.wallSeconds === undefined ? {} : { wallSeconds: it.wallSeconds }),
      }),
    ),
  );
  return {
    strategy: first.strategy,
    label: options.label ?? first.strategy,
    terms,
    seeds: results.map((r) => r.seed),
    aulc: aulc.mean,
    aulcStd: aulc.std,
    curve,
    final: curve[curve.length - 1] as CurvePoint,
    confidenceHistograms: histograms,
    finalByAnomaly,
    queries,
  };
}

/**
 * Samples a curve needs to reach `target` mean ROC-AUC (the first point at or above it), or null.
 * @example samplesToReach(summary.curve, randomSummary.final.rocAuc.mean)
 */
export function samplesToReach(curve: readonly CurvePoint[], target: number): number | null {
  return curve.find((p) => p.rocAuc.mean >= target)?.samples ?? null;
}
