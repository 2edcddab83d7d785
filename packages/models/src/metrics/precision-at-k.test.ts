import { describe, expect, it } from 'vitest';
import { metricFixtures } from '../../test/metric-fixtures.js';
import { precisionAtK } from './precision-at-k.js';

describe('precisionAtK', () => {
  for (const fixture of metricFixtures.ranking.filter((entry) => entry.precisionAtK !== null)) {
    it(`matches the fixture with default k = number of anomalies on "${fixture.name}"`, () => {
      const value = precisionAtK(fixture.yTrue, fixture.scores);
      expect(Math.abs(value - (fixture.precisionAtK as number))).toBeLessThan(1e-12);
    });
    if (fixture.k !== undefined) {
      it(`matches the fixture with k = ${fixture.k} on "${fixture.name}"`, () => {
        const value = precisionAtK(fixture.yTrue, fixture.scores, { k: fixture.k });
        expect(Math.abs(value - (fixture.precisionAtGivenK as number))).toBeLessThan(1e-12);
      });
    }
  }

  it('counts ties at the cut-off pro rata, whatever the input order', () => {
    // k = 2: 0.9 is a hit, then one of two tied 0.5 (one hit, one miss) -> 1.5 / 2.
    expect(precisionAtK([1, 1, 0, 0], [0.9, 0.5, 0.5, 0.1])).toBe(0.75);
    expect(precisionAtK([1, 0, 1, 0], [0.9, 0.5, 0.5, 0.1])).toBe(0.75);
  });

  it('throws PROTEUS_MODELS_METRIC_SINGLE_CLASS when the default k would be 0', () => {
    expect(() => precisionAtK([0, 0], [0.1, 0.2])).toThrow(
      expect.objectContaining({ code: 'PROTEUS_MODELS_METRIC_SINGLE_CLASS' }),
    );
    expect(precisionAtK([0, 0], [0.1, 0.2], { k: 1 })).toBe(0);
  });

  it('throws PROTEUS_MODELS_METRIC_K for k outside 1..n', () => {
    expect(() => precisionAtK([0, 1], [0.1, 0.2], { k: 3 })).toThrow(
      expect.objectContaining({ code: 'PROTEUS_MODELS_METRIC_K' }),
    );
    expect(() => precisionAtK([0, 1], [0.1, 0.2], { k: 1.5 })).toThrow(
      expect.objectContaining({ code: 'PROTEUS_MODELS_METRIC_K' }),
    );
  });
});
