import { checkIntegerLabels, checkSameLength, type NumericArray } from './validate.js';

/** A confusion matrix: `matrix[i][j]` counts samples of true class `labels[i]` predicted as `labels[j]`. */
export interface ConfusionMatrix {
  labels: number[];
  matrix: number[][];
}

/** Options of {@link confusionMatrix}. */
export interface ConfusionMatrixOptions {
  /** Class labels in row/column order; default: the sorted union of labels seen in `yTrue` and `yPred`. */
  labels?: readonly number[];
}

/**
 * Counts (true class, predicted class) pairs, like sklearn's `confusion_matrix` (rows = truth, columns = prediction).
 * @example confusionMatrix([0, 1, 1], [0, 0, 1]) // { labels: [0, 1], matrix: [[1, 0], [1, 1]] }
 * @throws ProteusError PROTEUS_MODELS_METRIC_LABELS for non-integer labels
 * @throws ProteusError PROTEUS_MODELS_METRIC_LENGTH / PROTEUS_MODELS_METRIC_EMPTY for mismatched or empty inputs
 */
export function confusionMatrix(
  yTrue: NumericArray,
  yPred: NumericArray,
  options: ConfusionMatrixOptions = {},
): ConfusionMatrix {
  checkSameLength('confusionMatrix', yTrue, 'labels', yPred, 'predictions');
  checkIntegerLabels('confusionMatrix', yTrue, 'yTrue');
  checkIntegerLabels('confusionMatrix', yPred, 'yPred');
  const labels = options.labels ? [...options.labels] : unionOfLabels(yTrue, yPred);
  const index = new Map(labels.map((label, i) => [label, i]));
  const matrix = labels.map(() => labels.map(() => 0));
  for (let i = 0; i < yTrue.length; i++) {
    const row = index.get(yTrue[i] as number);
    const column = index.get(yPred[i] as number);
    // sklearn drops samples whose true or predicted label is outside `labels`.
    if (row === undefined || column === undefined) continue;
    (matrix[row] as number[])[column] = ((matrix[row] as number[])[column] as number) + 1;
  }
  return { labels, matrix };
}

/** The sorted distinct labels of both arrays. */
export function unionOfLabels(yTrue: NumericArray, yPred: NumericArray): number[] {
  const seen = new Set<number>();
  for (let i = 0; i < yTrue.length; i++) seen.add(yTrue[i] as number);
  for (let i = 0; i < yPred.length; i++) seen.add(yPred[i] as number);
  return [...seen].sort((a, b) => a - b);
}
