// Reverse-mode automatic differentiation over a GraphBuilder: walks the recorded nodes backwards from a scalar loss
// and appends each op's vector-Jacobian product to the same graph, so forward + backward (+ optimizer) run as one
// onnxruntime session. Broadcast operands get their gradient summed back to their own shape.
import { ProteusError } from '@proteus-wf/core';
import { type Dim, type GraphBuilder, type GraphNode, normalizeSlice, type Value } from './graph-builder.js';
import type { AttributeLiteral } from './onnx-proto.js';

type Rule = (g: GraphBuilder, node: GraphNode, grad: Value, wanted: readonly boolean[]) => (Value | undefined)[];

function invalid(message: string, details?: unknown): ProteusError {
  return new ProteusError('PROTEUS_ONNX_TRAIN_GRAPH_INVALID', `onnx-train/addGradients: ${message}`, { details });
}

function isFloat(v: Value | undefined): v is Value {
  return v !== undefined && (v.dtype === 'float32' || v.dtype === 'float64');
}

function attribute(node: GraphNode, name: string): AttributeLiteral | undefined {
  return node.attributes.find((a) => a.name === name);
}

function intAttribute(node: GraphNode, name: string, fallback: number): number {
  const a = attribute(node, name);
  return a && (a.type === 'int' || a.type === 'float') ? a.value : fallback;
}

function input(node: GraphNode, i: number): Value {
  const v = node.inputs[i];
  if (!v) throw invalid(`${node.op} node lacks input ${i}`);
  return v;
}

function output(node: GraphNode): Value {
  return node.outputs[0] as Value;
}

function constantInts(g: GraphBuilder, v: Value | undefined, what: string): number[] {
  if (!v) throw invalid(`${what}: missing constant operand`);
  const data = g.constantData(v);
  if (!(data instanceof BigInt64Array)) throw invalid(`${what}: operand ${v.name} must be an int64 constant`);
  return Array.from(data, (x) => Number(x));
}

/** Sums `grad` over the axes that numpy broadcasting added or stretched, giving `target`'s shape. */
export function unbroadcast(g: GraphBuilder, grad: Value, target: readonly Dim[]): Value {
  const lead = grad.shape.length - target.length;
  const axes: number[] = [];
  grad.shape.forEach((d, i) => {
    if (i < lead) axes.push(i);
    else if (target[i - lead] === 1 && d !== 1) axes.push(i);
  });
  if (axes.length === 0) return grad;
  // Only leading axes to drop (a bias over rows): one ReduceSum without keepdims, no Squeeze.
  if (axes.length === lead) return g.reduceSum(grad, axes, false);
  let reduced = g.reduceSum(grad, axes, true);
  if (lead > 0)
    reduced = g.squeeze(
      reduced,
      Array.from({ length: lead }, (_, i) => i),
    );
  return reduced;
}

function swapLast(g: GraphBuilder, x: Value): Value {
  const r = x.shape.length;
  const perm = x.shape.map((_, i) => i);
  perm[r - 1] = r - 2;
  perm[r - 2] = r - 1;
  return g.transpose(x, perm);
}

function zero(g: GraphBuilder, like: Value): Value {
  return g.scalar(0, like.dtype);
}

function reducedAxes(g: GraphBuilder, node: GraphNode): number[] {
  const x = input(node, 0);
  if (!node.inputs[1]) return x.shape.map((_, i) => i);
  return constantInts(g, node.inputs[1], node.op).map((a) => (a < 0 ? a + x.shape.length : a));
}

/** Broadcasts a reduction's output gradient back over the reduced axes of `x`. */
function expandReduced(g: GraphBuilder, node: GraphNode, grad: Value): Value {
  const x = input(node, 0);
  const keep = intAttribute(node, 'keepdims', 1) === 1;
  const axes = reducedAxes(g, node);
  const kept = keep ? grad : g.unsqueeze(grad, axes);
  return g.expand(kept, g.shapeOf(x));
}

function reducedCount(g: GraphBuilder, node: GraphNode): Value {
  const x = input(node, 0);
  const axes = reducedAxes(g, node);
  const dims = axes.map((a) => x.shape[a] as Dim);
  if (dims.every((d) => typeof d === 'number')) {
    return g.scalar(
      dims.reduce<number>((p, d) => p * (d as number), 1),
      x.dtype,
    );
  }
  const shape = g.shapeOf(x);
  const gathered = g.gather(shape, g.ints(axes), 0);
  return g.cast(
    g.emit('ReduceProd', [gathered], [{ name: 'keepdims', type: 'int', value: 0 }], { dtype: 'int64', shape: [] }),
    x.dtype,
  );
}

