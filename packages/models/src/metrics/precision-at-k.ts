/*
 * Precision at k (FlowBench / PyGOD `eval_precision_at_k`): the share of true anomalies among the k highest scores,
 * with k = the number of true anomalies by default (then precision@k = recall@k = R-precision).
 * Ties straddling the cut-off are counted by their expected share instead of an arbitrary sort order, so the
 * result does not depend on the order of the input; without ties it equals `np.argsort(score)[::-1][:k]`.
 */
import { ProteusError } from '@proteus-wf/core';
import {
  checkFiniteScores,
  checkSameLength,
  countBinaryPositives,
  type NumericArray,
  orderByScoreDescending,
} from './validate.js';

/** Options of {@link precisionAtK}. */
export interface PrecisionAtKOptions {
  /** How many top-scored items to inspect; default: the number of true anomalies. */
  k?: number;
}

/**
 * Precision among the `k` highest scores (default k = number of true anomalies); ties at the cut-off count pro rata.
 * @example precisionAtK([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) // 0.5 (k = 2: 0.8 hit, 0.4 miss)
 * @throws ProteusError PROTEUS_MODELS_METRIC_SINGLE_CLASS when k defaults to 0 because `yTrue` has no anomaly
 * @throws ProteusError PROTEUS_MODELS_METRIC_K for a k that is not an integer in 1..n
 * @throws ProteusError PROTEUS_MODELS_METRIC_NAN / _LABELS / _LENGTH / _EMPTY for bad inputs
 */
export function precisionAtK(yTrue: NumericArray, scores: NumericArray, options: PrecisionAtKOptions = {}): number {
  checkSameLength('precisionAtK', yTrue, 'labels', scores, 'scores');
  checkFiniteScores('precisionAtK', scores);
  const positives = countBinaryPositives('precisionAtK', yTrue);
  const k = options.k ?? positives;
  if (options.k === undefined && positives === 0) {
    throw new ProteusError(
      'PROTEUS_MODELS_METRIC_SINGLE_CLASS',
      `models/precisionAtK: none of the ${yTrue.length} labels is 1 (anomaly), so the default k (number of anomalies) is 0. Pass { k } explicitly.`,
    );
  }
  if (!Number.isInteger(k) || k < 1 || k > yTrue.length) {
    throw new ProteusError(
      'PROTEUS_MODELS_METRIC_K',
      `models/precisionAtK: k must be an integer in 1..${yTrue.length}, got ${String(k)}.`,
    );
  }
  const order = orderByScoreDescending(scores);
  let hits = 0;
  let start = 0;
  while (start < k) {
    const value = scores[order[start] as number] as number;
    let end = start;
    let groupPositives = 0;
    while (end < order.length && scores[order[end] as number] === value) {
      if (yTrue[order[end] as number] === 1) groupPositives++;
      end++;
    }
    const taken = Math.min(end, k) - start;
    hits += end <= k ? groupPositives : (groupPositives * taken) / (end - start);
    start = end;
  }
  return hits / k;
}
