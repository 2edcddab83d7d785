import { averagePrecision } from '../metrics/average-precision.js';
import { precisionAtK } from '../metrics/precision-at-k.js';
import { rocAuc } from '../metrics/roc-auc.js';
import type { NumericArray } from '../metrics/validate.js';

/** Ranking metrics of an anomaly detector on binary job labels (continuous scores, higher = more anomalous). */
export interface DetectionSummary {
  /** ROC-AUC; null when the labels hold a single class. */
  rocAuc: number | null;
  /** Average precision (sklearn, step-wise); null without anomalies. */
  averagePrecision: number | null;
  /** Precision among the k highest scores, k = number of anomalies; null without anomalies. */
  precisionAtK: number | null;
  /** Items scored, and how many are anomalous. */
  count: number;
  anomalies: number;
}

/**
 * ROC-AUC, AP and P@k of continuous anomaly scores against 0/1 labels (ml.md §4), with null where a metric is
 * undefined (a single class) instead of an error, so a table over many parts can still be printed.
 * @example summarizeDetection([0, 1, 0, 1], [0.1, 0.9, 0.3, 0.4]).rocAuc // 1
 * @throws ProteusError PROTEUS_MODELS_METRIC_LENGTH / _LABELS / _NAN for mismatched lengths, non-0/1 labels or NaN scores
 */
export function summarizeDetection(labels: NumericArray, scores: NumericArray): DetectionSummary {
  let anomalies = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i] === 1) anomalies++;
  const both = anomalies > 0 && anomalies < labels.length;
  return {
    rocAuc: both ? rocAuc(labels, scores) : null,
    averagePrecision: anomalies > 0 ? averagePrecision(labels, scores) : null,
    precisionAtK: anomalies > 0 ? precisionAtK(labels, scores) : null,
    count: labels.length,
    anomalies,
  };
}
