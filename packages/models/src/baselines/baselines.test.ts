import { createRng } from '@proteus-wf/core';
import { describe, expect, it } from 'vitest';
import { averagePathLength, fitIsolationForest } from './isolation-forest.js';
import { fitKnnDetector } from './knn-detector.js';
import { summarizeDetection } from './summarize-detection.js';

function cluster(seed: number, rows: number, width: number): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length: rows * width }, () => rng.normal() * 0.1);
}

describe('fitKnnDetector', () => {
  it('scores the distance to the k-th nearest training row', () => {
    const train = Float32Array.from([0, 0, 1, 0, 3, 0, 6, 0]);
    const knn = fitKnnDetector(train, 2, { k: 2 });
    // query (0,0): distances 0, 1, 3, 6 -> 2nd = 1; query (10,0): 4, 7, 9, 10 -> 2nd = 7
    expect(Array.from(knn.score(Float32Array.from([0, 0, 10, 0])))).toEqual([1, 7]);
    expect(Array.from(fitKnnDetector(train, 2, { k: 2, method: 'mean' }).score(Float32Array.from([10, 0])))).toEqual([
      5.5,
    ]);
  });

  it('throws PROTEUS_MODELS_INVALID_INPUT for k larger than the training set and PROTEUS_MODELS_NAN_INPUT for NaN', () => {
    expect(() => fitKnnDetector(new Float32Array(4), 2, { k: 3 })).toThrow(
      expect.objectContaining({ code: 'PROTEUS_MODELS_INVALID_INPUT' }),
    );
    expect(() => fitKnnDetector(Float32Array.from([0, Number.NaN]), 2, { k: 1 })).toThrow(
      expect.objectContaining({ code: 'PROTEUS_MODELS_NAN_INPUT' }),
    );
  });
});

describe('fitIsolationForest', () => {
  it('gives isolated points higher scores than inliers, deterministically per seed', () => {
    const train = cluster(1, 500, 3);
    // Inliers within about one standard deviation of the training cluster, then two far points.
    const query = Float32Array.from([...cluster(2, 20, 3).map((v) => v * 0.3), 2, 2, 2, -2, 1, 0]);
    const scores = fitIsolationForest(train, 3, { seed: 4 }).score(query);
    expect(fitIsolationForest(train, 3, { seed: 4 }).score(query)).toEqual(scores);
    const labels = Array.from({ length: 22 }, (_, i) => (i >= 20 ? 1 : 0));
    expect(summarizeDetection(labels, scores).rocAuc).toBe(1);
    expect(scores[20]).toBeGreaterThan(0.6);
  });

  it('uses the paper normalizer c(n)', () => {
    expect(averagePathLength(2)).toBe(1);
    expect(averagePathLength(256)).toBeCloseTo(10.2448, 3);
  });
});

describe('summarizeDetection', () => {
  it('reports AUC, AP and P@k on continuous scores, with null for a single class', () => {
    expect(summarizeDetection([0, 1, 0, 1], [0.1, 0.9, 0.3, 0.4])).toEqual({
      rocAuc: 1,
      averagePrecision: 1,
      precisionAtK: 1,
      count: 4,
      anomalies: 2,
    });
    expect(summarizeDetection([0, 0], [0.1, 0.2]).rocAuc).toBeNull();
  });
});
