// Typed ONNX graph builder with static/symbolic shape inference. Every op records enough (inputs, outputs,
// attributes, constant operands) for `addGradients` to emit its vector-Jacobian product in the same graph.
// Opset 18 throughout: every Reduce*, Squeeze, Unsqueeze, Slice, Pad takes its axes/params as int64 inputs, so there
// is one convention (the opset-17 ReduceMean `axes` attribute pitfall does not arise).
import { ProteusError } from '@proteus-wf/core';
import { type AttributeLiteral, encodeModel, type TensorLiteral } from './onnx-proto.js';

/** Element types the builder emits. */
export type DType = 'float32' | 'float64' | 'int64' | 'bool';
/** A dimension: a fixed size, or a symbolic name (e.g. `'batch'`) that onnxruntime resolves per run. */
export type Dim = number | string;
/** Typed array holding a tensor of a given dtype. */
export type TensorData = Float32Array | Float64Array | BigInt64Array | Uint8Array;

/** A symbolic tensor in a graph under construction. */
export interface Value {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: readonly Dim[];
}

/** One recorded node (what the autodiff walks). */
export interface GraphNode {
  readonly op: string;
  readonly inputs: readonly (Value | undefined)[];
  readonly outputs: readonly Value[];
  readonly attributes: readonly AttributeLiteral[];
}

/** Options of `createGraphBuilder`. */
export interface GraphBuilderOptions {
  /** Graph name stored in the model. */
  name?: string;
}

/** The ONNX opset every Proteus graph uses. */
export const OPSET = 18;
const IR_VERSION = 8;

/** Gemm attributes (ONNX semantics: `alpha * op(A) op(B) + beta * C`). */
export interface GemmOptions {
  alpha?: number;
  beta?: number;
  transA?: boolean;
  transB?: boolean;
}

type Operand = Value | number;

function invalid(where: string, message: string, details?: unknown): ProteusError {
  return new ProteusError('PROTEUS_ONNX_TRAIN_GRAPH_INVALID', `onnx-train/${where}: ${message}`, { details });
}

function formatShape(shape: readonly Dim[]): string {
  return `[${shape.join(',')}]`;
}

/** Numpy broadcasting over static and symbolic dims. */
export function broadcastShapes(a: readonly Dim[], b: readonly Dim[], where = 'broadcast'): Dim[] {
  const rank = Math.max(a.length, b.length);
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da === db || db === 1) out.push(da);
    else if (da === 1) out.push(db);
    else if (typeof da === 'string' && typeof db === 'number') out.push(db);
    else if (typeof db === 'string' && typeof da === 'number') out.push(da);
    else throw invalid(where, `shapes ${formatShape(a)} and ${formatShape(b)} do not broadcast`);
  }
  return out;
}

/** Product of the dims, or undefined when one is symbolic. */
export function staticSize(shape: readonly Dim[]): number | undefined {
  let size = 1;
  for (const d of shape) {
    if (typeof d !== 'number') return undefined;
    size *= d;
  }
  return size;
}

function normalizeAxis(axis: number, rank: number, where: string): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) throw invalid(where, `axis ${axis} out of range for rank ${rank}`);
  return a;
}

function typedArrayFor(dtype: DType, values: readonly number[]): TensorData {
  switch (dtype) {
    case 'float32':
      return Float32Array.from(values);
    case 'float64':
      return Float64Array.from(values);
    case 'int64':
      return BigInt64Array.from(values, (v) => BigInt(v));
    case 'bool':
      return Uint8Array.from(values, (v) => (v ? 1 : 0));
  }
}

/**
 * Builds one ONNX graph op by op. Methods return symbolic `Value`s; `toModel()` serializes ModelProto bytes.
 * @example
 * const g = createGraphBuilder();
 * const x = g.input('x', 'float32', ['batch', 3]);
 * g.output(g.relu(x), 'y');
 * const bytes = g.toModel();
 */
export class GraphBuilder {
  readonly name: string;
  /** Recorded nodes in topological (creation) order. */
  readonly nodes: GraphNode[] = [];
  private readonly inputs: Value[] = [];
  private readonly outputs: { value: Value; name: string }[] = [];
  private readonly initializers = new Map<string, TensorLiteral>();
  private readonly constantCache = new Map<string, Value>();
  /** For int64 1-D tensors that describe a shape: the symbolic shape they hold. */
  private readonly shapeValues = new Map<string, readonly Dim[]>();
  private counter = 0;
  private readonly usedNames = new Set<string>();

