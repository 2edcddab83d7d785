/*
 * ONNX graphs of the self-supervised detector: the one-run training step (two encoder views, Gumbel-softmax latent,
 * decoder, reconstruction + contrastive margin loss, backward, optimizer) and the deterministic scoring graph.
 * Reference: Krishnan et al., arXiv 2310.01247; ../shared/reference/ml.md §3.2-3.6. The contrastive term implements
 * the reference's intent, not its degenerate code (docs/decisions/models-ssl.md).
 * Layout: node-major [N, batch, D] inside the graph (one gather/scatter or MatMul aggregates the whole batch).
 */

import {
  createGraphBuilder,
  type Dim,
  type GraphBuilder,
  type ResolvedOptimizer,
  type Value,
} from '@proteus-wf/onnx-train';
import { adjacencyEdges } from '../graphs/model-graph.js';
import type { ModelWeights } from '../graphs/model-spec.js';
import { appendTrainingStep, type TrainingStepNames, weightValues } from '../graphs/training-step.js';
import { assertSslWeights, type ResolvedSslSpec, sslLayers, sslWeightShapes } from './ssl-spec.js';

const BATCH = 'batch';
/** Added under every square root so the gradient stays finite at a perfect reconstruction. */
const SQRT_EPS = 1e-12;

/** A built SSL training-step graph and the names the trainer feeds. */
export interface SslTrainingGraph extends TrainingStepNames {
  bytes: Uint8Array;
  /**
   * Dropout noise inputs (node-major `[N, batch, hidden]`, uniform in (0, 1); the graph keeps a unit where the noise
   * exceeds the dropout rate); empty without dropout.
   */
  dropoutNoise: { name: string; shape: Dim[] }[];
}

/** What one forward pass produced (node-major). */
export interface SslForward {
  /** The input `x`, batch-major `[batch, N, F]`. */
  x: Value;
  /** `x` node-major `[N, batch, F]`. */
  nodeMajor: Value;
  /** Log-probabilities of the latent categories `[N, batch, G, K]`. */
  logProbabilities: Value;
  /** Reconstruction `[N, batch, F]`. */
  reconstruction: Value;
  /** Per-job L2 reconstruction error `[N, batch]`. */
  errors: Value;
}

type Aggregate = (h: Value) => Value;

/** Mean over each job's neighbours, node-major: sparse gather/scatter over edges, or one dense MatMul. */
function makeAggregate(g: GraphBuilder, spec: ResolvedSslSpec): Aggregate {
  const n = spec.nodes;
  const edges = adjacencyEdges(spec.adjacency, n);
  if (spec.aggregation === 'dense' || edges.src.length === 0) {
    const a = g.constant(spec.adjacency, [n, n]);
    return (h) => g.reshapeTo(g.matMul(a, g.reshape(h, [n, -1])), g.shapeOf(h));
  }
  const e = edges.src.length;
  const src = g.constant(edges.src, [e], 'int64');
  const dst = g.constant(edges.dst, [e, 1], 'int64');
  const w = g.constant(edges.weight, [e, 1]);
  // [N, batch*D] rows times one weight per row: onnxruntime's fast broadcast path (docs/engine.md §5).
  return (h) => {
    const rows = g.reshape(h, [n, -1]);
    return g.reshapeTo(g.scatterNdAdd(g.fillLike(rows, 0), dst, g.mul(g.gather(rows, src, 0), w)), g.shapeOf(h));
  };
}

/**
 * PyG SAGEConv (mean): `W_l · mean_{j in N(i)} h_j + b + W_r · h_i`, aggregating on the narrower side; without a root
 * weight (`selfInput: false`, first layer) the `W_r · h_i` term is absent.
 */
function sage(
  g: GraphBuilder,
  aggregate: Aggregate,
  h: Value,
  weights: Record<string, Value>,
  layer: string,
  input: number,
  output: number,
): Value {
  const neighbor = weights[`${layer}.neighbor.weight`] as Value;
  const root = weights[`${layer}.root.weight`];
  const bias = weights[`${layer}.bias`] as Value;
  const messages = input <= output ? g.matMul(aggregate(h), neighbor) : aggregate(g.matMul(h, neighbor));
  const withBias = g.add(messages, bias);
  return root ? g.add(withBias, g.matMul(h, root)) : withBias;
}

/** The encoder: node-major `x` to latent log-probabilities `[N, batch, G, K]`. */
function encode(
  g: GraphBuilder,
  spec: ResolvedSslSpec,
  aggregate: Aggregate,
  weights: Record<string, Value>,
  x: Value,
  mask?: Value,
): Value {
  const [first, second] = sslLayers(spec) as [[string, number, number], [string, number, number]];
  let h = g.relu(sage(g, aggregate, x, weights, ...first));
  if (mask) h = g.dropout(h, mask);
  const logits = sage(g, aggregate, h, weights, ...second);
  return g.logSoftmax(g.reshape(logits, [0, 0, spec.groups, spec.categories]), -1);
}

