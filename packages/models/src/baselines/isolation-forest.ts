/*
 * Isolation forest (Liu, Ting and Zhou, ICDM 2008): random axis-aligned splits isolate anomalies in fewer steps.
 * Defaults as sklearn/PyOD `IForest`: 100 trees, 256 rows per tree, depth limit ceil(log2 256) = 8.
 * Written here (no maintained npm isolation forest is installed); every random choice comes from the seeded Rng.
 */
import { createRng, ProteusError, type Rng } from '@proteus-wf/core';
import { checkRows } from './internal/check-rows.js';
import type { AnomalyDetector } from './knn-detector.js';

/** Options of {@link fitIsolationForest}. */
export interface IsolationForestOptions {
  /** Trees (default 100). */
  trees?: number;
  /** Rows drawn without replacement per tree (default 256, or all rows when fewer). */
  sampleSize?: number;
  /** Seed of the subsamples and splits (default 0). */
  seed?: number;
}

/** A node of a flat tree: internal nodes split `feature` at `threshold`; leaves store their row count. */
interface Tree {
  feature: Int32Array;
  threshold: Float32Array;
  left: Int32Array;
  right: Int32Array;
  /** Leaf: rows that reached it; internal: -1. */
  size: Int32Array;
}

const DEFAULTS = { trees: 100, sampleSize: 256, seed: 0 };
const EULER = 0.5772156649015329;

/** Average path length of an unsuccessful BST search among n items, c(n) in the paper. */
export function averagePathLength(n: number): number {
  if (n <= 1) return 0;
  if (n === 2) return 1;
  return 2 * (Math.log(n - 1) + EULER) - (2 * (n - 1)) / n;
}

function buildTree(rows: Float32Array, width: number, sample: number[], limit: number, rng: Rng): Tree {
  const feature: number[] = [];
  const threshold: number[] = [];
  const left: number[] = [];
  const right: number[] = [];
  const size: number[] = [];
  const mins = new Float64Array(width);
  const maxs = new Float64Array(width);
  const grow = (items: number[], depth: number): number => {
    const id = feature.length;
    feature.push(-1);
    threshold.push(0);
    left.push(-1);
    right.push(-1);
    size.push(items.length);
    if (depth >= limit || items.length <= 1) return id;
    mins.fill(Number.POSITIVE_INFINITY);
    maxs.fill(Number.NEGATIVE_INFINITY);
    for (const row of items) {
      for (let f = 0; f < width; f++) {
        const v = rows[row * width + f] as number;
        if (v < (mins[f] as number)) mins[f] = v;
        if (v > (maxs[f] as number)) maxs[f] = v;
      }
    }
    const splittable: number[] = [];
    for (let f = 0; f < width; f++) if ((maxs[f] as number) > (mins[f] as number)) splittable.push(f);
    if (splittable.length === 0) return id;
    const f = splittable[rng.int(0, splittable.length - 1)] as number;
    const lo = mins[f] as number;
    const hi = maxs[f] as number;
    let t = Math.fround(lo + rng.float() * (hi - lo));
    if (t >= hi) t = Math.fround(lo);
    const lower: number[] = [];
    const upper: number[] = [];
    for (const row of items) ((rows[row * width + f] as number) <= t ? lower : upper).push(row);
    if (lower.length === 0 || upper.length === 0) return id;
    feature[id] = f;
    threshold[id] = t;
    size[id] = -1;
    left[id] = grow(lower, depth + 1);
    right[id] = grow(upper, depth + 1);
    return id;
  };
  grow(sample, 0);
  return {
    feature: Int32Array.from(feature),
    threshold: Float32Array.from(threshold),
    left: Int32Array.from(left),
    right: Int32Array.from(right),
    size: Int32Array.from(size),
  };
}

/**
 * Fits an isolation forest on training rows; scores are the paper's s(x) = 2^(-E[h(x)] / c(psi)) in (0, 1].
 * @example
 * const forest = fitIsolationForest(trainRows, 7, { seed: 1 });
 * const scores = forest.score(testRows); // ~0.5 typical, -> 1 isolated
 * @throws ProteusError PROTEUS_MODELS_INVALID_INPUT for a bad matrix or option; PROTEUS_MODELS_NAN_INPUT for NaN
 */
export function fitIsolationForest(
  rows: Float32Array,
  width: number,
  options: IsolationForestOptions = {},
): AnomalyDetector {
  const where = 'fitIsolationForest';
  const count = checkRows(rows, width, where, 'rows');
  const trees = options.trees ?? DEFAULTS.trees;
  const sampleSize = Math.min(options.sampleSize ?? DEFAULTS.sampleSize, count);
  if (!(Number.isInteger(trees) && trees >= 1)) {
    throw new ProteusError(
      'PROTEUS_MODELS_INVALID_INPUT',
      `models/${where}: trees must be an integer >= 1, got ${trees}`,
    );
  }
  if (!(Number.isInteger(sampleSize) && sampleSize >= 2)) {
    throw new ProteusError(
      'PROTEUS_MODELS_INVALID_INPUT',
      `models/${where}: sampleSize must be an integer >= 2 (and <= rows), got ${sampleSize}`,
    );
  }
  const rng = createRng(options.seed ?? DEFAULTS.seed);
  const limit = Math.ceil(Math.log2(sampleSize));
  const all = Array.from({ length: count }, (_, i) => i);
  const forest = Array.from({ length: trees }, () => buildTree(rows, width, rng.sample(all, sampleSize), limit, rng));
  const normalizer = averagePathLength(sampleSize);
  return {
    kind: 'isolation-forest',
    width,
    score(query) {
      const n = checkRows(query, width, 'AnomalyDetector.score', 'rows');
      const out = new Float32Array(n);
      for (let q = 0; q < n; q++) {
        let total = 0;
        for (const tree of forest) {
          let node = 0;
          let depth = 0;
          while ((tree.size[node] as number) < 0) {
            const f = tree.feature[node] as number;
            node =
              (query[q * width + f] as number) <= (tree.threshold[node] as number)
                ? (tree.left[node] as number)
                : (tree.right[node] as number);
            depth++;
          }
          total += depth + averagePathLength(tree.size[node] as number);
        }
        out[q] = 2 ** (-(total / trees) / normalizer);
      }
      return out;
    },
  };
}
