// Forward graphs of the GCN and the MLP baseline, shared by the inference and the training-step graphs.
// Reference: Jin et al., WORKS 2022; GCNConv semantics of PyG (ml.md §2.1): h' = Â (h W) + b.
// Layout: the GCN works node-major ([N, batch, D]) so the adjacency product is one MatMul or one gather/scatter over
// edges for the whole batch, with no per-run loop.
import type { GraphBuilder, Value } from '../onnx/graph-builder.js';
import type { ResolvedModelSpec } from './model-spec.js';

/** The batch dimension name used in every model graph. */
export const BATCH_DIM = 'batch';

/** What `buildForward` produced. */
export interface ForwardGraph {
  /** Input `x`. */
  x: Value;
  /** Logits, batch-major: [batch, C] or [batch, N, C]. */
  logits: Value;
  /** Dropout mask inputs (inverted dropout: 0 or 1/(1-p)), in creation order; empty without dropout. */
  dropoutMasks: Value[];
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
 * Appends the forward pass of `spec` reading `x` and the given weight values (inputs or initializers).
 * With `dropout: true` and `spec.dropout > 0`, adds one mask input per hidden activation.
 */
export function buildForward(
  g: GraphBuilder,
  spec: ResolvedModelSpec,
  weights: Record<string, Value>,
  options: { dropout: boolean },
): ForwardGraph {
  const x = g.input('x', 'float32', inputShape(spec));
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
    const n = spec.nodes;
    const aggregate = makeAggregate(g, spec.adjacency, n, spec.aggregation);
    h = g.transpose(x, [1, 0, 2]);
    let width = spec.features;
    for (let i = 0; i < spec.gcnLayers; i++) {
      const w = weight(`gcn${i}.weight`);
      // Â (h W) == (Â h) W: aggregate on the narrower side.
      const z = width <= spec.hidden ? g.matMul(aggregate(h), w) : aggregate(g.matMul(h, w));
      h = maybeDropout(g.relu(g.add(z, weight(`gcn${i}.bias`))));
      width = spec.hidden;
    }
    if (spec.level === 'graph') h = g.reduceMean(h, [0]);
  } else {
    h = x;
  }
  for (let i = 0; i < layers; i++) {
    h = linear(h, i);
    if (i < layers - 1) h = maybeDropout(g.relu(h));
  }
  const logits = spec.kind === 'gcn' && spec.level === 'node' ? g.transpose(h, [1, 0, 2]) : h;
  return { x, logits, dropoutMasks };
}

function makeAggregate(
  g: GraphBuilder,
  adjacency: Float32Array,
  n: number,
  mode: 'sparse' | 'dense',
): (h: Value) => Value {
  if (mode === 'dense') {
    const a = g.constant(adjacency, [n, n]);
    return (h) => g.reshapeTo(g.matMul(a, g.reshape(h, [n, -1])), g.shapeOf(h));
  }
  const edges = adjacencyEdges(adjacency, n);
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
