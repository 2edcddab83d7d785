/*
 * The two models the active learner trains, as loss builders over `@proteus-wf/models`' graph builder, so that the
 * Eq. 6 update (internal/update-graphs.ts) can combine several losses, inner steps and input gradients in one graph.
 * - GCN: the WORKS'22 supervised model at job level (Jin et al., WORKS 2022; ml.md §2.1, §8): GCN(F->h)-ReLU-GCN(h->h)-
 *   ReLU then Linear(h->h)-ReLU-Linear(h->2), softmax cross-entropy on binary job labels. Weight names and layout
 *   are the engine's (`gcn{i}.*`, `mlp{i}.*`, [in, out]), so `initWeights` and `buildInferenceGraph` apply.
 * - SSL: the self-supervised detector (Jin et al., arXiv 2310.01247; ml.md §3.2): GraphSAGE encoder to G groups of K
 *   categorical latents, Gumbel-softmax sample, GraphSAGE decoder; loss = mean per-job L2 reconstruction error, score =
 *   the error. Weight names are those of the models package's SSL (`enc0.neighbor.weight`, ...).
 * Layout: node-major [N, batch, D] inside the graph so one gather/scatter over edges aggregates the whole batch.
 */
import type { Rng } from '@proteus-wf/core';
import {
  defineModelSpec,
  type GraphBuilder,
  initWeights,
  type ModelWeights,
  type Value,
  weightShapes,
} from '@proteus-wf/models';
import { gcnAdjacency, meanAdjacency, toDenseAdjacency, type WorkflowGraph } from '@proteus-wf/workflow-graph';

/** The symbolic batch (runs) dimension of every graph. */
export const BATCH = 'batch';

/** A batch of labelled runs: features `[runs, N, F]` (scaled) and binary job labels `[runs, N]`. */
export interface RunBatch {
  x: Float32Array;
  runs: number;
  jobBinary: Uint8Array;
  /** Loss weight of the normal and the anomalous class (GCN; default 1 and 1). */
  classWeight?: readonly [number, number];
}

/** Per-batch inputs a loss needs besides `x` (labels, noise), declared with a prefix. */
export interface ExtraInput {
  name: string;
  shape: (number | string)[];
}

/** What a model's analysis graph exposes for query strategies. */
export interface AnalysisValues {
  /** Anomaly score per job `[batch, N]` (higher = more anomalous). */
  score: Value;
  /** Per job, G categorical distributions of C values: `[batch, N, G, C]`. */
  probabilities: Value;
  /** Per-job embedding `[batch, N, H]`. */
  embedding: Value;
  /** The loss whose input gradient is the gradient uncertainty (summed over jobs). */
  sensitivityLoss: Value;
}

/** A model as the active learner sees it. */
export interface ModelDefinition {
  kind: 'gcn' | 'ssl';
  nodes: number;
  features: number;
  /** Shape of the per-job distributions in `analysis().probabilities`: G groups of C values. */
  distribution: { groups: number; classes: number };
  weightShapes: [string, number[]][];
  init(rng: Rng): ModelWeights;
  extraInputs(): ExtraInput[];
  /** Fills the extra inputs of a batch (prefix applied by the caller); `train` adds noise where the model has it. */
  extraFeeds(batch: RunBatch, rng: Rng | undefined): Record<string, { data: Float32Array; dims: number[] }>;
  /** Mean loss of a batch. `extras` are the declared extra inputs (same order and names without prefix). */
  loss(g: GraphBuilder, w: Record<string, Value>, x: Value, extras: Record<string, Value>): Value;
  /** Deterministic forward for scoring and strategies; `extras` as for `loss` (noise is not used). */
  analysis(g: GraphBuilder, w: Record<string, Value>, x: Value, extras: Record<string, Value>): AnalysisValues;
}

/** Options shared by both models. */
export interface ModelOptions {
  hidden?: number;
}

type Aggregate = (h: Value) => Value;