const RULES: Record<string, Rule> = {
  Identity: (_g, _n, grad) => [grad],
  Add: (g, n, grad, w) => [
    w[0] ? unbroadcast(g, grad, input(n, 0).shape) : undefined,
    w[1] ? unbroadcast(g, grad, input(n, 1).shape) : undefined,
  ],
  Sub: (g, n, grad, w) => [
    w[0] ? unbroadcast(g, grad, input(n, 0).shape) : undefined,
    w[1] ? unbroadcast(g, g.neg(grad), input(n, 1).shape) : undefined,
  ],
  Mul: (g, n, grad, w) => [
    w[0] ? unbroadcast(g, g.mul(grad, input(n, 1)), input(n, 0).shape) : undefined,
    w[1] ? unbroadcast(g, g.mul(grad, input(n, 0)), input(n, 1).shape) : undefined,
  ],
  Div: (g, n, grad, w) => [
    w[0] ? unbroadcast(g, g.div(grad, input(n, 1)), input(n, 0).shape) : undefined,
    w[1] ? unbroadcast(g, g.neg(g.div(g.mul(grad, output(n)), input(n, 1))), input(n, 1).shape) : undefined,
  ],
  Pow: (g, n, grad, w) => {
    const [a, b] = [input(n, 0), input(n, 1)];
    return [
      w[0] ? unbroadcast(g, g.mul(grad, g.mul(b, g.pow(a, g.sub(b, 1)))), a.shape) : undefined,
      w[1] ? unbroadcast(g, g.mul(grad, g.mul(output(n), g.log(a))), b.shape) : undefined,
    ];
  },
  Neg: (g, _n, grad) => [g.neg(grad)],
  // relu(x) >= 0, so sign(relu(x)) is the 0/1 derivative: two plain elementwise kernels, no broadcast Where.
  // y > 0 as a 0/1 mask: equal to Sign(y) on a ReLU output, and Greater + Cast run ~4x faster than onnxruntime's Sign.
  Relu: (g, n, grad) => [g.mul(grad, g.cast(g.greater(output(n), 0), output(n).dtype))],
  Sigmoid: (g, n, grad) => {
    const y = output(n);
    return [g.mul(grad, g.mul(y, g.sub(1, y)))];
  },
  Tanh: (g, n, grad) => {
    const y = output(n);
    return [g.mul(grad, g.sub(1, g.mul(y, y)))];
  },
  Exp: (g, n, grad) => [g.mul(grad, output(n))],
  Log: (g, n, grad) => [g.div(grad, input(n, 0))],
  Sqrt: (g, n, grad) => [g.div(g.mul(grad, 0.5), output(n))],
  Abs: (g, n, grad) => [g.mul(grad, g.emit('Sign', [input(n, 0)], [], input(n, 0)))],
  Cast: (g, n, grad) => [isFloat(input(n, 0)) ? g.cast(grad, input(n, 0).dtype) : undefined],
  Softmax: (g, n, grad) => {
    const y = output(n);
    const axis = intAttribute(n, 'axis', -1);
    return [g.mul(y, g.sub(grad, g.reduceSum(g.mul(grad, y), [axis], true)))];
  },
  LogSoftmax: (g, n, grad) => {
    const axis = intAttribute(n, 'axis', -1);
    return [g.sub(grad, g.mul(g.exp(output(n)), g.reduceSum(grad, [axis], true)))];
  },
  ReduceSum: (g, n, grad) => [expandReduced(g, n, grad)],
  // Divide the reduced gradient, then broadcast it: one pass over the small tensor instead of the expanded one.
  ReduceMean: (g, n, grad) => [expandReduced(g, n, g.div(grad, reducedCount(g, n)))],
  ReduceMax: (g, n, grad) => {
    const x = input(n, 0);
    const keep = intAttribute(n, 'keepdims', 1) === 1;
    const axes = reducedAxes(g, n);
    const y = keep ? output(n) : g.unsqueeze(output(n), axes);
    const mask = g.cast(g.equal(x, y), x.dtype);
    const ties = g.reduceSum(mask, axes, true);
    return [g.div(g.mul(expandReduced(g, n, grad), mask), ties)];
  },
  Reshape: (g, n, grad) => [g.reshapeLike(grad, input(n, 0))],
  Unsqueeze: (g, n, grad) => [g.reshapeLike(grad, input(n, 0))],
  Squeeze: (g, n, grad) => [g.reshapeLike(grad, input(n, 0))],
  Expand: (g, n, grad) => [unbroadcast(g, grad, input(n, 0).shape)],
  Transpose: (g, n, grad) => {
    const perm = attribute(n, 'perm');
    const p = perm?.type === 'ints' ? perm.value : [];
    const inverse = p.map((_, i) => p.indexOf(i));
    return [g.transpose(grad, inverse)];
  },
  Concat: (g, n, grad, w) => {
    const axis = intAttribute(n, 'axis', 0);
    let offset = 0;
    return n.inputs.map((x, i) => {
      const size = x?.shape[axis];
      if (typeof size !== 'number') throw invalid(`Concat input ${i} has symbolic size on axis ${axis}`);
      const start = offset;
      offset += size;
      return w[i] ? g.slice(grad, [start], [start + size], [axis]) : undefined;
    });
  },
  Slice: (g, n, grad) => {
    const x = input(n, 0);
    const starts = constantInts(g, n.inputs[1], 'Slice starts');
    const ends = constantInts(g, n.inputs[2], 'Slice ends');
    const axes = n.inputs[3] ? constantInts(g, n.inputs[3], 'Slice axes') : starts.map((_, i) => i);
    const steps = n.inputs[4] ? constantInts(g, n.inputs[4], 'Slice steps') : starts.map(() => 1);
    const rank = x.shape.length;
    const pads = new Array<number>(2 * rank).fill(0);
    axes.forEach((axis, i) => {
      const a = axis < 0 ? axis + rank : axis;
      const size = x.shape[a] as number;
      const { start, stop, step } = normalizeSlice(starts[i] ?? 0, ends[i] ?? size, steps[i] ?? 1, size);
      if (step !== 1) throw invalid(`Slice gradient supports step 1 only (axis ${axis} has step ${step})`);
      pads[a] = start;
      pads[a + rank] = size - Math.max(stop, start);
    });
    return [g.pad(grad, pads)];
  },
  Gather: (g, n, grad) => {
    const x = input(n, 0);
    const indices = input(n, 1);
    const axis = intAttribute(n, 'axis', 0);
    const idx = g.unsqueeze(indices, [indices.shape.length]);
    if (axis === 0) return [g.scatterNdAdd(g.fillLike(x, 0), idx, grad)];
    // Move the gathered axis to the front, scatter there, move it back.
    const k = indices.shape.length;
    const gradPerm = [
      ...Array.from({ length: k }, (_, i) => axis + i),
      ...Array.from({ length: axis }, (_, i) => i),
      ...Array.from({ length: grad.shape.length - axis - k }, (_, i) => axis + k + i),
    ];
    const xPerm = [axis, ...x.shape.map((_, i) => i).filter((i) => i !== axis)];
    const zeros = g.transpose(g.fillLike(x, 0), xPerm);
    const scattered = g.scatterNdAdd(zeros, idx, g.transpose(grad, gradPerm));
    return [
      g.transpose(
        scattered,
        xPerm.map((_, i) => xPerm.indexOf(i)),
      ),
    ];
  },
  GatherND: (g, n, grad) => [g.scatterNdAdd(g.fillLike(input(n, 0), 0), input(n, 1), grad)],
  ScatterND: (g, n, grad, w) => [grad, undefined, w[2] ? g.gatherNd(grad, input(n, 1)) : undefined],
  Where: (g, n, grad, w) => {
    const cond = input(n, 0);
    const z = zero(g, grad);
    return [
      undefined,
      w[1] ? unbroadcast(g, g.where(cond, grad, z), input(n, 1).shape) : undefined,
      w[2] ? unbroadcast(g, g.where(cond, z, grad), input(n, 2).shape) : undefined,
    ];
  },
  MatMul: (g, n, grad, w) => {
    const [a, b] = [input(n, 0), input(n, 1)];
    let da: Value | undefined;
    let db: Value | undefined;
    if (w[0]) da = unbroadcast(g, g.matMul(grad, swapLast(g, b)), a.shape);
    if (w[1]) {
      const k = a.shape[a.shape.length - 1];
      const m = b.shape[b.shape.length - 1];
      if (b.shape.length === 2 && a.shape.length > 2 && typeof k === 'number' && typeof m === 'number') {
        // One GEMM over the flattened batch instead of a batched product followed by a sum.
        db = g.gemm(g.reshape(a, [-1, k]), g.reshape(grad, [-1, m]), undefined, { transA: true });
      } else {
        db = unbroadcast(g, g.matMul(swapLast(g, a), grad), b.shape);
      }
    }
    return [da, db];
  },
  Gemm: (g, n, grad, w) => {
    const [a, b, c] = [input(n, 0), input(n, 1), n.inputs[2]];
    const alpha = intAttribute(n, 'alpha', 1);
    const beta = intAttribute(n, 'beta', 1);
    const tA = intAttribute(n, 'transA', 0) === 1;
    const tB = intAttribute(n, 'transB', 0) === 1;
    const da = w[0]
      ? tA
        ? g.gemm(b, grad, undefined, { alpha, transA: tB, transB: true })
        : g.gemm(grad, b, undefined, { alpha, transB: !tB })
      : undefined;
    const db = w[1]
      ? tB
        ? g.gemm(grad, a, undefined, { alpha, transA: true, transB: tA })
        : g.gemm(a, grad, undefined, { alpha, transA: !tA })
      : undefined;
    const dc = w[2] && c ? unbroadcast(g, beta === 1 ? grad : g.mul(grad, beta), c.shape) : undefined;
    return [da, db, dc];
  },
};

