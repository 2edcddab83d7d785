/*
 * k-nearest-neighbour distance detector (Ramaswamy et al., SIGMOD 2000; PyOD `KNN`, method "largest", k = 5, the
 * strongest classical detector of Flow-Bench v1 Table 2, ml.md §6). Exact brute force in float64 over a reference set.
 */
import { createRng, ProteusError } from '@proteus-wf/core';
import { checkRows } from './internal/check-rows.js';

/** Options of {@link fitKnnDetector}. */
export interface KnnDetectorOptions {
  /** The neighbour whose distance is the score (default 5). */
  k?: number;
  /** `largest`: distance to the k-th neighbour (default); `mean`: mean distance to the k nearest. */
  method?: 'largest' | 'mean';
  /**
   * At most this many training rows are kept as the reference set, drawn without replacement with `seed`
   * (default 8192: scoring is O(test x reference); all rows when fewer).
   */
  maxReference?: number;
  /** Seed of the reference subsample (default 0). */
  seed?: number;
}

/** A fitted detector: scores rows of the same width, higher = more anomalous. */
export interface AnomalyDetector {
  readonly kind: string;
  readonly width: number;
  /** One score per row of `rows` (`[n, width]` row-major). */
  score(rows: Float32Array): Float32Array;
}

const DEFAULTS = { k: 5, method: 'largest' as const, maxReference: 8192, seed: 0 };

/**
 * Fits a kNN-distance detector on training rows (jobs x features, scaled).
 * @example
 * const knn = fitKnnDetector(trainRows, 7, { k: 5 });
 * const scores = knn.score(testRows);
 * @throws ProteusError PROTEUS_MODELS_INVALID_INPUT for a bad matrix or option; PROTEUS_MODELS_NAN_INPUT for NaN
 */
export function fitKnnDetector(rows: Float32Array, width: number, options: KnnDetectorOptions = {}): AnomalyDetector {
  const where = 'fitKnnDetector';
  const count = checkRows(rows, width, where, 'rows');
  const k = options.k ?? DEFAULTS.k;
  const method = options.method ?? DEFAULTS.method;
  const maxReference = options.maxReference ?? DEFAULTS.maxReference;
  if (!(Number.isInteger(k) && k >= 1 && k <= count)) {
    throw new ProteusError(
      'PROTEUS_MODELS_INVALID_INPUT',
      `models/${where}: k must be an integer in 1..${count} (training rows), got ${k}`,
    );
  }
  if (method !== 'largest' && method !== 'mean') {
    throw new ProteusError(
      'PROTEUS_MODELS_INVALID_INPUT',
      `models/${where}: method must be "largest" or "mean", got ${String(method)}`,
    );
  }
  if (!(Number.isInteger(maxReference) && maxReference >= k)) {
    throw new ProteusError(
      'PROTEUS_MODELS_INVALID_INPUT',
      `models/${where}: maxReference must be an integer >= k (${k}), got ${maxReference}`,
    );
  }
  let reference = rows;
  if (count > maxReference) {
    const picked = createRng(options.seed ?? DEFAULTS.seed).sample(
      Array.from({ length: count }, (_, i) => i),
      maxReference,
    );
    reference = new Float32Array(maxReference * width);
    picked.forEach((row, i) => {
      reference.set(rows.subarray(row * width, (row + 1) * width), i * width);
    });
  }
  const references = reference.length / width;
  return {
    kind: 'knn',
    width,
    score(query) {
      const n = checkRows(query, width, 'AnomalyDetector.score', 'rows');
      const out = new Float32Array(n);
      const nearest = new Float64Array(k);
      for (let q = 0; q < n; q++) {
        nearest.fill(Number.POSITIVE_INFINITY);
        const qBase = q * width;
        for (let r = 0; r < references; r++) {
          const rBase = r * width;
          let d = 0;
          for (let f = 0; f < width; f++) {
            const diff = (query[qBase + f] as number) - (reference[rBase + f] as number);
            d += diff * diff;
          }
          if (d >= (nearest[k - 1] as number)) continue;
          // Insertion into the sorted k-best list.
          let i = k - 1;
          while (i > 0 && (nearest[i - 1] as number) > d) {
            nearest[i] = nearest[i - 1] as number;
            i--;
          }
          nearest[i] = d;
        }
        if (method === 'largest') out[q] = Math.sqrt(nearest[k - 1] as number);
        else {
          let sum = 0;
          for (let i = 0; i < k; i++) sum += Math.sqrt(nearest[i] as number);
          out[q] = sum / k;
        }
      }
      return out;
    },
  };
}
