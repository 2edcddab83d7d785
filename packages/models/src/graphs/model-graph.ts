// Forward graphs of the GCN and the MLP baseline, shared by the inference and the training-step graphs.
// Reference: Jin et al., WORKS 2022; GCNConv semantics of PyG (ml.md §2.1): h' = Â (h W) + b.
// Layout: the GCN works node-major ([N, batch, D]) so the adjacency product is one MatMul or one gather/scatter over
// edges for the whole batch, with no per-run loop.
import { ProteusError } from '@proteus-wf/core';
import type { Dim, GraphBuilder, Value } from '@proteus-wf/onnx-train';
import { type CsrMatrix, toDenseAdjacency } from '@proteus-wf/workflow-graph';
import { type ResolvedModelSpec, weightShapes } from './model-spec.js';

/** The batch dimension name used in every model graph. */
export const BATCH_DIM = 'batch';

/** What `buildForward` produced. */
export interface ForwardGraph extends ModelForward {
  /** Input `x`. */
  x: Value;
}

/** What `appendModelForward` appended. */
export interface ModelForward {
  /** Logits, batch-major: `[batch, C]` or `[batch, N, C]`. */
  logits: Value;
  /**
   * The activation the head reads. GCN: after the last GCN layer, node-major `[N, batch, hidden]` at node level
   * (the layout of the graph's internals, like `SslForward`), `[batch, hidden]` after pooling at graph level. MLP: `x`.
   */
  embedding: Value;
  /** Dropout mask inputs (inverted dropout: 0 or 1/(1-p)), in creation order; empty without dropout. */
  dropoutMasks: Value[];
}

/** Options of `appendModelForward`. */
export interface AppendModelForwardOptions {
  /**
   * Add one dropout mask input (`dropout0`, `dropout1`, ...) per hidden activation when `spec.dropout > 0`
   * (default false: the deterministic forward). With masks, append the forward once per graph.
   */
  dropout?: boolean;
}

/**
 * A neighbourhood aggregation over node-major values: `h` `[N, ...]` to `out[i] = sum_j A[i*N+j] * h[j]`, same shape.
 * Differentiable (gather, mul, scatter-add or one MatMul), for any trailing shape, batch dims included.
 */
export type Aggregation = (h: Value) => Value;

/** Options of `buildAggregation`. */
export interface BuildAggregationOptions {
  /**
   * `sparse` (default): gather the source rows of the edges, scale, scatter-add into the self loops' scaled rows (a
   * GCN-normalized adjacency `D^-1/2 (A + I) D^-1/2` scales rows before and after instead of per edge); `dense`: one
   * `[N,N]` MatMul. The two differ in float rounding only; a graph without edges always runs dense (zeros).
   */
  mode?: 'sparse' | 'dense';
}

/** Edge lists (COO) of the non-zero adjacency entries: message src -> dst with weight. */
export interface EdgeList {
  src: number[];
  dst: number[];
  weight: number[];
}

/** The non-zeros of an adjacency, dense row-major (`A[i*N+j]` weighs j -> i) or CSR (row i lists i's sources). */
export function adjacencyEdges(adjacency: Float32Array | CsrMatrix, nodes: number): EdgeList {
  const edges: EdgeList = { src: [], dst: [], weight: [] };
  if (!(adjacency instanceof Float32Array)) {
    for (let i = 0; i < nodes; i++) {
      for (let k = adjacency.indptr[i] as number; k < (adjacency.indptr[i + 1] as number); k++) {
        const w = adjacency.values[k] as number;
        if (w === 0) continue;
        edges.src.push(adjacency.indices[k] as number);
        edges.dst.push(i);
        edges.weight.push(w);
      }
    }
    return edges;
  }
  for (let i = 0; i < nodes; i++) {
    for (let j = 0; j < nodes; j++) {
      const w = adjacency[i * nodes + j] as number;
      if (w !== 0) {
        edges.src.push(j);
        edges.dst.push(i);
        edges.weight.push(w);
      }
    }
  }
  return edges;
}

