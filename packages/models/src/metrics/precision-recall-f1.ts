import { ProteusError } from '@proteus-wf/core';
import { confusionMatrix, unionOfLabels } from './confusion-matrix.js';
import { checkIntegerLabels, checkSameLength, type NumericArray } from './validate.js';

/** How per-class scores combine: `binary` reports the positive class only; `macro` and `weighted` average classes. */
export type Averaging = 'binary' | 'macro' | 'weighted';

/** Options of {@link precisionRecallF1}. */
export interface PrecisionRecallF1Options {
  /** Default `binary` (the anomaly class). */
  average?: Averaging;
  /** The class reported by `binary`; default 1 (anomaly). */
  positiveLabel?: number;
  /** Classes to average over for `macro`/`weighted`; default: the sorted union of labels seen. */
  labels?: readonly number[];
}

/** Precision, recall and F1 (with the support: how many samples of the reported classes there are). */
export interface PrecisionRecallF1 {
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

/**
 * Precision, recall and F1 with sklearn's semantics (`precision_recall_fscore_support`, zero_division = 0):
 * `binary` on the positive class, `macro` = unweighted mean over classes, `weighted` = mean weighted by support.
 * @example precisionRecallF1([0, 1, 1, 0], [0, 1, 0, 1]) // { precision: 0.5, recall: 0.5, f1: 0.5, support: 2 }
 * @example precisionRecallF1([0, 1, 2, 2], [0, 2, 2, 2], { average: 'weighted' })
 * @throws ProteusError PROTEUS_MODELS_METRIC_LABELS when `binary` meets more than two classes or non-integer labels
 * @throws ProteusError PROTEUS_MODELS_METRIC_LENGTH / PROTEUS_MODELS_METRIC_EMPTY for mismatched or empty inputs
 */
export function precisionRecallF1(
  yTrue: NumericArray,
  yPred: NumericArray,
  options: PrecisionRecallF1Options = {},
): PrecisionRecallF1 {
  checkSameLength('precisionRecallF1', yTrue, 'labels', yPred, 'predictions');
  checkIntegerLabels('precisionRecallF1', yTrue, 'yTrue');
  checkIntegerLabels('precisionRecallF1', yPred, 'yPred');
  const average = options.average ?? 'binary';
  const positiveLabel = options.positiveLabel ?? 1;
  const seen = unionOfLabels(yTrue, yPred);
  if (average === 'binary') {
    if (seen.length > 2 || (seen.length === 2 && !seen.includes(positiveLabel))) {
      throw new ProteusError(
        'PROTEUS_MODELS_METRIC_LABELS',
        `models/precisionRecallF1: average 'binary' needs two classes including ${positiveLabel}, got classes [${seen.join(', ')}]. Use { average: 'macro' } or { average: 'weighted' } for multi-class labels.`,
        { details: { labels: seen } },
      );
    }
    const perClass = perClassScores(yTrue, yPred, [positiveLabel]);
    return perClass[0] as PrecisionRecallF1;
  }
  const labels = options.labels ? [...options.labels] : seen;
  const perClass = perClassScores(yTrue, yPred, labels);
  const totalSupport = perClass.reduce((sum, entry) => sum + entry.support, 0);
  // Same order of operations as numpy's np.average: Σ w·x / Σ w.
  const weightOf = (entry: PrecisionRecallF1): number => (average === 'macro' ? 1 : entry.support);
  const weightSum = perClass.reduce((sum, entry) => sum + weightOf(entry), 0);
  let precision = 0;
  let recall = 0;
  let f1 = 0;
  if (weightSum > 0) {
    for (const entry of perClass) {
      precision += weightOf(entry) * entry.precision;
      recall += weightOf(entry) * entry.recall;
      f1 += weightOf(entry) * entry.f1;
    }
    precision /= weightSum;
    recall /= weightSum;
    f1 /= weightSum;
  }
  return { precision, recall, f1, support: totalSupport };
}

function perClassScores(yTrue: NumericArray, yPred: NumericArray, labels: readonly number[]): PrecisionRecallF1[] {
  const { labels: all, matrix } = confusionMatrix(yTrue, yPred, { labels: unionOfLabels(yTrue, yPred) });
  return labels.map((label) => {
    const i = all.indexOf(label);
    if (i < 0) return { precision: 0, recall: 0, f1: 0, support: 0 };
    const row = matrix[i] as number[];
    const truePositives = row[i] as number;
    const support = row.reduce((sum, count) => sum + count, 0);
    const predicted = matrix.reduce((sum, other) => sum + (other[i] as number), 0);
    const precision = predicted === 0 ? 0 : truePositives / predicted;
    const recall = support === 0 ? 0 : truePositives / support;
    const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
    return { precision, recall, f1, support };
  });
}
