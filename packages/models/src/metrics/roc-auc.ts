/*
 * ROC-AUC with sklearn's semantics (`roc_auc_score` on binary labels and continuous scores): the area under the
 * step ROC curve, where tied scores form one diagonal segment, i.e. ties count one half. Computed exactly from
 * average ranks (Mann-Whitney U), which equals sklearn's trapezoid over distinct thresholds.
 * Reference: Fawcett, "An introduction to ROC analysis", Pattern Recognition Letters 27 (2006), §7.
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
 * Area under the ROC curve of continuous anomaly scores (higher = more anomalous); tied scores count one half.
 * @example rocAuc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) // 0.75
 * @throws ProteusError PROTEUS_MODELS_METRIC_SINGLE_CLASS when `yTrue` holds only one class (sklearn raises too)
 * @throws ProteusError PROTEUS_MODELS_METRIC_NAN for a NaN or infinite score
 * @throws ProteusError PROTEUS_MODELS_METRIC_LABELS for labels other than 0/1
 * @throws ProteusError PROTEUS_MODELS_METRIC_LENGTH / PROTEUS_MODELS_METRIC_EMPTY for mismatched or empty inputs
 */
export function rocAuc(yTrue: NumericArray, scores: NumericArray): number {
  checkSameLength('rocAuc', yTrue, 'labels', scores, 'scores');
  checkFiniteScores('rocAuc', scores);
  const positives = countBinaryPositives('rocAuc', yTrue);
  const negatives = yTrue.length - positives;
  if (positives === 0 || negatives === 0) {
    throw new ProteusError(
      'PROTEUS_MODELS_METRIC_SINGLE_CLASS',
      `models/rocAuc: all ${yTrue.length} labels are ${positives === 0 ? '0 (normal)' : '1 (anomaly)'}; ROC-AUC is undefined with one class. Evaluate on data that holds both normal and anomalous jobs.`,
      { details: { positives, negatives } },
    );
  }
  // Walk from the lowest score up; for each tie group, every positive beats all lower negatives and half the tied ones.
  const order = orderByScoreDescending(scores).reverse();
  let negativesBelow = 0;
  let twiceWins = 0; // 2 x (pairs won + half of tied pairs), an integer so the sum stays exact
  let start = 0;
  while (start < order.length) {
    const value = scores[order[start] as number] as number;
    let end = start;
    let groupPositives = 0;
    while (end < order.length && scores[order[end] as number] === value) {
      if (yTrue[order[end] as number] === 1) groupPositives++;
      end++;
    }
    const groupNegatives = end - start - groupPositives;
    twiceWins += groupPositives * (2 * negativesBelow + groupNegatives);
    negativesBelow += groupNegatives;
    start = end;
  }
  return twiceWins / (2 * positives * negatives);
}
