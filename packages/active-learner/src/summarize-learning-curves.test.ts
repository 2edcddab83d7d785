import { describe, expect, it } from 'vitest';
import { areaUnderLearningCurve, samplesToReach } from './summarize-learning-curves.js';

describe('areaUnderLearningCurve', () => {
  it('is the trapezoid area divided by the sample range', () => {
    expect(areaUnderLearningCurve([2, 4, 6], [0.5, 0.7, 0.9])).toBeCloseTo(0.7, 12);
    expect(areaUnderLearningCurve([2, 4, 10], [0.5, 0.5, 1])).toBeCloseTo((0.5 * 2 + 0.75 * 6) / 8, 12);
  });

  it('throws PROTEUS_AL_INVALID_OPTION for a single point or unequal lengths', () => {
    expect(() => areaUnderLearningCurve([2], [0.5])).toThrowError(
      expect.objectContaining({ code: 'PROTEUS_AL_INVALID_OPTION' }),
    );
    expect(() => areaUnderLearningCurve([2, 4], [0.5])).toThrowError(
      expect.objectContaining({ code: 'PROTEUS_AL_INVALID_OPTION' }),
    );
  });
});

describe('samplesToReach', () => {
  const point = (samples: number, auc: number) => ({
    samples,
    rocAuc: { mean: auc, std: 0 },
    averagePrecision: { mean: 0, std: 0 },
    precisionAtK: { mean: 0, std: 0 },
  });
  it('returns the first sample count at or above the target, or null', () => {
    const curve = [point(2, 0.6), point(4, 0.8), point(6, 0.7)];
    expect(samplesToReach(curve, 0.75)).toBe(4);
    expect(samplesToReach(curve, 0.9)).toBeNull();
  });
});
