import { isProteusError } from '@proteus-wf/core';
import { describe, expect, it } from 'vitest';
import { metricFixtures } from '../../test/metric-fixtures.js';
import { rocAuc } from './roc-auc.js';

describe('rocAuc', () => {
  for (const fixture of metricFixtures.ranking.filter((entry) => entry.rocAuc !== null)) {
    it(`matches sklearn roc_auc_score on "${fixture.name}"`, () => {
      expect(Math.abs(rocAuc(fixture.yTrue, fixture.scores) - (fixture.rocAuc as number))).toBeLessThan(1e-12);
    });
  }

  it('does not depend on the input order of tied scores', () => {
    expect(rocAuc([1, 0, 0, 1], [0.5, 0.5, 0.1, 0.9])).toBe(rocAuc([0, 1, 1, 0], [0.5, 0.5, 0.9, 0.1]));
    expect(rocAuc([1, 0, 0, 1], [0.5, 0.5, 0.1, 0.9])).toBe(0.875);
  });

  it('accepts typed arrays', () => {
    expect(rocAuc(new Uint8Array([0, 1]), new Float32Array([0.25, 0.75]))).toBe(1);
  });

  it('throws PROTEUS_MODELS_METRIC_SINGLE_CLASS when all labels are one class', () => {
    expect(() => rocAuc([1, 1, 1], [0.1, 0.2, 0.3])).toThrow(
      expect.objectContaining({ code: 'PROTEUS_MODELS_METRIC_SINGLE_CLASS' }),
    );
    expect(() => rocAuc([0, 0], [0.1, 0.2])).toThrow(
      expect.objectContaining({ code: 'PROTEUS_MODELS_METRIC_SINGLE_CLASS' }),
    );
  });

  it('throws PROTEUS_MODELS_METRIC_NAN for NaN or infinite scores', () => {
    try {
      rocAuc([0, 1, 0], [0.1, Number.NaN, 0.3]);
      expect.unreachable();
    } catch (error) {
      expect(isProteusError(error, 'PROTEUS_MODELS_METRIC_NAN')).toBe(true);
      expect((error as { details: { index: number } }).details.index).toBe(1);
    }
    expect(() => rocAuc([0, 1], [0.1, Number.POSITIVE_INFINITY])).toThrow(
      expect.objectContaining({ code: 'PROTEUS_MODELS_METRIC_NAN' }),
    );
  });

  it('throws PROTEUS_MODELS_METRIC_LABELS for non-binary labels', () => {
    expect(() => rocAuc([0, 2, 1], [0.1, 0.2, 0.3])).toThrow(
      expect.objectContaining({ code: 'PROTEUS_MODELS_METRIC_LABELS' }),
    );
  });

  it('throws PROTEUS_MODELS_METRIC_LENGTH and PROTEUS_MODELS_METRIC_EMPTY for bad shapes', () => {
    expect(() => rocAuc([0, 1], [0.1])).toThrow(expect.objectContaining({ code: 'PROTEUS_MODELS_METRIC_LENGTH' }));
    expect(() => rocAuc([], [])).toThrow(expect.objectContaining({ code: 'PROTEUS_MODELS_METRIC_EMPTY' }));
  });
});
