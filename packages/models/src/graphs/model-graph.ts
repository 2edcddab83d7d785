// Forward graphs of the GCN and the MLP baseline, shared by the inference and the training-step graphs.
// Reference: Jin et al., WORKS 2022; GCNConv semantics of PyG (ml.md §2.1): h' = Â (h W) + b.
// Layout: the GCN works node-major ([N, batch, D]) so the adjacency product is one MatMul or one gather/scatter over
// edges for the whole batch, with no per-run loop.
import { ProteusError } from '@proteus-wf/core';
import type { GraphBuilder, Value } from '@proteus-wf/onnx-train';
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
   * `sparse` (default): gather the source rows of the non-zero entries, scale, scatter-add into the targets; `dense`:
   * one `[N,N]` MatMul. The two differ in float rounding only; a graph without edges always runs dense (zeros).
   */
  mode?: 'sparse' | 'dense';
}

/** Edge lists (COO) of the non-zero adjacency entries: message src -> dst with weight. */
export interface EdgeList {
  src: number[];
  dst: number[];
  weight: number[];
}

/** The non-zeros of a dense row-major adjacency (`A[i*N+j]` weighs j -> i). */
export function adjacencyEdges(adjacency: Float32Array, nodes: number): EdgeList {
  const edges: EdgeList = { src: [], dst: [], weight: [] };
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
  const layers = spec.kind === 'gcn' ? spec.mlpLayers : spec.layers;
  if (spec.kind === 'gcn') {
    const aggregate = buildAggregation(g, spec.adjacency, spec.nodes, { mode: spec.aggregation });
    h = g.transpose(x, [1, 0, 2]);
    let width = spec.features;
    for (let i = 0; i < spec.gcnLayers; i++) {
      const w = weight(`gcn${i}.weight`);
      // Â (h W) == (Â h) W: aggregate on the narrower side.
      let z = width <= spec.hidden ? g.matMul(aggregate(h), w) : aggregate(g.matMul(h, w));
      if (spec.rootWeight) z = g.add(z, g.matMul(h, weight(`gcn${i}.root`)));
      h = maybeDropout(g.relu(g.add(z, weight(`gcn${i}.bias`))));
      width = spec.hidden;
    }
    if (spec.level === 'graph') h = g.reduceMean(h, [0]);
  } else {
    h = x;
  }
  const embedding = h;
  for (let i = 0; i < layers; i++) {
    h = linear(h, i);
    if (i < layers - 1) h = maybeDropout(g.relu(h));
  }
  const logits = spec.kind === 'gcn' && spec.level === 'node' ? g.transpose(h, [1, 0, 2]) : h;
  return { logits, embedding, dropoutMasks };
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
  const n = nodes;
  const edges = adjacencyEdges(adjacency, n);
  if (options.mode === 'dense' || edges.src.length === 0) {
    const a = g.constant(adjacency, [n, n]);
    return (h) => g.reshapeTo(g.matMul(a, g.reshape(h, [n, -1])), g.shapeOf(h));
  }
  const e = edges.src.length;
  const src = g.constant(edges.src, [e], 'int64');
  const dst = g.constant(edges.dst, [e, 1], 'int64');
  const w = g.constant(edges.weight, [e, 1]);
  // Rows of [N, batch*D]: the edge weight is one scalar per row, which onnxruntime's Mul broadcasts fast; a
  // [E, batch, D] * [E, 1, 1] product takes its slow general-broadcast path (10x slower, measured).
  return (h) => {
    const rows = g.reshape(h, [n, -1]);
    return g.reshapeTo(g.scatterNdAdd(g.fillLike(rows, 0), dst, g.mul(g.gather(rows, src, 0), w)), g.shapeOf(h));
  };
}