  constructor(options: GraphBuilderOptions = {}) {
    this.name = options.name ?? 'proteus';
  }

  private fresh(hint: string): string {
    let name = `${hint}_${this.counter++}`;
    while (this.usedNames.has(name)) name = `${hint}_${this.counter++}`;
    this.usedNames.add(name);
    return name;
  }

  private claim(name: string, where: string): void {
    if (this.usedNames.has(name)) throw invalid(where, `name "${name}" is already used in graph "${this.name}"`);
    this.usedNames.add(name);
  }

  /** Declares a graph input. */
  input(name: string, dtype: DType, shape: readonly Dim[]): Value {
    this.claim(name, 'GraphBuilder.input');
    const value: Value = { name, dtype, shape: [...shape] };
    this.inputs.push(value);
    return value;
  }

  /** Adds a named initializer (weights baked into the model). */
  initializer(name: string, dtype: DType, shape: readonly number[], data: TensorData): Value {
    this.claim(name, 'GraphBuilder.initializer');
    const size = staticSize(shape) ?? 0;
    if (data.length !== size) {
      throw invalid('GraphBuilder.initializer', `"${name}" has ${data.length} values for shape ${formatShape(shape)}`);
    }
    this.initializers.set(name, { dtype, dims: [...shape], data });
    return { name, dtype, shape: [...shape] };
  }

  /** A constant tensor (stored as an initializer; small ones are deduplicated). */
  constant(values: readonly number[] | TensorData, shape: readonly number[], dtype: DType = 'float32'): Value {
    const data = ArrayBuffer.isView(values) ? values : typedArrayFor(dtype, values);
    const small = data.length <= 16;
    const key = small ? `${dtype}|${shape.join(',')}|${Array.from(data as ArrayLike<number | bigint>).join(',')}` : '';
    if (small) {
      const cached = this.constantCache.get(key);
      if (cached) return cached;
    }
    const name = this.fresh('const');
    if (data.length !== (staticSize(shape) ?? -1)) {
      throw invalid('GraphBuilder.constant', `${data.length} values for shape ${formatShape(shape)}`);
    }
    this.initializers.set(name, { dtype, dims: [...shape], data });
    const value: Value = { name, dtype, shape: [...shape] };
    if (small) this.constantCache.set(key, value);
    return value;
  }

  /** A scalar constant of the given dtype. */
  scalar(value: number, dtype: DType = 'float32'): Value {
    return this.constant([value], [], dtype);
  }

  /** A 1-D int64 constant (axes, shapes, starts...). */
  ints(values: readonly number[]): Value {
    const value = this.constant(values, [values.length], 'int64');
    return value;
  }

  /** The constant data behind a value, when it is a constant. */
  constantData(value: Value): TensorData | undefined {
    return this.initializers.get(value.name)?.data;
  }

  /** Marks a value as a graph output under `name` (an Identity is inserted when the names differ). */
  output(value: Value, name: string = value.name): Value {
    let out = value;
    if (name !== value.name || this.outputs.some((o) => o.value.name === value.name)) {
      this.claim(name, 'GraphBuilder.output');
      out = this.emit('Identity', [value], [], { dtype: value.dtype, shape: value.shape }, name);
    }
    this.outputs.push({ value: out, name });
    return out;
  }

  /** Appends a raw node; `result` gives the output dtype/shape. Used by the typed ops and the autodiff. */
  emit(
    op: string,
    inputs: readonly (Value | undefined)[],
    attributes: readonly AttributeLiteral[],
    result: { dtype: DType; shape: readonly Dim[] },
    outputName?: string,
  ): Value {
    const name = outputName ?? this.fresh(op.toLowerCase());
    if (outputName === undefined) this.usedNames.add(name);
    const value: Value = { name, dtype: result.dtype, shape: [...result.shape] };
    this.nodes.push({ op, inputs: [...inputs], outputs: [value], attributes: [...attributes] });
    return value;
  }

  /** The symbolic shape held by an int64 shape tensor built with `shapeOf`, if known. */
  shapeValue(value: Value): readonly Dim[] | undefined {
    const known = this.shapeValues.get(value.name);
    if (known) return known;
    const data = this.constantData(value);
    if (data instanceof BigInt64Array) return Array.from(data, (v) => Number(v));
    return undefined;
  }