/** The input shape of a model, with the symbolic batch dim first. */
export function inputShape(spec: ResolvedModelSpec): (number | string)[] {
  if (spec.kind === 'gcn') return [BATCH_DIM, spec.nodes, spec.features];
  return spec.nodes === undefined ? [BATCH_DIM, spec.features] : [BATCH_DIM, spec.nodes, spec.features];
}

/** The logits/probabilities shape of a model. */
export function outputShape(spec: ResolvedModelSpec): (number | string)[] {
  if (spec.kind === 'gcn')
    return spec.level === 'graph' ? [BATCH_DIM, spec.classes] : [BATCH_DIM, spec.nodes, spec.classes];
  return spec.nodes === undefined ? [BATCH_DIM, spec.classes] : [BATCH_DIM, spec.nodes, spec.classes];
}

/**
 * Declares input `x` (`inputShape(spec)`) and appends the forward pass of `spec` over it and the given weight values.
 * With `dropout: true` and `spec.dropout > 0`, adds one mask input per hidden activation.
 */
export function buildForward(
  g: GraphBuilder,
  spec: ResolvedModelSpec,
  weights: Record<string, Value>,
  options: AppendModelForwardOptions,
): ForwardGraph {
  const x = g.input('x', 'float32', inputShape(spec));
  return { x, ...appendModelForward(g, spec, weights, x, options) };
}

/**
 * Appends the forward pass of a GCN or MLP spec to a graph under construction, reading `x` (batch-major, shaped like
 * `buildInferenceGraph`'s input: `[batch, N, F]`, or `[batch, F]` for an MLP without nodes) and `weights` (graph
 * values named like `weightShapes(spec)`: inputs, initializers, or any computed tensors). This is the exact forward of
 * `createTrainer` and `buildInferenceGraph`, for graphs that need their own losses, several forwards (e.g. at shifted
 * weights) or input gradients. The GCN aggregates as `spec.aggregation` says (pass `aggregation: 'sparse'` or
 * `'dense'` to `defineModelSpec` to pin it).
 * @example
 * const spec = defineModelSpec({ kind: 'gcn', level: 'node', nodes: 3, features: 2, classes: 2, adjacency });
 * const g = createGraphBuilder();
 * const weights = Object.fromEntries(weightShapes(spec).map(([name, shape]) => [name, g.input(name, 'float32', shape)]));
 * const { logits } = appendModelForward(g, spec, weights, g.input('x.memory', 'float32', ['batch', 3, 2]));
 * g.output(g.softmax(logits, -1), 'probabilities');
 * @throws ProteusError PROTEUS_MODELS_GRAPH_INVALID when `x` is not shaped for the spec or a weight is missing
 */
