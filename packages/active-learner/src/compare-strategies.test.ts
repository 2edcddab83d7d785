import { describe, expect, it } from 'vitest';
import {
  meanInterval,
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
    expect(metrics.runsToTarget).toEqual({ mean: 4, perSeed: [4, null], reached: 1 });
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

describe('meanInterval', () => {
  it('gives the t-interval of paired values (df = n - 1) and none for a single value', () => {
    const m = meanInterval([1, 2, 3]);
    expect(m.mean).toBe(2);
    expect(m.ci95?.[0]).toBeCloseTo(2 - 4.303 / Math.sqrt(3), 3);
    expect(meanInterval([1])).toEqual({ mean: 1, ci95: null, seeds: 1 });
    expect(meanInterval([])).toEqual({ mean: null, ci95: null, seeds: 0 });
  });
});
