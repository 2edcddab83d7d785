import { ProteusError } from '@proteus-wf/core';
import { accuracy } from './metrics/accuracy.js';
import { averagePrecision } from './metrics/average-precision.js';
import { precisionAtK } from './metrics/precision-at-k.js';
import { precisionRecallF1 } from './metrics/precision-recall-f1.js';
import { rocAuc } from './metrics/roc-auc.js';

/**
 * The metrics `proteus train` / `evaluate` report. Threshold metrics use the arg-max class; binary labels average
 * on the anomaly class, multi-class labels are `weighted` (the GNN paper's choice). The ranking metrics (ROC-AUC,
 * AP, P@k with k = number of anomalies) are computed on the continuous anomaly score `1 - P(normal)` against
 * normal-vs-anomalous truth, and are `null` when that truth holds a single class (they are undefined then).
 */
export interface ClassificationSummary {
  /** Items scored (runs for graph-level models, jobs for node-level ones). */
  count: number;
  /** Items whose truth is not `normal`. */
  anomalies: number;
  accuracy: number;
  precision: number;
  recall: number;
  f1: number;
  rocAuc: number | null;
  averagePrecision: number | null;
  precisionAtK: number | null;
  /** `matrix[i][j]`: items of class `classes[i]` predicted as `classes[j]`. */
  confusionMatrix: number[][];
  classes: string[];
  /**
   * SSL detectors only: the anomaly-score threshold behind the predictions (score above it = anomalous), saved at
   * training time. Absent for classifiers, whose prediction is the arg-max class.
   */
  threshold?: number;
}

/**
 * Summarizes class probabilities against true class indices (class 0 = normal).
 * @example summarizeClassification(Int32Array.from([0, 1]), Float32Array.from([0.9, 0.1, 0.2, 0.8]), ['normal', 'anomalous'])
 * @throws ProteusError PROTEUS_MODELS_INVALID_INPUT when the probabilities do not have `truth.length * classes` values
 * @throws ProteusError PROTEUS_MODELS_METRIC_NAN when a probability is NaN
 */
export function summarizeClassification(
  truth: ArrayLike<number>,
  probabilities: ArrayLike<number>,
  classes: readonly string[],
): ClassificationSummary {
  const count = truth.length;
  const width = classes.length;
  if (probabilities.length !== count * width || count === 0) {
    throw new ProteusError(
      'PROTEUS_MODELS_INVALID_INPUT',
      `models/summarizeClassification: ${probabilities.length} probabilities for ${count} items of ${width} classes; expected ${count * width} (and at least one item).`,
    );
  }
  const predicted = new Int32Array(count);
  const anomalyScore = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    let best = 0;
    for (let c = 1; c < width; c++)
      if ((probabilities[i * width + c] as number) > (probabilities[i * width + best] as number)) best = c;
    predicted[i] = best;
    anomalyScore[i] = 1 - (probabilities[i * width] as number);
  }
  return summarizeDecisions(truth, predicted, anomalyScore, classes);
}

/**
 * The metrics of {@link summarizeClassification} from decided classes and a continuous anomaly score: threshold
 * metrics on `predicted`, ranking metrics on `anomalyScore` against normal-vs-anomalous truth. Shared by classifiers
 * (arg-max, 1 - P(normal)) and SSL detectors (score above the saved threshold, the score itself).
 */
export function summarizeDecisions(
  truth: ArrayLike<number>,
  predicted: ArrayLike<number>,
  anomalyScore: ArrayLike<number>,
  classes: readonly string[],
): ClassificationSummary {
  const count = truth.length;
  const binaryTruth = Uint8Array.from(truth, (t) => (t === 0 ? 0 : 1));
  const anomalies = binaryTruth.reduce((sum, v) => sum + v, 0);
  const labels = classes.map((_, i) => i);
  const scores =
    classes.length === 2
      ? precisionRecallF1(truth, predicted, { average: 'binary', positiveLabel: 1 })
      : precisionRecallF1(truth, predicted, { average: 'weighted', labels });
  const bothClasses = anomalies > 0 && anomalies < count;
  const matrix = labels.map(() => labels.map(() => 0));
  for (let i = 0; i < count; i++) {
    const row = matrix[truth[i] as number];
    if (row) row[predicted[i] as number] = (row[predicted[i] as number] as number) + 1;
  }
  return {
    count,
    anomalies,
    accuracy: accuracy(truth, predicted),
    precision: scores.precision,
    recall: scores.recall,
    f1: scores.f1,
    rocAuc: bothClasses ? rocAuc(binaryTruth, anomalyScore) : null,
    averagePrecision: anomalies > 0 ? averagePrecision(binaryTruth, anomalyScore) : null,
    precisionAtK: anomalies > 0 ? precisionAtK(binaryTruth, anomalyScore) : null,
    confusionMatrix: matrix,
    classes: [...classes],
  };
}