  /** An int64 1-D tensor holding `x`'s shape: a constant when static, a `Shape` node otherwise. */
  shapeOf(x: Value): Value {
    if (staticSize(x.shape) !== undefined) return this.ints(x.shape as number[]);
    const value = this.emit('Shape', [x], [], { dtype: 'int64', shape: [x.shape.length] });
    this.shapeValues.set(value.name, x.shape);
    return value;
  }

  private operand(x: Operand, like: Value): Value {
    return typeof x === 'number' ? this.scalar(x, like.dtype) : x;
  }

  private binary(op: string, a: Operand, b: Operand, resultDtype?: DType): Value {
    if (typeof a === 'number' && typeof b === 'number') throw invalid(op, 'at least one operand must be a Value');
    const av = typeof a === 'number' ? this.operand(a, b as Value) : a;
    const bv = this.operand(b, av);
    if (av.dtype !== bv.dtype) throw invalid(op, `dtype mismatch ${av.dtype} vs ${bv.dtype} (${av.name}, ${bv.name})`);
    const shape = broadcastShapes(av.shape, bv.shape, op);
    return this.emit(op, [av, bv], [], { dtype: resultDtype ?? av.dtype, shape });
  }

  private unary(op: string, x: Value): Value {
    return this.emit(op, [x], [], { dtype: x.dtype, shape: x.shape });
  }

  /** Elementwise a + b with broadcasting. */
  add(a: Operand, b: Operand): Value {
    return this.binary('Add', a, b);
  }
  /** Elementwise a - b with broadcasting. */
  sub(a: Operand, b: Operand): Value {
    return this.binary('Sub', a, b);
  }
  /** Elementwise a * b with broadcasting. */
  mul(a: Operand, b: Operand): Value {
    return this.binary('Mul', a, b);
  }
  /** Elementwise a / b with broadcasting. */
  div(a: Operand, b: Operand): Value {
    return this.binary('Div', a, b);
  }
  /** Elementwise a ** b with broadcasting. */
  pow(a: Operand, b: Operand): Value {
    return this.binary('Pow', a, b);
  }
  /** Elementwise a > b (bool, not differentiable). */
  greater(a: Operand, b: Operand): Value {
    return this.binary('Greater', a, b, 'bool');
  }
  /** Elementwise a < b (bool, not differentiable). */
  less(a: Operand, b: Operand): Value {
    return this.binary('Less', a, b, 'bool');
  }
  /** Elementwise a == b (bool, not differentiable). */
  equal(a: Operand, b: Operand): Value {
    return this.binary('Equal', a, b, 'bool');
  }
  neg(x: Value): Value {
    return this.unary('Neg', x);
  }
  relu(x: Value): Value {
    return this.unary('Relu', x);
  }
  sigmoid(x: Value): Value {
    return this.unary('Sigmoid', x);
  }
  tanh(x: Value): Value {
    return this.unary('Tanh', x);
  }
  exp(x: Value): Value {
    return this.unary('Exp', x);
  }
  log(x: Value): Value {
    return this.unary('Log', x);
  }
  sqrt(x: Value): Value {
    return this.unary('Sqrt', x);
  }
  abs(x: Value): Value {
    return this.unary('Abs', x);
  }
  identity(x: Value): Value {
    return this.unary('Identity', x);
  }

  /** Inverted dropout with an explicit mask input (0 or 1/(1-p) per element, drawn from the seeded RNG). */
  dropout(x: Value, mask: Value): Value {
    return this.mul(x, mask);
  }

  /** Casts to another dtype (gradient flows between float types). */
  cast(x: Value, dtype: DType): Value {
    const to = { float32: 1, int64: 7, bool: 9, float64: 11 }[dtype];
    return this.emit('Cast', [x], [{ name: 'to', type: 'int', value: to }], { dtype, shape: x.shape });
  }

  /** Numpy matmul (ranks >= 2; batch dims broadcast). */
  matMul(a: Value, b: Value): Value {
    if (a.shape.length < 2 || b.shape.length < 2) {
      throw invalid('matMul', `ranks must be >= 2, got ${formatShape(a.shape)} @ ${formatShape(b.shape)}`);
    }
    if (a.dtype !== b.dtype) throw invalid('matMul', `dtype mismatch ${a.dtype} vs ${b.dtype}`);
    const k1 = a.shape[a.shape.length - 1] as Dim;
    const k2 = b.shape[b.shape.length - 2] as Dim;
    if (typeof k1 === 'number' && typeof k2 === 'number' && k1 !== k2) {
      throw invalid('matMul', `inner dims differ: ${formatShape(a.shape)} @ ${formatShape(b.shape)}`);
    }
    const batch = broadcastShapes(a.shape.slice(0, -2), b.shape.slice(0, -2), 'matMul');
    const shape = [...batch, a.shape[a.shape.length - 2] as Dim, b.shape[b.shape.length - 1] as Dim];
    return this.emit('MatMul', [a, b], [], { dtype: a.dtype, shape });
  }

