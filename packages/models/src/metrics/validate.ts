import { ProteusError } from '@proteus-wf/core';

/** Anything indexable by position: `number[]`, `Float32Array`, `Int32Array`... */
export type NumericArray = ArrayLike<number>;

/** Checks two inputs have the same non-zero length; `what` names the calling metric in messages. */
export function checkSameLength(what: string, a: NumericArray, aName: string, b: NumericArray, bName: string): void {
  if (a.length !== b.length) {
    throw new ProteusError(
      'PROTEUS_MODELS_METRIC_LENGTH',
      `models/${what}: ${aName} has ${a.length} entries but ${bName} has ${b.length}. Pass one ${bName.replace(/s$/, '')} per ${aName.replace(/s$/, '')}.`,
    );
  }
  if (a.length === 0) {
    throw new ProteusError(
      'PROTEUS_MODELS_METRIC_EMPTY',
      `models/${what}: got 0 samples; a metric needs at least one.`,
    );
  }
}

/** Checks every score is a finite number (NaN or infinite scores make rankings meaningless). */
export function checkFiniteScores(what: string, scores: NumericArray): void {
  for (let i = 0; i < scores.length; i++) {
    const value = scores[i] as number;
    if (!Number.isFinite(value)) {
      throw new ProteusError(
        'PROTEUS_MODELS_METRIC_NAN',
        `models/${what}: score at index ${i} is ${String(value)}; scores must be finite. Check the model output or the input features for NaN.`,
        { details: { index: i, value: String(value) } },
      );
    }
  }
}

/** Checks labels are 0/1 and returns the number of positives. */
export function countBinaryPositives(what: string, yTrue: NumericArray): number {
  let positives = 0;
  for (let i = 0; i < yTrue.length; i++) {
    const label = yTrue[i];
    if (label === 1) positives++;
    else if (label !== 0) {
      throw new ProteusError(
        'PROTEUS_MODELS_METRIC_LABELS',
        `models/${what}: label at index ${i} is ${String(label)}; this metric needs binary labels 0 (normal) and 1 (anomaly).`,
        { details: { index: i, value: String(label) } },
      );
    }
  }
  return positives;
}

/** Checks class labels are integers (NaN or fractional labels are a caller bug). */
export function checkIntegerLabels(what: string, labels: NumericArray, name: string): void {
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i] as number;
    if (!Number.isInteger(label)) {
      throw new ProteusError(
        'PROTEUS_MODELS_METRIC_LABELS',
        `models/${what}: ${name}[${i}] is ${String(label)}; class labels must be integers.`,
        { details: { index: i, value: String(label) } },
      );
    }
  }
}

/** Indices sorted by descending score; equal scores keep their input order. */
export function orderByScoreDescending(scores: NumericArray): Uint32Array {
  const order = new Uint32Array(scores.length);
  for (let i = 0; i < order.length; i++) order[i] = i;
  return order.sort((a, b) => (scores[b] as number) - (scores[a] as number) || a - b);
}
