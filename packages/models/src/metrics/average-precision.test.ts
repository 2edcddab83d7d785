import { describe, expect, it } from 'vitest';
import { metricFixtures } from '../../test/metric-fixtures.js';
import { averagePrecision } from './average-precision.js';

describe('averagePrecision', () => {
  for (const fixture of metricFixtures.ranking.filter((entry) => entry.averagePrecision !== null)) {
    it(`matches sklearn average_precision_score on "${fixture.name}"`, () => {
      const value = averagePrecision(fixture.yTrue, fixture.scores);
      expect(Math.abs(value - (fixture.averagePrecision as number))).toBeLessThan(1e-12);
    });
  }

  it('is step-wise, not interpolated: one tie group of all samples gives the base rate', () => {
    expect(averagePrecision([1, 0, 0, 0], [0.3, 0.3, 0.3, 0.3])).toBe(0.25);
  });

  it('throws PROTEUS_MODELS_METRIC_SINGLE_CLASS without any anomaly', () => {
    expect(() => averagePrecision([0, 0, 0], [0.1, 0.2, 0.3])).toThrow(
      expect.objectContaining({ code: 'PROTEUS_MODELS_METRIC_SINGLE_CLASS' }),
    );
  });

  it('throws PROTEUS_MODELS_METRIC_NAN for a NaN score', () => {
    expect(() => averagePrecision([0, 1], [Number.NaN, 0.2])).toThrow(
      expect.objectContaining({ code: 'PROTEUS_MODELS_METRIC_NAN' }),
    );
  });
});