  /** ONNX Gemm on 2-D operands: `alpha * op(a) op(b) + beta * c`. */
  gemm(a: Value, b: Value, c?: Value, options: GemmOptions = {}): Value {
    if (a.shape.length !== 2 || b.shape.length !== 2) throw invalid('gemm', 'a and b must be 2-D');
    const m = options.transA ? a.shape[1] : a.shape[0];
    const n = options.transB ? b.shape[0] : b.shape[1];
    const shape = [m as Dim, n as Dim];
    if (c) broadcastShapes(shape, c.shape, 'gemm');
    const attributes: AttributeLiteral[] = [
      { name: 'alpha', type: 'float', value: options.alpha ?? 1 },
      { name: 'beta', type: 'float', value: options.beta ?? 1 },
      { name: 'transA', type: 'int', value: options.transA ? 1 : 0 },
      { name: 'transB', type: 'int', value: options.transB ? 1 : 0 },
    ];
    return this.emit('Gemm', c ? [a, b, c] : [a, b], attributes, { dtype: a.dtype, shape });
  }

  /** Softmax over one axis (opset >= 13 semantics). */
  softmax(x: Value, axis = -1): Value {
    normalizeAxis(axis, x.shape.length, 'softmax');
    return this.emit('Softmax', [x], [{ name: 'axis', type: 'int', value: axis }], x);
  }

  /** Log-softmax over one axis. */
  logSoftmax(x: Value, axis = -1): Value {
    normalizeAxis(axis, x.shape.length, 'logSoftmax');
    return this.emit('LogSoftmax', [x], [{ name: 'axis', type: 'int', value: axis }], x);
  }

  private reduce(op: string, x: Value, axes: readonly number[] | undefined, keepdims: boolean): Value {
    const rank = x.shape.length;
    const all = axes === undefined;
    const normalized = all
      ? x.shape.map((_, i) => i)
      : [...new Set(axes.map((a) => normalizeAxis(a, rank, op)))].sort();
    const shape: Dim[] = [];
    x.shape.forEach((d, i) => {
      if (!normalized.includes(i)) shape.push(d);
      else if (keepdims) shape.push(1);
    });
    const inputs = all ? [x] : [x, this.ints(normalized)];
    return this.emit(op, inputs, [{ name: 'keepdims', type: 'int', value: keepdims ? 1 : 0 }], {
      dtype: x.dtype,
      shape,
    });
  }

  /** Sum over `axes` (all when omitted). */
  reduceSum(x: Value, axes?: readonly number[], keepdims = false): Value {
    return this.reduce('ReduceSum', x, axes, keepdims);
  }
  /** Mean over `axes` (all when omitted). */
  reduceMean(x: Value, axes?: readonly number[], keepdims = false): Value {
    return this.reduce('ReduceMean', x, axes, keepdims);
  }
  /** Max over `axes` (all when omitted); ties share the gradient equally. */
  reduceMax(x: Value, axes?: readonly number[], keepdims = false): Value {
    return this.reduce('ReduceMax', x, axes, keepdims);
  }

  /** Reshape to a static target (`0` copies the input dim, `-1` is inferred). */
  reshape(x: Value, shape: readonly number[]): Value {
    const out: Dim[] = shape.map((d, i) => (d === 0 ? (x.shape[i] as Dim) : d));
    const inferred = out.indexOf(-1);
    if (inferred >= 0) {
      const known = out.filter((_, i) => i !== inferred);
      const total = staticSize(x.shape);
      const rest = staticSize(known);
      if (total !== undefined && rest !== undefined) out[inferred] = total / rest;
      else {
        const symbolic = x.shape.filter((d) => typeof d === 'string');
        const numericIn = staticSize(x.shape.filter((d) => typeof d === 'number')) ?? 1;
        const numericOut = staticSize(known.filter((d) => typeof d === 'number')) ?? 1;
        const ratio = numericIn / numericOut;
        out[inferred] = ratio === 1 ? symbolic.join('*') : `${symbolic.join('*')}*${ratio}`;
      }
    }
    return this.emit('Reshape', [x, this.ints(shape)], [], { dtype: x.dtype, shape: out });
  }