/** Aggregation over the non-zeros of a dense row-major adjacency (`A[i*N+j]` weighs j -> i), node-major. */
function makeAggregate(g: GraphBuilder, adjacency: Float32Array, n: number): Aggregate {
  const src: number[] = [];
  const dst: number[] = [];
  const weight: number[] = [];
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const a = adjacency[i * n + j] as number;
      if (a !== 0) {
        src.push(j);
        dst.push(i);
        weight.push(a);
      }
    }
  }
  if (src.length === 0) return (h) => g.mul(h, 0);
  const e = src.length;
  const srcValue = g.constant(src, [e], 'int64');
  const dstValue = g.constant(dst, [e, 1], 'int64');
  const w = g.constant(weight, [e, 1]);
  // Rows [N, batch*D] times one weight per row: onnxruntime's fast broadcast path (models docs/engine.md §5).
  return (h) => {
    const rows = g.reshape(h, [n, -1]);
    return g.reshapeTo(
      g.scatterNdAdd(g.fillLike(rows, 0), dstValue, g.mul(g.gather(rows, srcValue, 0), w)),
      g.shapeOf(h),
    );
  };
}

/**
 * The job-level binary GCN.
 * @example const gcn = defineGcn(graph, { features: 7 });
 */
export function defineGcn(graph: WorkflowGraph, options: ModelOptions & { features: number }): ModelDefinition {
  const nodes = graph.size;
  const adjacency = toDenseAdjacency(gcnAdjacency(graph));
  const spec = defineModelSpec({
    kind: 'gcn',
    level: 'node',
    nodes,
    features: options.features,
    classes: 2,
    adjacency,
    ...(options.hidden === undefined ? {} : { hidden: options.hidden }),
  });
  const hidden = spec.hidden;
  const gcnLayers = spec.kind === 'gcn' ? spec.gcnLayers : 2;
  const mlpLayers = spec.kind === 'gcn' ? spec.mlpLayers : 2;
  const shapes = weightShapes(spec).map(([name, shape]): [string, number[]] => [name, [...shape]]);
  const forward = (g: GraphBuilder, w: Record<string, Value>, x: Value) => {
    const aggregate = makeAggregate(g, adjacency, nodes);
    let h = g.transpose(x, [1, 0, 2]);
    let inWidth = options.features;
    for (let i = 0; i < gcnLayers; i++) {
      const weight = w[`gcn${i}.weight`] as Value;
      const z = inWidth <= hidden ? g.matMul(aggregate(h), weight) : aggregate(g.matMul(h, weight));
      h = g.relu(g.add(z, w[`gcn${i}.bias`] as Value));
      inWidth = hidden;
    }
    const embedding = h;
    for (let i = 0; i < mlpLayers; i++) {
      h = g.add(g.matMul(h, w[`mlp${i}.weight`] as Value), w[`mlp${i}.bias`] as Value);
      if (i < mlpLayers - 1) h = g.relu(h);
    }
    return { logits: g.transpose(h, [1, 0, 2]), embedding: g.transpose(embedding, [1, 0, 2]) };
  };
  const crossEntropy = (g: GraphBuilder, logits: Value, target: Value) =>
    g.neg(g.reduceSum(g.mul(target, g.logSoftmax(logits, -1)), [-1]));
  return {
    kind: 'gcn',
    nodes,
    features: options.features,
    distribution: { groups: 1, classes: 2 },
    weightShapes: shapes,
    init: (rng) => initWeights(spec, rng),
    extraInputs: () => [{ name: 'target', shape: [BATCH, nodes, 2] }],
    extraFeeds(batch) {
      // A class weight scales the one-hot target, which turns the cross-entropy into the weighted one.
      const target = new Float32Array(batch.runs * nodes * 2);
      const [w0, w1] = batch.classWeight ?? [1, 1];
      for (let i = 0; i < batch.runs * nodes; i++) {
        const positive = (batch.jobBinary[i] as number) > 0;
        target[i * 2 + (positive ? 1 : 0)] = positive ? w1 : w0;
      }
      return { target: { data: target, dims: [batch.runs, nodes, 2] } };
    },
    loss(g, w, x, extras) {
      return g.reduceMean(crossEntropy(g, forward(g, w, x).logits, extras.target as Value));
    },
    analysis(g, w, x, extras) {
      const { logits, embedding } = forward(g, w, x);
      const probabilities = g.softmax(logits, -1);
      return {
        score: g.squeeze(g.slice(probabilities, [1], [2], [2]), [2]),
        probabilities: g.unsqueeze(probabilities, [2]),
        embedding,
        sensitivityLoss: g.reduceSum(crossEntropy(g, logits, extras.target as Value)),
      };
    },
  };
}

/** Options of the SSL model. */
export interface SslOptions extends ModelOptions {
  features: number;
  groups?: number;
  categories?: number;
  /** Gumbel-softmax temperature (default 1). */
  temperature?: number;
}

const SQRT_EPS = 1e-12;

