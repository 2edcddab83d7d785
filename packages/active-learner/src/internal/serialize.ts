// Lossless JSON encoding of Float32Arrays (little-endian bytes as base64) for checkpoints.
import type { ModelWeights } from '@proteus-wf/models';

/** Base64 of the array's bytes. */
export function encodeFloats(values: Float32Array): string {
  return Buffer.from(values.buffer, values.byteOffset, values.byteLength).toString('base64');
}

/** Inverse of `encodeFloats`. */
export function decodeFloats(text: string): Float32Array {
  const bytes = Buffer.from(text, 'base64');
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return new Float32Array(copy.buffer);
}

/** Weights as `{ name: { shape, data: base64 } }`. */
export function encodeWeights(weights: ModelWeights): Record<string, { shape: number[]; data: string }> {
  return Object.fromEntries(
    Object.entries(weights).map(([name, w]) => [name, { shape: [...w.shape], data: encodeFloats(w.data) }]),
  );
}

/** Inverse of `encodeWeights`. */
export function decodeWeights(encoded: Record<string, { shape: number[]; data: string }>): ModelWeights {
  return Object.fromEntries(
    Object.entries(encoded).map(([name, w]) => [name, { shape: [...w.shape], data: decodeFloats(w.data) }]),
  );
}