  /** Reshape to a runtime shape tensor (from `shapeOf`). */
  reshapeTo(x: Value, shape: Value): Value {
    const target = this.shapeValue(shape);
    if (!target) throw invalid('reshapeTo', 'shape tensor of unknown value; build it with shapeOf');
    return this.emit('Reshape', [x, shape], [], { dtype: x.dtype, shape: target });
  }

  /** Broadcasts `x` to a runtime shape tensor (from `shapeOf`). */
  expand(x: Value, shape: Value): Value {
    const target = this.shapeValue(shape);
    if (!target) throw invalid('expand', 'shape tensor of unknown value; build it with shapeOf');
    return this.emit('Expand', [x, shape], [], { dtype: x.dtype, shape: broadcastShapes(x.shape, target, 'expand') });
  }

  /** A tensor of `value` shaped like `like`. */
  fillLike(like: Value, value: number, dtype: DType = like.dtype): Value {
    return this.expand(this.scalar(value, dtype), this.shapeOf(like));
  }

  /** Permutes axes. */
  transpose(x: Value, perm: readonly number[]): Value {
    if (perm.length !== x.shape.length || [...perm].sort().some((p, i) => p !== i)) {
      throw invalid('transpose', `perm [${perm.join(',')}] is not a permutation of rank ${x.shape.length}`);
    }
    const shape = perm.map((p) => x.shape[p] as Dim);
    return this.emit('Transpose', [x], [{ name: 'perm', type: 'ints', value: perm }], { dtype: x.dtype, shape });
  }

  /** Concatenates along `axis`. */
  concat(xs: readonly Value[], axis: number): Value {
    const first = xs[0];
    if (!first) throw invalid('concat', 'needs at least one input');
    const a = normalizeAxis(axis, first.shape.length, 'concat');
    let total: Dim = 0;
    for (const x of xs) {
      const d = x.shape[a] as Dim;
      total = typeof total === 'number' && typeof d === 'number' ? total + d : `${total}+${d}`;
    }
    const shape = first.shape.map((d, i) => (i === a ? total : d));
    return this.emit('Concat', xs, [{ name: 'axis', type: 'int', value: a }], { dtype: first.dtype, shape });
  }

  /** Static slice (numpy `x[start:end:step]` on `axes`). Sliced axes must have static sizes. */
  slice(
    x: Value,
    starts: readonly number[],
    ends: readonly number[],
    axes: readonly number[] = starts.map((_, i) => i),
    steps: readonly number[] = starts.map(() => 1),
  ): Value {
    const shape = [...x.shape];
    axes.forEach((axis, i) => {
      const a = normalizeAxis(axis, x.shape.length, 'slice');
      const size = x.shape[a];
      if (typeof size !== 'number') throw invalid('slice', `axis ${axis} has symbolic size ${size}`);
      const { start, stop, step } = normalizeSlice(starts[i] ?? 0, ends[i] ?? size, steps[i] ?? 1, size);
      shape[a] = Math.max(0, Math.ceil((stop - start) / step));
    });
    const inputs = [x, this.ints(starts), this.ints(ends), this.ints(axes), this.ints(steps)];
    return this.emit('Slice', inputs, [], { dtype: x.dtype, shape });
  }

  /** Gathers slices of `x` along `axis` at int64 `indices`. */
  gather(x: Value, indices: Value, axis = 0): Value {
    const a = normalizeAxis(axis, x.shape.length, 'gather');
    if (indices.dtype !== 'int64') throw invalid('gather', `indices must be int64, got ${indices.dtype}`);
    const shape = [...x.shape.slice(0, a), ...indices.shape, ...x.shape.slice(a + 1)];
    return this.emit('Gather', [x, indices], [{ name: 'axis', type: 'int', value: a }], { dtype: x.dtype, shape });
  }

  /** GatherND with batch_dims 0. */
  gatherNd(x: Value, indices: Value): Value {
    const depth = indices.shape[indices.shape.length - 1];
    if (typeof depth !== 'number') throw invalid('gatherNd', 'last dim of indices must be static');
    const shape = [...indices.shape.slice(0, -1), ...x.shape.slice(depth)];
    return this.emit('GatherND', [x, indices], [], { dtype: x.dtype, shape });
  }