/**
 * The self-supervised detector (reconstruction objective).
 * @example const ssl = defineSsl(graph, { features: 7 });
 */
export function defineSsl(graph: WorkflowGraph, options: SslOptions): ModelDefinition {
  const nodes = graph.size;
  const features = options.features;
  const hidden = options.hidden ?? 64;
  const groups = options.groups ?? 2;
  const categories = options.categories ?? 10;
  const temperature = options.temperature ?? 1;
  const latent = groups * categories;
  const adjacency = toDenseAdjacency(meanAdjacency(graph));
  const layers: [string, number, number][] = [
    ['enc0', features, hidden],
    ['enc1', hidden, latent],
    ['dec0', latent, hidden],
    ['dec1', hidden, features],
  ];
  const shapes: [string, number[]][] = [];
  for (const [layer, input, output] of layers) {
    shapes.push(
      [`${layer}.neighbor.weight`, [input, output]],
      [`${layer}.root.weight`, [input, output]],
      [`${layer}.bias`, [output]],
    );
  }
  const sage = (g: GraphBuilder, aggregate: Aggregate, h: Value, w: Record<string, Value>, index: number) => {
    const [layer, input, output] = layers[index] as [string, number, number];
    const neighbor = w[`${layer}.neighbor.weight`] as Value;
    const messages = input <= output ? g.matMul(aggregate(h), neighbor) : aggregate(g.matMul(h, neighbor));
    return g.add(g.add(messages, w[`${layer}.bias`] as Value), g.matMul(h, w[`${layer}.root.weight`] as Value));
  };
  const forward = (g: GraphBuilder, w: Record<string, Value>, x: Value, gumbel: Value | undefined) => {
    const aggregate = makeAggregate(g, adjacency, nodes);
    const clean = g.transpose(x, [1, 0, 2]);
    const embedding = g.relu(sage(g, aggregate, clean, w, 0));
    const logProbabilities = g.logSoftmax(
      g.reshape(sage(g, aggregate, embedding, w, 1), [0, 0, groups, categories]),
      -1,
    );
    const noisy = gumbel ? g.add(logProbabilities, gumbel) : logProbabilities;
    const sample = g.softmax(g.div(noisy, temperature), -1);
    const decoded = g.relu(sage(g, aggregate, g.reshape(sample, [0, 0, latent]), w, 2));
    const reconstruction = sage(g, aggregate, decoded, w, 3);
    const d = g.sub(clean, reconstruction);
    const errors = g.sqrt(g.add(g.reduceSum(g.mul(d, d), [-1]), SQRT_EPS));
    return { errors, logProbabilities, embedding };
  };
  return {
    kind: 'ssl',
    nodes,
    features,
    distribution: { groups, classes: categories },
    weightShapes: shapes,
    init(rng) {
      // PyG SAGEConv init (torch Linear: uniform +-1/sqrt(fan_in), the bias too), as the models package's SSL.
      const weights: ModelWeights = {};
      for (const [name, shape] of shapes) {
        const fanIn = name.endsWith('.bias')
          ? (shapes.find(([n]) => n === name.replace('.bias', '.neighbor.weight'))?.[1][0] ?? 1)
          : (shape[0] as number);
        const bound = 1 / Math.sqrt(fanIn);
        const data = new Float32Array(shape.reduce((p, d) => p * d, 1));
        for (let i = 0; i < data.length; i++) data[i] = (2 * rng.float() - 1) * bound;
        weights[name] = { shape, data };
      }
      return weights;
    },
    extraInputs: () => [{ name: 'gumbel', shape: [nodes, BATCH, groups, categories] }],
    extraFeeds(batch, rng) {
      const data = new Float32Array(nodes * batch.runs * latent);
      if (rng) for (let i = 0; i < data.length; i++) data[i] = -Math.log(-Math.log(rng.float() + 1e-20));
      return { gumbel: { data, dims: [nodes, batch.runs, groups, categories] } };
    },
    loss(g, w, x, extras) {
      return g.reduceMean(forward(g, w, x, extras.gumbel).errors);
    },
    analysis(g, w, x) {
      const { errors, logProbabilities, embedding } = forward(g, w, x, undefined);
      return {
        score: g.transpose(errors, [1, 0]),
        probabilities: g.transpose(g.exp(logProbabilities), [1, 0, 2, 3]),
        embedding: g.transpose(embedding, [1, 0, 2]),
        sensitivityLoss: g.reduceSum(errors),
      };
    },
  };
}
