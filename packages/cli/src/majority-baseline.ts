import { accuracy, type ClassificationSummary, precisionRecallF1 } from '@proteus-wf/models';

/**
 * The scores of a model that predicts the most frequent true class for every item, measured with the same metric
 * definitions as the model's own (binary precision/recall/F1 of the anomalous class for two classes, support-weighted
 * for more). A model must beat these to have learned anything.
 */
export interface MajorityBaseline {
  majorityClass: string;
  accuracy: number;
  precision: number;
  recall: number;
  f1: number;
}

type Decisions = Pick<ClassificationSummary, 'confusionMatrix' | 'classes'>;

/**
 * The majority-class baseline of a test set, from the confusion matrix of any model scored on it; null when empty.
 * @example majorityBaseline(result.test) // { majorityClass: 'anomalous', accuracy: 0.84, ... }
 */
export function majorityBaseline(metrics: Decisions): MajorityBaseline | null {
  const support = metrics.confusionMatrix.map((row) => row.reduce((sum, n) => sum + n, 0));
  const total = support.reduce((sum, n) => sum + n, 0);
  if (total === 0) return null;
  const majority = support.indexOf(Math.max(...support));
  const truth = support.flatMap((n, label) => Array.from({ length: n }, () => label));
  const predicted = truth.map(() => majority);
  const labels = metrics.classes.map((_, i) => i);
  const scores =
    metrics.classes.length === 2
      ? precisionRecallF1(truth, predicted, { average: 'binary', positiveLabel: 1 })
      : precisionRecallF1(truth, predicted, { average: 'weighted', labels });
  return {
    majorityClass: metrics.classes[majority] ?? String(majority),
    accuracy: accuracy(truth, predicted),
    precision: scores.precision,
    recall: scores.recall,
    f1: scores.f1,
  };
}

/**
 * The class a model predicted for every item of the test set, or null when its predictions differ.
 * @example predictedSingleClass(result.test) // 'anomalous'
 */
export function predictedSingleClass(metrics: Decisions): string | null {
  const width = metrics.classes.length;
  const predictedPerClass = Array.from({ length: width }, (_, column) =>
    metrics.confusionMatrix.reduce((sum, row) => sum + (row[column] ?? 0), 0),
  );
  const used = predictedPerClass.flatMap((n, column) => (n > 0 ? [column] : []));
  return used.length === 1 ? (metrics.classes[used[0] as number] ?? null) : null;
}