  /** ScatterND with `reduction: 'add'`: data[indices] += updates (duplicates accumulate). */
  scatterNdAdd(data: Value, indices: Value, updates: Value): Value {
    return this.emit(
      'ScatterND',
      [data, indices, updates],
      [{ name: 'reduction', type: 'string', value: 'add' }],
      data,
    );
  }

  /** Inserts size-1 axes (positions in the output). */
  unsqueeze(x: Value, axes: readonly number[]): Value {
    const rank = x.shape.length + axes.length;
    const normalized = axes.map((a) => normalizeAxis(a, rank, 'unsqueeze')).sort((p, q) => p - q);
    const shape: Dim[] = [];
    let source = 0;
    for (let i = 0; i < rank; i++) shape.push(normalized.includes(i) ? 1 : (x.shape[source++] as Dim));
    return this.emit('Unsqueeze', [x, this.ints(normalized)], [], { dtype: x.dtype, shape });
  }

  /** Removes size-1 axes. */
  squeeze(x: Value, axes: readonly number[]): Value {
    const normalized = axes.map((a) => normalizeAxis(a, x.shape.length, 'squeeze'));
    for (const a of normalized) {
      if (x.shape[a] !== 1) throw invalid('squeeze', `axis ${a} of ${formatShape(x.shape)} is not 1`);
    }
    const shape = x.shape.filter((_, i) => !normalized.includes(i));
    return this.emit('Squeeze', [x, this.ints(normalized)], [], { dtype: x.dtype, shape });
  }

  /** Elementwise `cond ? a : b` with broadcasting. */
  where(cond: Value, a: Operand, b: Operand): Value {
    const av = typeof a === 'number' ? this.operand(a, b as Value) : a;
    const bv = this.operand(b, av);
    if (cond.dtype !== 'bool') throw invalid('where', `cond must be bool, got ${cond.dtype}`);
    const shape = broadcastShapes(cond.shape, broadcastShapes(av.shape, bv.shape, 'where'), 'where');
    return this.emit('Where', [cond, av, bv], [], { dtype: av.dtype, shape });
  }

  /** Zero-pads (opset 18 Pad with constant mode); `pads` = [begin..., end...] per axis. */
  pad(x: Value, pads: readonly number[]): Value {
    const rank = x.shape.length;
    const shape = x.shape.map((d, i) => {
      const extra = (pads[i] ?? 0) + (pads[i + rank] ?? 0);
      return typeof d === 'number' ? d + extra : extra === 0 ? d : `${d}+${extra}`;
    });
    return this.emit('Pad', [x, this.ints(pads)], [], { dtype: x.dtype, shape });
  }

  /** Serializes the graph as ONNX ModelProto bytes (opset 18, IR 8). */
  toModel(): Uint8Array {
    if (this.outputs.length === 0) throw invalid('toModel', `graph "${this.name}" has no outputs`);
    return encodeModel({
      irVersion: IR_VERSION,
      opset: OPSET,
      producerName: '@proteus-wf/onnx-train',
      producerVersion: '0.0.0',
      graph: {
        name: this.name,
        nodes: this.nodes.map((node, i) => ({
          opType: node.op,
          name: `n${i}_${node.op}`,
          inputs: node.inputs.map((v) => v?.name ?? ''),
          outputs: node.outputs.map((v) => v.name),
          attributes: node.attributes,
        })),
        initializers: [...this.initializers].map(([name, t]) => ({ ...t, name })),
        inputs: this.inputs.map((v) => ({ name: v.name, dtype: v.dtype, shape: v.shape })),
        outputs: this.outputs.map(({ value, name }) => ({ name, dtype: value.dtype, shape: value.shape })),
      },
    });
  }
}

/** Normalizes numpy/ONNX slice parameters for a positive step on an axis of `size`. */
export function normalizeSlice(
  start: number,
  end: number,
  step: number,
  size: number,
): { start: number; stop: number; step: number } {
  if (step <= 0 || !Number.isInteger(step)) {
    throw invalid('slice', `only positive integer steps are supported, got ${step}`);
  }
  const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + size : v, 0), size);
  return { start: clamp(start), stop: clamp(end), step };
}

/**
 * Creates an empty graph builder.
 * @example const g = createGraphBuilder({ name: 'gcn-train' });
 */
export function createGraphBuilder(options: GraphBuilderOptions = {}): GraphBuilder {
  return new GraphBuilder(options);
}