/** Ops `addGradients` can differentiate. */
export const DIFFERENTIABLE_OPS: readonly string[] = Object.keys(RULES).sort();

/** Options of `addGradients`. */
export interface AddGradientsOptions {
  /** Upstream gradient of `loss` (defaults to 1 for a scalar loss). */
  seed?: Value;
}

/**
 * Appends the backward pass of `loss` with respect to `wrt` to the builder and returns one gradient per `wrt`
 * (same shape; zeros when `loss` does not depend on it).
 * @example
 * const [dw] = addGradients(g, loss, [w]);
 * @throws ProteusError PROTEUS_ONNX_TRAIN_GRAPH_INVALID when the loss is not scalar (without `seed`) or a node on the
 * path has no gradient rule
 */
export function addGradients(
  g: GraphBuilder,
  loss: Value,
  wrt: readonly Value[],
  options: AddGradientsOptions = {},
): Value[] {
  if (!isFloat(loss)) throw invalid(`loss must be float, got ${(loss as Value).dtype}`);
  if (!options.seed && loss.shape.length !== 0) {
    throw invalid(`loss ${loss.name} must be a scalar, got shape [${loss.shape.join(',')}]; pass { seed }`);
  }
  const nodes = [...g.nodes];
  const depends = new Set(wrt.map((v) => v.name));
  for (const node of nodes) {
    if (node.inputs.some((v) => v && depends.has(v.name))) {
      for (const out of node.outputs) if (isFloat(out)) depends.add(out.name);
    }
  }
  if (!depends.has(loss.name)) return wrt.map((v) => g.fillLike(v, 0));

  const needed = new Set([loss.name]);
  const path: GraphNode[] = [];
  for (let i = nodes.length - 1; i >= 0; i--) {
    const node = nodes[i] as GraphNode;
    if (!node.outputs.some((v) => needed.has(v.name))) continue;
    if (!node.inputs.some((v) => v && depends.has(v.name))) continue;
    path.push(node);
    for (const v of node.inputs) if (v && depends.has(v.name) && isFloat(v)) needed.add(v.name);
  }

  const grads = new Map<string, Value>();
  grads.set(loss.name, options.seed ?? g.scalar(1, loss.dtype));
  for (const node of path) {
    const grad = grads.get(output(node).name);
    if (!grad) continue;
    const rule = RULES[node.op];
    if (!rule) throw invalid(`no gradient rule for op ${node.op} (output ${output(node).name})`, { op: node.op });
    const wanted = node.inputs.map((v) => v !== undefined && needed.has(v.name) && isFloat(v));
    const previous = node.op === 'Gather' && wanted[0] ? grads.get(input(node, 0).name) : undefined;
    if (previous && intAttribute(node, 'axis', 0) === 0) {
      // A row gather's gradient is a scatter-add; into the gradient already accumulated it needs no zeros and no Add.
      const indices = input(node, 1);
      grads.set(input(node, 0).name, g.scatterNdAdd(previous, g.unsqueeze(indices, [indices.shape.length]), grad));
      continue;
    }
    const inputGrads = rule(g, node, grad, wanted);
    node.inputs.forEach((v, i) => {
      const dv = inputGrads[i];
      if (!v || !dv || !wanted[i]) return;
      const previous = grads.get(v.name);
      grads.set(v.name, previous ? g.add(previous, dv) : dv);
    });
  }
  return wrt.map((v) => grads.get(v.name) ?? g.fillLike(v, 0));
}
