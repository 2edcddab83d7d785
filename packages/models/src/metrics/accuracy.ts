import { checkIntegerLabels, checkSameLength, type NumericArray } from './validate.js';

/**
 * Share of predictions equal to the truth (sklearn `accuracy_score`).
 * @example accuracy([0, 1, 1, 0], [0, 1, 0, 0]) // 0.75
 * @throws ProteusError PROTEUS_MODELS_METRIC_LABELS for non-integer labels
 * @throws ProteusError PROTEUS_MODELS_METRIC_LENGTH / PROTEUS_MODELS_METRIC_EMPTY for mismatched or empty inputs
 */
export function accuracy(yTrue: NumericArray, yPred: NumericArray): number {
  checkSameLength('accuracy', yTrue, 'labels', yPred, 'predictions');
  checkIntegerLabels('accuracy', yTrue, 'yTrue');
  checkIntegerLabels('accuracy', yPred, 'yPred');
  let correct = 0;
  for (let i = 0; i < yTrue.length; i++) if (yTrue[i] === yPred[i]) correct++;
  return correct / yTrue.length;
}
