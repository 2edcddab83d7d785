// Reads the float32 initializers (the weights) back out of ONNX ModelProto bytes: just enough protobuf decoding for
// ModelProto.graph (7) -> GraphProto.initializer (5) -> TensorProto dims (1), data_type (2), float_data (4), name (8),
// raw_data (9). The uncertainty graphs need the weights of a saved model to rebuild it with a backward pass.
import { ProteusError } from '@proteus-wf/core';
import type { ModelWeights } from '../../graphs/model-spec.js';

interface Field {
  field: number;
  wire: number;
  /** Varint value (wire 0). */
  value: number;
  /** Payload (wire 2). */
  bytes?: Uint8Array;
}

function fail(message: string): never {
  throw new ProteusError('PROTEUS_MODELS_BAD_ONNX', `models/readOnnxInitializers: ${message}`);
}

function* fields(buffer: Uint8Array): Generator<Field> {
  let pos = 0;
  const varint = (): number => {
    let result = 0;
    let shift = 0;
    for (;;) {
      if (pos >= buffer.length) fail('truncated varint');
      const byte = buffer[pos++] as number;
      result += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7;
      if (shift > 63) fail('varint too long');
    }
  };
  while (pos < buffer.length) {
    const key = varint();
    const field = Math.floor(key / 8);
    const wire = key & 7;
    if (wire === 0) yield { field, wire, value: varint() };
    else if (wire === 1) {
      pos += 8;
      yield { field, wire, value: 0 };
    } else if (wire === 5) {
      pos += 4;
      yield { field, wire, value: 0 };
    } else if (wire === 2) {
      const length = varint();
      if (pos + length > buffer.length) fail('truncated length-delimited field');
      yield { field, wire, value: length, bytes: buffer.subarray(pos, pos + length) };
      pos += length;
    } else fail(`unsupported wire type ${wire}`);
  }
}

function packedVarints(bytes: Uint8Array): number[] {
  const out: number[] = [];
  let pos = 0;
  while (pos < bytes.length) {
    let result = 0;
    let shift = 0;
    for (;;) {
      const byte = bytes[pos++] as number;
      result += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) break;
      shift += 7;
    }
    out.push(result);
  }
  return out;
}

/**
 * The float32 initializers of an ONNX model, by name (row-major, shape from `dims`).
 * @throws ProteusError PROTEUS_MODELS_BAD_ONNX when the bytes are not a decodable ModelProto
 */
export function readOnnxInitializers(bytes: Uint8Array): ModelWeights {
  const weights: ModelWeights = {};
  for (const model of fields(bytes)) {
    if (model.field !== 7 || !model.bytes) continue;
    for (const graph of fields(model.bytes)) {
      if (graph.field !== 5 || !graph.bytes) continue;
      let name = '';
      let dtype = 0;
      const dims: number[] = [];
      let raw: Uint8Array | undefined;
      let floats: Float32Array | undefined;
      for (const t of fields(graph.bytes)) {
        if (t.field === 1) {
          if (t.bytes) dims.push(...packedVarints(t.bytes));
          else dims.push(t.value);
        } else if (t.field === 2) dtype = t.value;
        else if (t.field === 8 && t.bytes) name = new TextDecoder().decode(t.bytes);
        else if (t.field === 9 && t.bytes) raw = t.bytes;
        else if (t.field === 4 && t.bytes) floats = new Float32Array(t.bytes.slice().buffer);
      }
      if (dtype !== 1) continue;
      const size = dims.reduce((p, d) => p * d, 1);
      const data = raw ? new Float32Array(raw.slice().buffer) : (floats ?? new Float32Array(0));
      if (data.length !== size) fail(`initializer "${name}" has ${data.length} values for dims [${dims.join(',')}]`);
      weights[name] = { shape: dims, data };
    }
  }
  return weights;
}
