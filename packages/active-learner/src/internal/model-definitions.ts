/*
 * The two models the active learner trains, as loss builders over `@proteus-wf/models`' graph builder, so that the
 * Eq. 6 update (internal/update-graphs.ts) can combine several losses, inner steps and input gradients in one graph.
 * - GCN: the WORKS'22 supervised model at job level (Jin et al., WORKS 2022; ml.md §2.1, §8): GCN(F->h)-ReLU-GCN(h->h)-
 *   ReLU then Linear(h->h)-ReLU-Linear(h->2), softmax cross-entropy on binary job labels. The forward is the engine's
 *   (`appendModelForward`), so its weights (`gcn{i}.*`, `mlp{i}.*`, [in, out]), `initWeights` and
 *   `buildInferenceGraph` apply.
 * - SSL: the self-supervised detector (Jin et al., arXiv 2310.01247; ml.md §3.2): GraphSAGE encoder to G groups of K
 *   categorical latents, Gumbel-softmax sample, GraphSAGE decoder; loss = mean per-job L2 reconstruction error, score =
 *   the error. Weight names, shapes and init are the models package's SSL (`sslWeightShapes`, `initSslWeights`); the
 *   forward is its own (additive Gumbel noise, no contrastive view), over the engine's `buildAggregation`.
 * Layout: node-major [N, batch, D] inside the graph so one gather/scatter over edges aggregates the whole batch.
 */
import type { Rng } from '@proteus-wf/core';
import {
  type Aggregation,
  appendModelForward,
  buildAggregation,
  defineModelSpec,
  defineSslSpec,
  initSslWeights,
  initWeights,
  type ModelWeights,
  sslWeightShapes,
  weightShapes,
} from '@proteus-wf/models';
import type { GraphBuilder, Value } from '@proteus-wf/onnx-train';
import { gcnAdjacency, meanAdjacency, toDenseAdjacency, type WorkflowGraph } from '@proteus-wf/workflow-graph';

/** The symbolic batch (runs) dimension of every graph. */
export const BATCH = 'batch';

/** A batch of labelled runs: features `[runs, N, F]` (scaled) and binary job labels `[runs, N]`. */
export interface RunBatch {
  x: Float32Array;
  runs: number;
  jobBinary: Uint8Array;
  /**
   * Class index per job `[runs, N]` (node level) or per run `[runs]` (graph level) under the learning task; the GCN
   * trains on these when given, else on `jobBinary`.
   */
  classes?: Int32Array;
  /** Loss weight of each class (GCN; default 1 each): normal and anomalous, or one per class of the task. */
  classWeight?: readonly number[];
}

/** Per-batch inputs a loss needs besides `x` (labels, noise), declared with a prefix. */
export interface ExtraInput {
  name: string;
  shape: (number | string)[];
}

