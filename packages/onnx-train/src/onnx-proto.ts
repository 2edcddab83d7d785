// A minimal protobuf writer for the subset of onnx.proto (IR version 8) that Proteus emits: ModelProto, GraphProto,
// NodeProto, AttributeProto, TensorProto, ValueInfoProto. Field numbers follow onnx/onnx.proto3 (onnx 1.14).
// Why hand-written and not protobufjs: see docs/decisions/models-engine.md in the repository.

/** ONNX TensorProto.DataType numbers for the dtypes the builder uses. */
export const ONNX_DATA_TYPE = { float32: 1, int64: 7, bool: 9, float64: 11 } as const;

export type TensorDataType = keyof typeof ONNX_DATA_TYPE;

/** A dense tensor literal (initializer, constant or tensor attribute). */
export interface TensorLiteral {
  dtype: TensorDataType;
  dims: readonly number[];
  data: Float32Array | Float64Array | BigInt64Array | Uint8Array;
}

/** One attribute of a node. */
export type AttributeLiteral =
  | { name: string; type: 'int'; value: number }
  | { name: string; type: 'float'; value: number }
  | { name: string; type: 'string'; value: string }
  | { name: string; type: 'ints'; value: readonly number[] }
  | { name: string; type: 'floats'; value: readonly number[] }
  | { name: string; type: 'tensor'; value: TensorLiteral };

export interface NodeLiteral {
  opType: string;
  domain?: string;
  name: string;
  inputs: readonly string[];
  outputs: readonly string[];
  attributes: readonly AttributeLiteral[];
}

export interface ValueInfoLiteral {
  name: string;
  dtype: TensorDataType;
  /** numbers are fixed sizes, strings are symbolic (dim_param). */
  shape: readonly (number | string)[];
}

export interface ModelLiteral {
  irVersion: number;
  opset: number;
  producerName: string;
  producerVersion: string;
  graph: {
    name: string;
    nodes: readonly NodeLiteral[];
    initializers: readonly (TensorLiteral & { name: string })[];
    inputs: readonly ValueInfoLiteral[];
    outputs: readonly ValueInfoLiteral[];
  };
}

const encoder = new TextEncoder();

/** Growable byte sink with protobuf wire-format primitives. */
class Writer {
  private buffer = new Uint8Array(256);
  private length = 0;

