import { ProteusError } from '@proteus-wf/core';

/** Checks a row-major `[rows, width]` matrix and returns the row count. */
export function checkRows(values: Float32Array, width: number, where: string, what: string): number {
  if (!Number.isInteger(width) || width < 1) {
    throw new ProteusError(
      'PROTEUS_MODELS_INVALID_INPUT',
      `models/${where}: width must be an integer >= 1, got ${String(width)}`,
    );
  }
  if (!(values instanceof Float32Array) || values.length === 0 || values.length % width !== 0) {
    throw new ProteusError(
      'PROTEUS_MODELS_INVALID_INPUT',
      `models/${where}: ${what} must be a non-empty Float32Array of rows x ${width} values, got ${values?.length ?? 'none'}`,
    );
  }
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i] as number)) {
      throw new ProteusError(
        'PROTEUS_MODELS_NAN_INPUT',
        `models/${where}: ${what} row ${Math.floor(i / width)}, feature ${i % width} is ${String(values[i])}; impute or drop it first`,
      );
    }
  }
  return values.length / width;
}
