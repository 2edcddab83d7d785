import { describe, expect, it } from 'vitest';
import { metricFixtures } from '../../test/metric-fixtures.js';
import { accuracy } from './accuracy.js';
import { confusionMatrix } from './confusion-matrix.js';
import { precisionRecallF1 } from './precision-recall-f1.js';

const close = (actual: { precision: number; recall: number; f1: number }, expected: typeof actual): void => {
  expect(Math.abs(actual.precision - expected.precision)).toBeLessThan(1e-12);
  expect(Math.abs(actual.recall - expected.recall)).toBeLessThan(1e-12);
  expect(Math.abs(actual.f1 - expected.f1)).toBeLessThan(1e-12);
};

describe('accuracy, precisionRecallF1, confusionMatrix', () => {
  for (const fixture of metricFixtures.classification) {
    it(`match sklearn on "${fixture.name}"`, () => {
      expect(Math.abs(accuracy(fixture.yTrue, fixture.yPred) - fixture.accuracy)).toBeLessThan(1e-12);
      expect(confusionMatrix(fixture.yTrue, fixture.yPred)).toEqual(fixture.confusionMatrix);
      if (fixture.binary) close(precisionRecallF1(fixture.yTrue, fixture.yPred), fixture.binary);
      close(precisionRecallF1(fixture.yTrue, fixture.yPred, { average: 'macro' }), fixture.macro);
      close(precisionRecallF1(fixture.yTrue, fixture.yPred, { average: 'weighted' }), fixture.weighted);
    });
  }

  it('confusionMatrix keeps the requested label order and drops samples outside it', () => {
    expect(confusionMatrix([0, 1, 2, 1], [0, 2, 2, 1], { labels: [2, 1] })).toEqual({
      labels: [2, 1],
      matrix: [
        [1, 0],
        [1, 1],
      ],
    });
  });

  it('precisionRecallF1 throws PROTEUS_MODELS_METRIC_LABELS for binary averaging of three classes', () => {
    expect(() => precisionRecallF1([0, 1, 2], [0, 1, 1])).toThrow(
      expect.objectContaining({ code: 'PROTEUS_MODELS_METRIC_LABELS' }),
    );
  });

  it('accuracy throws PROTEUS_MODELS_METRIC_LABELS for NaN predictions', () => {
    expect(() => accuracy([0, 1], [0, Number.NaN])).toThrow(
      expect.objectContaining({ code: 'PROTEUS_MODELS_METRIC_LABELS' }),
    );
  });
});