export function appendModelForward(
  g: GraphBuilder,
  spec: ResolvedModelSpec,
  weights: Record<string, Value>,
  x: Value,
  options: AppendModelForwardOptions = {},
): ModelForward {
  assertForwardInputs(spec, weights, x);
  const dropoutMasks: Value[] = [];
  const weight = (name: string) => weights[name] as Value;
  const maybeDropout = (h: Value) => {
    if (!options.dropout || spec.dropout === 0) return h;
    const mask = g.input(`dropout${dropoutMasks.length}`, 'float32', h.shape);
    dropoutMasks.push(mask);
    return g.dropout(h, mask);
  };
  const linear = (h: Value, i: number) => g.add(g.matMul(h, weight(`mlp${i}.weight`)), weight(`mlp${i}.bias`));

  let h: Value;
  let embedding: Value;
  const layers = spec.kind === 'gcn' ? spec.mlpLayers : spec.layers;
  let logitsView = (logits: Value): Value => logits;
  let dropRows = maybeDropout;
  if (spec.kind === 'gcn') {
    // Node-major rows [N·batch, D]: each weight product is one 2-D Gemm with its bias (onnxruntime fuses the ReLU),
    // and the aggregation views the same buffer as [N, batch·D] without a copy.
    const n = spec.nodes;
    const batch = x.shape[0] as Dim;
    const times = (d: Dim, k: number): Dim => (typeof d === 'number' ? d * k : `${d}*${k}`);
    const aggregateNodes = buildNodeAggregation(g, spec.adjacency, n, spec.aggregation);
    const aggregate = (rows: Value) => {
      const width = rows.shape[1] as number;
      return g.view(aggregateNodes(g.view(rows, [n, times(batch, width)])), rows.shape);
    };
    const nodeMajor = (value: Value) => g.view(value, [n, batch, value.shape[1] as number]);
    if (options.dropout && spec.dropout > 0) {
      // Masks stay [N, batch, D] inputs (the trainer fills them by shape); viewing them costs two reshapes per layer.
      dropRows = (value) => (value.shape.length === 2 ? g.view(maybeDropout(nodeMajor(value)), value.shape) : value);
    }
    h = g.view(g.transpose(x, [1, 0, 2]), [times(batch, n), spec.features]);
    let width = spec.features;
    for (let i = 0; i < spec.gcnLayers; i++) {
      const w = weight(`gcn${i}.weight`);
      const bias = weight(`gcn${i}.bias`);
      // Â (h W) == (Â h) W: aggregate on the narrower side.
      let z = width <= spec.hidden ? g.gemm(aggregate(h), w, bias) : g.add(aggregate(g.matMul(h, w)), bias);
      if (spec.rootWeight) z = g.gemm(h, weight(`gcn${i}.root`), z);
      h = dropRows(g.relu(z));
      width = spec.hidden;
    }
    if (spec.level === 'graph') {
      h = g.reduceMean(nodeMajor(h), [0]);
      embedding = h;
      dropRows = maybeDropout;
    } else {
      embedding = nodeMajor(h);
      logitsView = (logits) => g.transpose(nodeMajor(logits), [1, 0, 2]);
    }
  } else {
    h = x;
    embedding = h;
  }
  for (let i = 0; i < layers; i++) {
    h = h.shape.length === 2 ? g.gemm(h, weight(`mlp${i}.weight`), weight(`mlp${i}.bias`)) : linear(h, i);
    if (i < layers - 1) h = dropRows(g.relu(h));
  }
  return { logits: logitsView(h), embedding, dropoutMasks };
}

function assertForwardInputs(spec: ResolvedModelSpec, weights: Record<string, Value>, x: Value): void {
  const expected = inputShape(spec);
  const fits =
    x.shape.length === expected.length &&
    expected.every((d, i) => typeof d === 'string' || typeof x.shape[i] === 'string' || x.shape[i] === d);
  if (!fits) {
    throw new ProteusError(
      'PROTEUS_MODELS_GRAPH_INVALID',
      `models/appendModelForward: x "${x.name}" has shape [${x.shape.join(', ')}], the ${spec.kind} spec reads [${expected.join(', ')}]`,
      { details: { x: x.shape, expected } },
    );
  }
  const missing = weightShapes(spec)
    .map(([name]) => name)
    .filter((name) => weights[name] === undefined);
  if (missing.length > 0) {
    throw new ProteusError(
      'PROTEUS_MODELS_GRAPH_INVALID',
      `models/appendModelForward: missing weight value(s) ${missing.join(', ')}; pass one graph value per weightShapes(spec) entry`,
      { details: { missing } },
    );
  }
}

/**
 * Appends the constants of the adjacency product `A h` (`adjacency[i*N+j]` weighs the message j -> i, as
 * `toDenseAdjacency` writes it) and returns the aggregation to apply to node-major values; every call of the returned
 * function reuses those constants. The layer builders of the GCN (`gcnAdjacency`) and of GraphSAGE with mean
 * aggregation (`meanAdjacency`) are `aggregate(h) W` or `aggregate(h W)`, whichever side is narrower.
 * @example
 * const aggregate = buildAggregation(g, toDenseAdjacency(gcnAdjacency(graph)), graph.size);
 * const h1 = g.relu(g.add(g.matMul(aggregate(g.transpose(x, [1, 0, 2])), w0), b0)); // GCNConv, node-major
 * @throws ProteusError PROTEUS_MODELS_GRAPH_INVALID when `adjacency` does not hold `nodes * nodes` values
 */
