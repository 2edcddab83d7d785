import { describe, expect, it } from 'vitest';
import {
  geometricMeanInterval,
  meanInterval,
  reachTarget,
  type SeedCurve,
  summarizePairedComparison,
  summarizeStrategyMetrics,
} from './compare-strategies.js';

const curve = (seed: number, aucs: number[], stoppedAt?: number): SeedCurve => ({
  seed,
  points: aucs.map((rocAuc, i) => ({ runs: 2 * (i + 1), seconds: 100 * (i + 1), rocAuc })),
  ...(stoppedAt === undefined ? {} : { stopped: { runs: stoppedAt } }),
});

describe('summarizeStrategyMetrics', () => {
  it('counts runs and seconds to target per seed, AULC, worst seed, swing and the stop point', () => {
    const metrics = summarizeStrategyMetrics('random', [curve(0, [0.7, 0.8, 0.82], 4), curve(1, [0.6, 0.7, 0.75])], {
      target: 0.8,
    });
    expect(metrics.runsToTarget).toEqual({ mean: 4, perSeed: [4, null], reached: 1, censored: 0 });
    expect(metrics.secondsToTarget.mean).toBe(200);
    expect(metrics.aulc.perSeed[0]).toBeCloseTo((0.75 * 2 + 0.81 * 2) / 4, 12);
    expect(metrics.worstSeedRocAuc).toBe(0.75);
    expect(metrics.swing).toBeCloseTo((0.06 + 0.075) / 2, 12);
    expect(metrics.stopped.perSeed).toEqual([
      { runs: 4, rocAuc: 0.8 },
      { runs: 6, rocAuc: 0.75 },
    ]);
    expect(metrics.stopped.atTarget).toBe(1);
  });

  it('holds each seed to its own target when targetBySeed names it', () => {
    const metrics = summarizeStrategyMetrics('random', [curve(0, [0.7, 0.8]), curve(1, [0.7, 0.8])], {
      target: 0.8,
      targetBySeed: { 1: 0.7 },
    });
    expect(metrics.runsToTarget.perSeed).toEqual([4, 2]);
  });
});

describe('summarizePairedComparison', () => {
  it('pairs by seed: ratios of runs to target and relative AULC gains with a t-interval', () => {
    const strategy = [curve(0, [0.8, 0.8]), curve(1, [0.7, 0.8]), curve(2, [0.8, 0.9])];
    const baseline = [curve(2, [0.7, 0.8]), curve(1, [0.7, 0.8]), curve(0, [0.7, 0.8])];
    const c = summarizePairedComparison('gradient', strategy, 'random', baseline, { target: 0.8 });
    expect(c.runsToTargetRatio.mean).toBeCloseTo((0.5 + 1 + 0.5) / 3, 12);
    expect(c.runsToTargetRatio.seeds).toBe(3);
    const [lo, hi] = c.runsToTargetRatio.ci95 as [number, number];
    expect(lo).toBeLessThan(c.runsToTargetRatio.mean as number);
    expect(hi).toBeGreaterThan(c.runsToTargetRatio.mean as number);
    expect(c.aulcGain.mean).toBeCloseTo((0.8 / 0.75 - 1 + 0 + 0.85 / 0.75 - 1) / 3, 12);
  });

  it('throws PROTEUS_AL_INVALID_OPTION when the two share no seed', () => {
    expect(() =>
      summarizePairedComparison('gradient', [curve(0, [0.8])], 'random', [curve(1, [0.8])], { target: 0.8 }),
    ).toThrow(expect.objectContaining({ code: 'PROTEUS_AL_INVALID_OPTION' }));
  });
});

describe('censoring and geometric ratios (the live benchmark and the lab)', () => {
  // Strategy: seed 0 reaches 0.8 at 4 runs, seed 1 never (censored at 6 + 2 = 8 runs, 300 + 2 x 50 s), seed 2 at 2.
  // Random: 6, 4, 4 runs. Ratios 4/6, 8/4, 2/4; their geometric mean and the exponentiated t-interval of the logs from
  //   python3 -c "import numpy as np; from scipy import stats; l=np.log([4/6,8/4,2/4]);
  //     print(np.exp(l.mean()), np.exp(stats.t.interval(0.95, 2, loc=l.mean(), scale=stats.sem(l))))"
  //   -> 0.8735804647 [0.1419080693, 5.3777268079]
  const strategy = [curve(0, [0.7, 0.8, 0.8]), curve(1, [0.6, 0.7, 0.75]), curve(2, [0.8, 0.8, 0.9])];
  const random = [curve(0, [0.7, 0.7, 0.8]), curve(1, [0.7, 0.8, 0.8]), curve(2, [0.7, 0.8, 0.9])];
  const options = { target: 0.8, censoring: { extraRuns: 2 }, ratioMean: 'geometric' } as const;

  it('counts a seed that never reached the target at its last point plus the extra runs, flagged censored', () => {
    expect(reachTarget(strategy[1] as SeedCurve, options)).toEqual({ runs: 8, seconds: 400, censored: true });
    expect(reachTarget(strategy[1] as SeedCurve, { target: 0.8 })).toBeNull();
    const metrics = summarizeStrategyMetrics('gradient', strategy, options);
    expect(metrics.runsToTarget).toEqual({ mean: 14 / 3, perSeed: [4, 8, 2], reached: 2, censored: 1 });
  });

  it('averages the paired ratios geometrically with the t-interval of their logs', () => {
    const c = summarizePairedComparison('gradient', strategy, 'random', random, options);
    expect(c.runsToTargetRatio.seeds).toBe(3);
    expect(c.runsToTargetRatio.mean).toBeCloseTo(0.8735804647, 6);
    expect(c.runsToTargetRatio.ci95?.[0]).toBeCloseTo(0.1419080693, 3);
    expect(c.runsToTargetRatio.ci95?.[1]).toBeCloseTo(5.3777268079, 2);
    // Without censoring the seed that never reached the target leaves the ratio.
    expect(
      summarizePairedComparison('gradient', strategy, 'random', random, { target: 0.8 }).runsToTargetRatio.seeds,
    ).toBe(2);
    expect(geometricMeanInterval([2, 0.5]).mean).toBeCloseTo(1, 12);
  });
});

describe('meanInterval', () => {
  it('gives the t-interval of paired values (df = n - 1) and none for a single value', () => {
    const m = meanInterval([1, 2, 3]);
    expect(m.mean).toBe(2);
    expect(m.ci95?.[0]).toBeCloseTo(2 - 4.303 / Math.sqrt(3), 3);
    // python3 -c "from scipy import stats; import numpy as np; x=np.array([0.5,1,0.5]);
    //   print(stats.t.interval(0.95, 2, loc=x.mean(), scale=stats.sem(x)))" -> (-0.0504421216, 1.3837754550)
    const pairs = meanInterval([0.5, 1, 0.5]);
    expect(pairs.ci95?.[0]).toBeCloseTo(-0.0504421216, 3);
    expect(pairs.ci95?.[1]).toBeCloseTo(1.383775455, 3);
    expect(meanInterval([1])).toEqual({ mean: 1, ci95: null, seeds: 1 });
    expect(meanInterval([])).toEqual({ mean: null, ci95: null, seeds: 0 });
  });
});