/** What a model's analysis graph exposes for query strategies. */
export interface AnalysisValues {
  /** Anomaly score per job `[batch, N]` (higher = more anomalous); per run `[batch]` at graph level. */
  score: Value;
  /** Class probabilities `[batch, N, C]`, or `[batch, C]` at graph level (supervised models only). */
  classProbabilities?: Value;
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
  /** `graph`: one prediction per run (score, probabilities and embedding are per run, `[batch, ...]`). */
  level: 'node' | 'graph';
  /** Classes of the supervised head (2 for binary; the SSL has none and says 2). */
  classes: number;
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

/** Options of the GCN: its task (default job-level binary). */
export interface GcnOptions extends ModelOptions {
  features: number;
  /** One prediction per job (default) or per run (mean pooling over jobs). */
  level?: 'node' | 'graph';
  /** Classes of the head (default 2). */
  classes?: number;
}

/**
 * The GCN: job-level binary by default, or per run (`level: 'graph'`) and over `classes` classes.
 * @example const gcn = defineGcn(graph, { features: 7 });
 */
export function defineGcn(graph: WorkflowGraph, options: GcnOptions): ModelDefinition {
  const nodes = graph.size;
  const level = options.level ?? 'node';
  const classes = options.classes ?? 2;
  const spec = defineModelSpec({
    kind: 'gcn',
    level,
    nodes,
    features: options.features,
    classes,
    adjacency: toDenseAdjacency(gcnAdjacency(graph)),
    // Pinned: 'auto' picks dense for small dense graphs, whose float sums round differently from the sparse ones.
    aggregation: 'sparse',
    ...(options.hidden === undefined ? {} : { hidden: options.hidden }),
  });
  const shapes = weightShapes(spec).map(([name, shape]): [string, number[]] => [name, [...shape]]);
  const forward = (g: GraphBuilder, w: Record<string, Value>, x: Value) => appendModelForward(g, spec, w, x);
  const crossEntropy = (g: GraphBuilder, logits: Value, target: Value) =>
    g.neg(g.reduceSum(g.mul(target, g.logSoftmax(logits, -1)), [-1]));
  // Per job `[batch, N, C]` or per run `[batch, C]`.
  const itemShape: (number | string)[] = level === 'graph' ? [BATCH, classes] : [BATCH, nodes, classes];
  return {
    kind: 'gcn',
    level,
    classes,
    nodes,
    features: options.features,
    distribution: { groups: 1, classes },
    weightShapes: shapes,
    init: (rng) => initWeights(spec, rng),
    extraInputs: () => [{ name: 'target', shape: itemShape }],
    extraFeeds(batch) {
      // A class weight scales the one-hot target, which turns the cross-entropy into the weighted one.
      const items = level === 'graph' ? batch.runs : batch.runs * nodes;
      const target = new Float32Array(items * classes);
      const weight = batch.classWeight ?? [];
      for (let i = 0; i < items; i++) {
        const c = batch.classes
          ? (batch.classes[i] as number)
          : level === 'graph'
            ? batch.jobBinary.subarray(i * nodes, (i + 1) * nodes).some((b) => b > 0)
              ? 1
              : 0
            : (batch.jobBinary[i] as number) > 0
              ? 1
              : 0;
        target[i * classes + c] = weight[c] ?? 1;
      }
      const dims = level === 'graph' ? [batch.runs, classes] : [batch.runs, nodes, classes];
      return { target: { data: target, dims } };
    },
    loss(g, w, x, extras) {
      return g.reduceMean(crossEntropy(g, forward(g, w, x).logits, extras.target as Value));
    },
    analysis(g, w, x, extras) {
      const { logits, embedding } = forward(g, w, x);
      const probabilities = g.softmax(logits, -1);
      const last = level === 'graph' ? 1 : 2;
      // The anomaly score: 1 - p(normal), the mass of every anomalous class.
      const score = g.sub(1, g.squeeze(g.slice(probabilities, [0], [1], [last]), [last]));
      return {
        score,
        classProbabilities: probabilities,
        probabilities: g.unsqueeze(probabilities, [last]),
        embedding: level === 'graph' ? embedding : g.transpose(embedding, [1, 0, 2]),
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
  const spec = defineSslSpec({
    nodes,
    features,
    adjacency: toDenseAdjacency(meanAdjacency(graph)),
    hidden,
    groups,
    categories,
    aggregation: 'sparse',
  });
  const shapes = sslWeightShapes(spec).map(([name, shape]): [string, number[]] => [name, [...shape]]);
  /** PyG SAGEConv (mean), as the models package's SSL: `W_l · mean_j h_j + b + W_r · h_i`, narrower side first. */
  const sage = (g: GraphBuilder, aggregate: Aggregation, h: Value, w: Record<string, Value>, layer: string) => {
    const neighbor = w[`${layer}.neighbor.weight`] as Value;
    const [input, output] = neighbor.shape as [number, number];
    const messages = input <= output ? g.matMul(aggregate(h), neighbor) : aggregate(g.matMul(h, neighbor));
    return g.add(g.add(messages, w[`${layer}.bias`] as Value), g.matMul(h, w[`${layer}.root.weight`] as Value));
  };
  const forward = (g: GraphBuilder, w: Record<string, Value>, x: Value, gumbel: Value | undefined) => {
    const aggregate = buildAggregation(g, spec.adjacency, nodes, { mode: 'sparse' });
    const clean = g.transpose(x, [1, 0, 2]);
    const embedding = g.relu(sage(g, aggregate, clean, w, 'enc0'));
    const logProbabilities = g.logSoftmax(
      g.reshape(sage(g, aggregate, embedding, w, 'enc1'), [0, 0, groups, categories]),
      -1,
    );
    const noisy = gumbel ? g.add(logProbabilities, gumbel) : logProbabilities;
    const sample = g.softmax(g.div(noisy, temperature), -1);
    const decoded = g.relu(sage(g, aggregate, g.reshape(sample, [0, 0, latent]), w, 'dec0'));
    const reconstruction = sage(g, aggregate, decoded, w, 'dec1');
    const d = g.sub(clean, reconstruction);
    const errors = g.sqrt(g.add(g.reduceSum(g.mul(d, d), [-1]), SQRT_EPS));
    return { errors, logProbabilities, embedding };
  };
  return {
    kind: 'ssl',
    level: 'node',
    classes: 2,
    nodes,
    features,
    distribution: { groups, classes: categories },
    weightShapes: shapes,
    // PyG SAGEConv init (torch Linear: uniform +-1/sqrt(fan_in), the bias too), the models package's SSL init.
    init: (rng) => initSslWeights(spec, rng),
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