/** The decoder: a latent sample `[N, batch, G, K]` to the reconstruction `[N, batch, F]`. */
function decode(
  g: GraphBuilder,
  spec: ResolvedSslSpec,
  aggregate: Aggregate,
  weights: Record<string, Value>,
  sample: Value,
  mask?: Value,
): Value {
  const [, , third, fourth] = sslLayers(spec) as [unknown, unknown, [string, number, number], [string, number, number]];
  let h = g.relu(sage(g, aggregate, g.reshape(sample, [0, 0, spec.groups * spec.categories]), weights, ...third));
  if (mask) h = g.dropout(h, mask);
  return sage(g, aggregate, h, weights, ...fourth);
}

/**
 * The model's view of batch-major input `x` [batch, N, F]: node-major, standardized per job when the spec says so.
 * The statistics are named initializers (`input.mean`, `input.std`) so a saved model carries them.
 */
function makeInputView(g: GraphBuilder, spec: ResolvedSslSpec): (x: Value) => Value {
  const normalization = spec.inputNormalization;
  if (!normalization) return (x) => g.transpose(x, [1, 0, 2]);
  const shape = [spec.nodes, spec.features];
  const mean = g.initializer(INPUT_MEAN, 'float32', shape, normalization.mean);
  const std = g.initializer(INPUT_STD, 'float32', shape, normalization.std);
  return (x) => g.transpose(g.div(g.sub(x, mean), std), [1, 0, 2]);
}

/** Names of the input-standardization initializers in every SSL graph. */
export const INPUT_MEAN = 'input.mean';
export const INPUT_STD = 'input.std';

/** Per-job L2 distance over the trailing `axes`: `sqrt(sum((a - b)^2) + eps)`. */
function l2(g: GraphBuilder, a: Value, b: Value, axes: number[]): Value {
  const d = g.sub(a, b);
  return g.sqrt(g.add(g.reduceSum(g.mul(d, d), axes), SQRT_EPS));
}

/**
 * Appends a deterministic (eval-mode) forward pass reading input `x` [batch, N, F]: no dropout, no Gumbel noise; the
 * latent sample is `softmax(logProbabilities / temperature)`. Used by the scoring and the uncertainty graphs.
 */
export function buildSslForward(
  g: GraphBuilder,
  spec: ResolvedSslSpec,
  weights: Record<string, Value>,
  temperature: Value,
): SslForward {
  const aggregate = makeAggregate(g, spec);
  const x = g.input('x', 'float32', [BATCH, spec.nodes, spec.features]);
  const nodeMajor = makeInputView(g, spec)(x);
  const logProbabilities = encode(g, spec, aggregate, weights, nodeMajor);
  const sample = g.softmax(g.div(logProbabilities, temperature), -1);
  const reconstruction = decode(g, spec, aggregate, weights, sample);
  return { x, nodeMajor, logProbabilities, reconstruction, errors: l2(g, nodeMajor, reconstruction, [-1]) };
}

/** Weight values for a graph: initializers when `weights` are given, else inputs named like the weights. */
export function sslWeightValues(g: GraphBuilder, spec: ResolvedSslSpec, weights?: ModelWeights): Record<string, Value> {
  return weightValues(g, sslWeightShapes(spec), weights);
}

/**
 * Builds the SSL training step. Inputs: `x` and `xAugmented` [batch, N, F], `augmented` [batch, N] (1 where a job was
 * perturbed), `jobWeight` [batch, N] (weight of each job in the reconstruction term; all ones for the plain mean),
 * `noise` [N, batch, G, K] (uniform in (0, 1); the graph turns it into Gumbel(0,1) noise
 * `-log(-log(u))`), `temperature`, `step`, `lr` (float scalars), dropout noise (uniform, `[N, batch, hidden]` each),
 * weights and optimizer state. All randomness is fed uniform so the caller fills buffers with one branch-free loop
 * and the logs and comparisons run vectorized in onnxruntime. Outputs: `loss`, `reconstructionLoss`, `contrastLoss`, and `<input>.next`.
 *
 * loss = eta * mean_i ||x_i - x̂_i|| + (1 - eta) * mean_i [a_i * relu(margin - d_i) + (1 - a_i) * d_i], where d_i is
 * the L2 distance between job i's latent distributions under the clean and the augmented input.
 * @example const graph = buildSslTrainingGraph(defineSslSpec(spec), resolveOptimizer({ kind: 'adamw' }));
 */