  private reserve(extra: number): void {
    if (this.length + extra <= this.buffer.length) return;
    let size = this.buffer.length * 2;
    while (size < this.length + extra) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buffer.subarray(0, this.length));
    this.buffer = next;
  }

  private byte(value: number): void {
    this.reserve(1);
    this.buffer[this.length++] = value;
  }

  varint(value: number | bigint): void {
    // int64 fields: negative numbers use the 10-byte two's complement form.
    let v = BigInt.asUintN(64, BigInt(value));
    if (v < 0x80n) {
      this.byte(Number(v));
      return;
    }
    while (v >= 0x80n) {
      this.byte(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    this.byte(Number(v));
  }

  tag(field: number, wireType: 0 | 1 | 2 | 5): void {
    this.varint((field << 3) | wireType);
  }

  bytes(field: number, data: Uint8Array): void {
    this.tag(field, 2);
    this.varint(data.length);
    this.reserve(data.length);
    this.buffer.set(data, this.length);
    this.length += data.length;
  }

  string(field: number, value: string): void {
    this.bytes(field, encoder.encode(value));
  }

  int(field: number, value: number | bigint): void {
    this.tag(field, 0);
    this.varint(value);
  }

  float(field: number, value: number): void {
    this.tag(field, 5);
    const scratch = new DataView(new ArrayBuffer(4));
    scratch.setFloat32(0, value, true);
    this.bytes4(scratch);
  }

  private bytes4(view: DataView): void {
    this.reserve(4);
    for (let i = 0; i < 4; i++) this.buffer[this.length++] = view.getUint8(i);
  }

  packedInts(field: number, values: readonly number[]): void {
    const inner = new Writer();
    for (const value of values) inner.varint(value);
    this.bytes(field, inner.finish());
  }

  packedFloats(field: number, values: readonly number[]): void {
    this.bytes(field, new Uint8Array(Float32Array.from(values).buffer));
  }

  finish(): Uint8Array {
    return this.buffer.slice(0, this.length);
  }
}

function littleEndianBytes(data: TensorLiteral['data']): Uint8Array {
  // Every platform onnxruntime-node ships for is little-endian, so the typed array memory is the raw_data layout.
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

function encodeTensor(tensor: TensorLiteral, name?: string): Uint8Array {
  const w = new Writer();
  if (tensor.dims.length > 0) w.packedInts(1, tensor.dims);
  w.int(2, ONNX_DATA_TYPE[tensor.dtype]);
  if (name !== undefined) w.string(8, name);
  w.bytes(9, littleEndianBytes(tensor.data));
  return w.finish();
}

const ATTRIBUTE_TYPE = { float: 1, int: 2, string: 3, tensor: 4, floats: 6, ints: 7 } as const;

function encodeAttribute(attribute: AttributeLiteral): Uint8Array {
  const w = new Writer();
  w.string(1, attribute.name);
  switch (attribute.type) {
    case 'float':
      w.float(2, attribute.value);
      break;
    case 'int':
      w.int(3, attribute.value);
      break;
    case 'string':
      w.bytes(4, encoder.encode(attribute.value));
      break;
    case 'tensor':
      w.bytes(5, encodeTensor(attribute.value));
      break;
    case 'floats':
      w.packedFloats(7, attribute.value);
      break;
    case 'ints':
      w.packedInts(8, attribute.value);
      break;
  }
  w.int(20, ATTRIBUTE_TYPE[attribute.type]);
  return w.finish();
}

function encodeNode(node: NodeLiteral): Uint8Array {
  const w = new Writer();
  for (const input of node.inputs) w.string(1, input);
  for (const output of node.outputs) w.string(2, output);
  w.string(3, node.name);
  w.string(4, node.opType);
  for (const attribute of node.attributes) w.bytes(5, encodeAttribute(attribute));
  if (node.domain) w.string(7, node.domain);
  return w.finish();
}

function encodeValueInfo(info: ValueInfoLiteral): Uint8Array {
  const shape = new Writer();
  for (const dim of info.shape) {
    const d = new Writer();
    if (typeof dim === 'number') d.int(1, dim);
    else d.string(2, dim);
    shape.bytes(1, d.finish());
  }
  const tensorType = new Writer();
  tensorType.int(1, ONNX_DATA_TYPE[info.dtype]);
  tensorType.bytes(2, shape.finish());
  const type = new Writer();
  type.bytes(1, tensorType.finish());
  const w = new Writer();
  w.string(1, info.name);
  w.bytes(2, type.finish());
  return w.finish();
}

/** Serializes a model literal to ONNX ModelProto bytes. */
export function encodeModel(model: ModelLiteral): Uint8Array {
  const graph = new Writer();
  for (const node of model.graph.nodes) graph.bytes(1, encodeNode(node));
  graph.string(2, model.graph.name);
  for (const initializer of model.graph.initializers) graph.bytes(5, encodeTensor(initializer, initializer.name));
  for (const input of model.graph.inputs) graph.bytes(11, encodeValueInfo(input));
  for (const output of model.graph.outputs) graph.bytes(12, encodeValueInfo(output));

  const opset = new Writer();
  opset.string(1, '');
  opset.int(2, model.opset);

  const w = new Writer();
  w.int(1, model.irVersion);
  w.string(2, model.producerName);
  w.string(3, model.producerVersion);
  w.bytes(7, graph.finish());
  w.bytes(8, opset.finish());
  return w.finish();
}
