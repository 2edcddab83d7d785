import { describe, expect, it } from 'vitest';
import { summarizeClassification } from './summarize-classification.js';

describe('summarizeClassification', () => {
  it('scores binary probabilities: arg-max for accuracy/F1, P(anomalous) for the ranking metrics', () => {
    const truth = Int32Array.from([0, 0, 1, 1]);
    // P(anomalous) = 0.1, 0.4, 0.35, 0.8 -> predicted 0, 0, 0, 1
    const probabilities = Float32Array.from([0.9, 0.1, 0.6, 0.4, 0.65, 0.35, 0.2, 0.8]);
    const summary = summarizeClassification(truth, probabilities, ['normal', 'anomalous']);
    expect(summary).toMatchObject({ count: 4, anomalies: 2, accuracy: 0.75, precision: 1, recall: 0.5 });
    expect(summary.f1).toBeCloseTo(2 / 3, 12);
    expect(summary.rocAuc).toBeCloseTo(0.75, 6);
    expect(summary.averagePrecision).toBeCloseTo(0.8333333, 6);
    expect(summary.precisionAtK).toBe(0.5);
    expect(summary.confusionMatrix).toEqual([
      [2, 0],
      [1, 1],
    ]);
  });

  it('uses weighted averaging for multi-class and 1 - P(normal) as the anomaly score', () => {
    const truth = Int32Array.from([0, 1, 2, 2]);
    const probabilities = Float32Array.from([0.8, 0.1, 0.1, 0.1, 0.7, 0.2, 0.2, 0.2, 0.6, 0.1, 0.6, 0.3]);
    const summary = summarizeClassification(truth, probabilities, ['normal', 'cpu', 'hdd']);
    expect(summary.accuracy).toBe(0.75);
    // per class: normal p=1 r=1; cpu p=0.5 r=1; hdd p=1 r=0.5 -> weighted by support 1,1,2
    expect(summary.precision).toBeCloseTo((1 + 0.5 + 2 * 1) / 4, 12);
    expect(summary.recall).toBeCloseTo((1 + 1 + 2 * 0.5) / 4, 12);
    expect(summary.rocAuc).toBe(1);
  });

  it('reports null ranking metrics when the truth has a single class', () => {
    const summary = summarizeClassification(Int32Array.from([0, 0]), Float32Array.from([0.9, 0.1, 0.4, 0.6]), [
      'normal',
      'anomalous',
    ]);
    expect(summary.rocAuc).toBeNull();
    expect(summary.averagePrecision).toBeNull();
    expect(summary.precisionAtK).toBeNull();
  });

  it('throws PROTEUS_MODELS_INVALID_INPUT when the probabilities do not fit the items', () => {
    expect(() =>
      summarizeClassification(Int32Array.from([0, 1]), Float32Array.from([0.5, 0.5]), ['normal', 'anomalous']),
    ).toThrow(expect.objectContaining({ code: 'PROTEUS_MODELS_INVALID_INPUT' }));
  });
});