export function buildSslTrainingGraph(spec: ResolvedSslSpec, optimizer: ResolvedOptimizer): SslTrainingGraph {
  const g = createGraphBuilder({ name: 'ssl-train-step' });
  const shapes = sslWeightShapes(spec);
  const weights = sslWeightValues(g, spec);
  const aggregate = makeAggregate(g, spec);
  const n = spec.nodes;
  const x = g.input('x', 'float32', [BATCH, n, spec.features]);
  const xAugmented = g.input('xAugmented', 'float32', [BATCH, n, spec.features]);
  const augmented = g.input('augmented', 'float32', [BATCH, n]);
  const jobWeight = g.input('jobWeight', 'float32', [BATCH, n]);
  const noise = g.input('noise', 'float32', [n, BATCH, spec.groups, spec.categories]);
  const gumbel = g.neg(g.log(g.neg(g.log(noise))));
  const temperature = g.input('temperature', 'float32', []);
  const dropoutNoise: Value[] = [];
  if (spec.dropout > 0) {
    dropoutNoise.push(
      g.input('dropout0', 'float32', [n, BATCH, spec.hidden]),
      g.input('dropout1', 'float32', [n, BATCH, spec.hidden]),
    );
  }
  // Inverted dropout: keep a unit where its noise exceeds the rate, scaled by 1 / (1 - rate).
  const [encoderMask, decoderMask] = dropoutNoise.map((u) =>
    g.mul(g.cast(g.greater(u, spec.dropout), 'float32'), 1 / (1 - spec.dropout)),
  );

  const inputView = makeInputView(g, spec);
  const clean = inputView(x);
  const logProbabilities = encode(g, spec, aggregate, weights, clean, encoderMask);
  // The same dropout mask on both views: their latent distance then measures the augmentation, not the mask.
  const logProbabilitiesAugmented = encode(g, spec, aggregate, weights, inputView(xAugmented), encoderMask);
  const decoded = spec.denoise ? logProbabilitiesAugmented : logProbabilities;
  const sample = g.softmax(g.div(g.add(decoded, gumbel), temperature), -1);
  const reconstruction = decode(g, spec, aggregate, weights, sample, decoderMask);
  // Weighted mean over jobs: weight 0 leaves a job out of the reconstruction term (trimmed training).
  const weight = g.transpose(jobWeight, [1, 0]);
  const reconstructionLoss = g.div(
    g.reduceSum(g.mul(weight, l2(g, clean, reconstruction, [-1]))),
    g.add(g.reduceSum(weight), 1e-12),
  );

  const distance = l2(g, g.exp(logProbabilities), g.exp(logProbabilitiesAugmented), [-2, -1]);
  const flag = g.transpose(augmented, [1, 0]);
  const pushApart = g.mul(flag, g.relu(g.sub(spec.margin, distance)));
  const pullTogether = g.mul(g.sub(1, flag), distance);
  const contrastLoss = g.reduceMean(g.add(pushApart, pullTogether));
  const loss = g.add(g.mul(reconstructionLoss, spec.eta), g.mul(contrastLoss, 1 - spec.eta));

  const names = appendTrainingStep(g, shapes, weights, { loss, reconstructionLoss, contrastLoss }, optimizer);
  return {
    bytes: g.toModel(),
    ...names,
    dropoutNoise: dropoutNoise.map((m) => ({ name: m.name, shape: [...m.shape] })),
  };
}

/** Per-job standardization of the reconstruction error, fitted on the training runs. */
export interface SslScoreCalibration {
  /** Mean training error per job (node index), length N. */
  mean: Float32Array;
  /** Standard deviation of the training error per job (floored at 1e-6), length N. */
  std: Float32Array;
}

/**
 * Builds the deterministic scoring graph: input `x` [batch, N, F]; outputs `errors` [batch, N] (per-job L2
 * reconstruction error), `scores` [batch, N] (the anomaly score: the error standardized per job with `calibration`,
 * else the error itself) and `reconstruction` [batch, N, F]. With `weights`, the weights, the temperature and the
 * calibration are baked in (a self-contained model to save); without, weights and `temperature` are inputs.
 * @example const onnx = buildSslInferenceGraph(spec, { weights, temperature: 0.1, calibration });
 * @throws ProteusError PROTEUS_MODELS_INVALID_WEIGHTS when `weights` do not match the spec
 */
export function buildSslInferenceGraph(
  spec: ResolvedSslSpec,
  options: { weights?: ModelWeights; temperature?: number; calibration?: SslScoreCalibration } = {},
): Uint8Array {
  if (options.weights) assertSslWeights(spec, options.weights, 'buildSslInferenceGraph');
  const g = createGraphBuilder({ name: 'ssl-inference' });
  const weights = sslWeightValues(g, spec, options.weights);
  const temperature = options.weights ? g.scalar(options.temperature ?? 1) : g.input('temperature', 'float32', []);
  const forward = buildSslForward(g, spec, weights, temperature);
  const errors = g.transpose(forward.errors, [1, 0]);
  g.output(errors, 'errors');
  const { calibration } = options;
  const scores = calibration
    ? g.div(g.sub(errors, g.constant(calibration.mean, [1, spec.nodes])), g.constant(calibration.std, [1, spec.nodes]))
    : errors;
  g.output(scores, 'scores');
  g.output(g.transpose(forward.reconstruction, [1, 0, 2]), 'reconstruction');
  return g.toModel();
}
