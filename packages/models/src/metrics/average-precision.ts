/*
 * Average precision with sklearn's semantics (`average_precision_score`): AP = Σ_n (R_n − R_{n−1}) · P_n over the
 * distinct score thresholds in descending order, step-wise with no interpolation; tied scores enter together.
 * Reference: Manning, Raghavan, Schütze, "Introduction to Information Retrieval" (2008), §8.4; sklearn 1.2 docs.
 */
import { ProteusError } from '@proteus-wf/core';
import {
  checkFiniteScores,
  checkSameLength,
  countBinaryPositives,
  type NumericArray,
  orderByScoreDescending,
} from './validate.js';

/**
 * Average precision of continuous anomaly scores (higher = more anomalous), step-wise over distinct thresholds.
 * @example averagePrecision([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) // 0.8333333333333333
 * @throws ProteusError PROTEUS_MODELS_METRIC_SINGLE_CLASS when `yTrue` has no anomaly (recall is undefined)
 * @throws ProteusError PROTEUS_MODELS_METRIC_NAN for a NaN or infinite score
 * @throws ProteusError PROTEUS_MODELS_METRIC_LABELS for labels other than 0/1
 * @throws ProteusError PROTEUS_MODELS_METRIC_LENGTH / PROTEUS_MODELS_METRIC_EMPTY for mismatched or empty inputs
 */
export function averagePrecision(yTrue: NumericArray, scores: NumericArray): number {
  checkSameLength('averagePrecision', yTrue, 'labels', scores, 'scores');
  checkFiniteScores('averagePrecision', scores);
  const positives = countBinaryPositives('averagePrecision', yTrue);
  if (positives === 0) {
    throw new ProteusError(
      'PROTEUS_MODELS_METRIC_SINGLE_CLASS',
      `models/averagePrecision: none of the ${yTrue.length} labels is 1 (anomaly); average precision is undefined without positives.`,
      { details: { positives } },
    );
  }
  const order = orderByScoreDescending(scores);
  let truePositives = 0;
  let seen = 0;
  let previousRecall = 0;
  let sum = 0;
  let start = 0;
  while (start < order.length) {
    const value = scores[order[start] as number] as number;
    let end = start;
    while (end < order.length && scores[order[end] as number] === value) {
      if (yTrue[order[end] as number] === 1) truePositives++;
      end++;
    }
    seen = end;
    const recall = truePositives / positives;
    sum += (recall - previousRecall) * (truePositives / seen);
    previousRecall = recall;
    start = end;
  }
  return sum;
}