export function buildAggregation(
  g: GraphBuilder,
  adjacency: Float32Array,
  nodes: number,
  options: BuildAggregationOptions = {},
): Aggregation {
  if (!Number.isInteger(nodes) || nodes < 1 || adjacency.length !== nodes * nodes) {
    throw new ProteusError(
      'PROTEUS_MODELS_GRAPH_INVALID',
      `models/buildAggregation: adjacency must hold nodes*nodes values for nodes = ${nodes}, got ${adjacency.length}`,
      { details: { nodes, length: adjacency.length } },
    );
  }
  const aggregateNodes = buildNodeAggregation(g, adjacency, nodes, options.mode ?? 'sparse');
  return (h) => g.reshapeLike(aggregateNodes(g.reshape(h, [nodes, -1])), h);
}

/** The adjacency product over `[N, X]` values (one row per node), same shape out. */
function buildNodeAggregation(
  g: GraphBuilder,
  adjacency: Float32Array | CsrMatrix,
  n: number,
  mode: 'sparse' | 'dense',
): (rows: Value) => Value {
  const edges = adjacencyEdges(adjacency, n);
  if (mode === 'dense' || edges.src.length === 0) {
    const a = g.constant(adjacency instanceof Float32Array ? adjacency : toDenseAdjacency(adjacency), [n, n]);
    return (rows) => g.matMul(a, rows);
  }
  // Self loops (every node of a GCN adjacency has one) are one row-scaling Mul, which also replaces the zero fill the
  // scatter-add starts from; only the other edges go through onnxruntime's ScatterND, whose add reduction runs one
  // indirect call per element (~1/3 of its elements on 1000genome were self loops).
  const selfWeight = new Float32Array(n);
  const other: EdgeList = { src: [], dst: [], weight: [] };
  edges.src.forEach((s, k) => {
    const d = edges.dst[k] as number;
    const weight = edges.weight[k] as number;
    if (s === d) selfWeight[d] = weight;
    else {
      other.src.push(s);
      other.dst.push(d);
      other.weight.push(weight);
    }
  });
  const hasSelfLoops = selfWeight.some((weight) => weight !== 0);
  const self = hasSelfLoops ? g.constant(selfWeight, [n, 1]) : undefined;
  const e = other.src.length;
  if (e === 0) return (rows) => g.mul(rows, self as Value);
  const src = g.constant(other.src, [e], 'int64');
  const dst = g.constant(other.dst, [e, 1], 'int64');
  const scale = symmetricScale(selfWeight, other);
  if (scale) {
    // A = D^-1/2 (A01 + I) D^-1/2 (GCN normalization): scale the rows once before and once after, and the edges carry
    // no weight, so no per-edge Mul runs forward or backward.
    const r = g.constant(scale, [n, 1]);
    return (rows) => {
      const scaled = g.mul(rows, r);
      return g.mul(g.scatterNdAdd(scaled, dst, g.gather(scaled, src, 0)), r);
    };
  }
  const w = g.constant(other.weight, [e, 1]);
  // Rows of [N, batch*D]: the edge weight is one scalar per row, which onnxruntime's Mul broadcasts fast; a
  // [E, batch, D] * [E, 1, 1] product takes its slow general-broadcast path (10x slower, measured).
  return (rows) => {
    // The Gather is recorded before the self-loop Mul, so the backward pass (reverse order) scatters the gathered
    // rows' gradient straight into the self-loop's instead of into zeros plus an Add (see addGradients).
    const messages = g.mul(g.gather(rows, src, 0), w);
    return g.scatterNdAdd(self ? g.mul(rows, self) : g.fillLike(rows, 0), dst, messages);
  };
}

/**
 * `r` with `A[i][j] = r[i] * r[j]` for every edge and self loop (`A[i][i] = r[i]^2`), as GCN normalization
 * `1/sqrt(deg(i) deg(j))` writes them; undefined when a node lacks a self loop or an edge weight does not factor.
 */
function symmetricScale(selfWeight: Float32Array, other: EdgeList): Float32Array | undefined {
  if (selfWeight.some((weight) => !(weight > 0))) return undefined;
  const r = selfWeight.map(Math.sqrt);
  const factors = other.weight.every((weight, k) => {
    const product = (r[other.dst[k] as number] as number) * (r[other.src[k] as number] as number);
    return Math.abs(product - weight) <= 1e-6 * Math.abs(weight);
  });
  return factors ? r : undefined;
}
