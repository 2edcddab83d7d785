/*
 * The self-supervised detector's architecture: a GraphSAGE (mean aggregation) encoder to N groups of K categorical
 * latents (Gumbel-softmax), and a GraphSAGE decoder back to the job features.
 * Reference: Krishnan et al., arXiv 2310.01247 (FlowGAD `Krishnan_dev` `Lib_SSL_CL.py` `SSL_Base`);
 * ../shared/reference/ml.md §3.2.
 */
import { ProteusError, type Rng } from '@proteus-wf/core';
import type { ModelWeights } from '../graphs/model-spec.js';
import { assertWeightShapes } from '../internal/assert-weight-shapes.js';

/** The SSL model: SAGE(F->h)-ReLU-SAGE(h->G*K) | Gumbel-softmax | SAGE(G*K->h)-ReLU-SAGE(h->F). */
export interface SslSpec {
  /** Jobs per run (N). */
  nodes: number;
  /** Features per job (F). */
  features: number;
  /**
   * Dense mean-aggregation matrix, row-major [N*N]: `adjacency[i*N+j] = 1/|N(i)|` for each neighbour j of job i, no
   * self loops (exactly `toDenseAdjacency(meanAdjacency(graph))`).
   */
  adjacency: Float32Array;
  /** Hidden width of both SAGE stacks (default 64). */
  hidden?: number;
  /** Latent groups (default 2). */
  groups?: number;
  /** Categories per group (default 10). */
  categories?: number;
  /** Dropout after each hidden ReLU while training (default 0.5, as the reference). */
  dropout?: number;
  /** Weight of the reconstruction term; the contrastive margin term gets `1 - eta` (default 0.5). */
  eta?: number;
  /** Margin of the contrastive term (default 0.5). */
  margin?: number;
  /**
   * Train the decoder to rebuild the clean jobs from the augmented view's latent (a denoising objective) instead of
   * the clean view's (default false, as the reference). Scoring is the same either way.
   */
  denoise?: boolean;
  /**
   * Whether a job's own features enter its own latent and reconstruction (default true, as the reference). `false`
   * drops the first encoder layer's root (self) weight, so each job is rebuilt from its neighbours' features only: with
   * directed (parent-to-child) aggregation, from its ancestors, and the error is how far the job is from what its
   * ancestors predict; the model cannot learn to copy a training job's own anomaly.
   */
  selfInput?: boolean;
  /** How the aggregation runs: `sparse` (gather/scatter over edges), `dense` (one MatMul) or `auto` (default). */
  aggregation?: 'auto' | 'sparse' | 'dense';
  /**
   * Per-job input standardization baked into every graph: the model sees and reconstructs `(x - mean) / std`, with
   * `mean` and `std` row-major `[N*F]` (one value per job and feature, fitted on training runs). Default: none.
   */
  inputNormalization?: SslInputNormalization | null;
}

/** Per-job, per-feature input statistics `[N*F]` (std > 0). */
export interface SslInputNormalization {
  mean: Float32Array;
  std: Float32Array;
}

/** An SSL spec with every default filled in. */
export type ResolvedSslSpec = Required<Omit<SslSpec, 'aggregation' | 'inputNormalization'>> & {
  aggregation: 'sparse' | 'dense';
  inputNormalization: SslInputNormalization | null;
};

const DEFAULTS = {
  hidden: 64,
  groups: 2,
  categories: 10,
  dropout: 0.5,
  eta: 0.5,
  margin: 0.5,
  denoise: false,
  selfInput: true,
};

function invalidSpec(message: string, spec: unknown): ProteusError {
  return new ProteusError('PROTEUS_MODELS_INVALID_SPEC', `models/defineSslSpec: ${message}`, { details: spec });
}

function positiveInt(value: unknown, what: string, spec: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw invalidSpec(`${what} must be an integer >= 1, got ${String(value)}`, spec);
  }
  return value;
}

/**
 * Validates an SSL spec and fills its defaults.
 * @example
 * const spec = defineSslSpec({ nodes: 137, features: 7, adjacency: toDenseAdjacency(meanAdjacency(graph)) });
 * @throws ProteusError PROTEUS_MODELS_INVALID_SPEC for a bad size, an adjacency of the wrong length, a dropout outside
 * [0, 1), eta outside [0, 1] or a negative margin
 */
export function defineSslSpec(spec: SslSpec): ResolvedSslSpec {
  const shown = { ...spec, adjacency: undefined, inputNormalization: spec.inputNormalization ? 'given' : 'none' };
  const nodes = positiveInt(spec.nodes, 'nodes', shown);
  const features = positiveInt(spec.features, 'features', shown);
  const hidden = positiveInt(spec.hidden ?? DEFAULTS.hidden, 'hidden', shown);
  const groups = positiveInt(spec.groups ?? DEFAULTS.groups, 'groups', shown);
  const categories = positiveInt(spec.categories ?? DEFAULTS.categories, 'categories', shown);
  if (categories < 2) throw invalidSpec(`categories must be >= 2, got ${categories}`, shown);
  const dropout = spec.dropout ?? DEFAULTS.dropout;
  if (!(dropout >= 0 && dropout < 1)) throw invalidSpec(`dropout must be in [0, 1), got ${dropout}`, shown);
  const eta = spec.eta ?? DEFAULTS.eta;
  if (!(eta >= 0 && eta <= 1)) throw invalidSpec(`eta must be in [0, 1], got ${eta}`, shown);
  const margin = spec.margin ?? DEFAULTS.margin;
  if (!(margin >= 0 && Number.isFinite(margin)))
    throw invalidSpec(`margin must be a finite number >= 0, got ${margin}`, shown);
  if (spec.selfInput !== undefined && typeof spec.selfInput !== 'boolean')
    throw invalidSpec(`selfInput must be a boolean, got ${String(spec.selfInput)}`, shown);
  if (!(spec.adjacency instanceof Float32Array) || spec.adjacency.length !== nodes * nodes) {
    throw invalidSpec(
      `adjacency must be a Float32Array of nodes*nodes = ${nodes * nodes} values, got ${spec.adjacency?.length ?? 'none'}. Pass toDenseAdjacency(meanAdjacency(graph)).`,
      shown,
    );
  }
  const aggregation = spec.aggregation ?? 'auto';
  if (!['auto', 'sparse', 'dense'].includes(aggregation)) {
    throw invalidSpec(`aggregation must be "auto", "sparse" or "dense", got ${String(aggregation)}`, shown);
  }
  const normalization = spec.inputNormalization ?? null;
  if (normalization) {
    const ok = (v: unknown, positive: boolean) =>
      v instanceof Float32Array &&
      v.length === nodes * features &&
      v.every((value) => Number.isFinite(value) && (!positive || value > 0));
    if (!ok(normalization.mean, false) || !ok(normalization.std, true)) {
      throw invalidSpec(
        `inputNormalization needs mean and std as Float32Arrays of nodes*features = ${nodes * features} finite values (std > 0)`,
        shown,
      );
    }
  }
  let nonZero = 0;
  for (const v of spec.adjacency) if (v !== 0) nonZero++;
  return {
    nodes,
    features,
    adjacency: spec.adjacency,
    hidden,
    groups,
    categories,
    dropout,
    eta,
    margin,
    denoise: spec.denoise ?? DEFAULTS.denoise,
    selfInput: spec.selfInput ?? DEFAULTS.selfInput,
    inputNormalization: normalization,
    aggregation: aggregation === 'auto' ? (nonZero <= 0.25 * nodes * nodes ? 'sparse' : 'dense') : aggregation,
  };
}

/** The four SAGE layers of the model, in order: [name, in, out]. */
export function sslLayers(spec: ResolvedSslSpec): [string, number, number][] {
  const latent = spec.groups * spec.categories;
  return [
    ['enc0', spec.features, spec.hidden],
    ['enc1', spec.hidden, latent],
    ['dec0', latent, spec.hidden],
    ['dec1', spec.hidden, spec.features],
  ];
}

/**
 * Weight names and shapes, in graph-input order. A SAGE layer `L` has `L.neighbor.weight` [in,out] (PyG `lin_l`,
 * applied to the neighbour mean, with `L.bias` [out]) and `L.root.weight` [in,out] (PyG `lin_r`, no bias); without
 * `selfInput`, `enc0` has no root weight.
 */
export function sslWeightShapes(spec: ResolvedSslSpec): [string, number[]][] {
  const shapes: [string, number[]][] = [];
  for (const [layer, input, output] of sslLayers(spec)) {
    shapes.push([`${layer}.neighbor.weight`, [input, output]]);
    if (spec.selfInput || layer !== 'enc0') shapes.push([`${layer}.root.weight`, [input, output]]);
    shapes.push([`${layer}.bias`, [output]]);
  }
  return shapes;
}

/**
 * Seeded initial weights like PyG `SAGEConv` (torch `Linear` init: uniform in +-1/sqrt(fan_in); the bias too).
 * @example const weights = initSslWeights(defineSslSpec(spec), createRng(42));
 */
export function initSslWeights(spec: ResolvedSslSpec, rng: Rng): ModelWeights {
  const weights: ModelWeights = {};
  for (const [name, shape] of sslWeightShapes(spec)) {
    const size = shape.reduce((p, d) => p * d, 1);
    const fanIn = name.endsWith('.bias')
      ? (weights[name.replace('.bias', '.neighbor.weight')]?.shape[0] ?? 1)
      : (shape[0] as number);
    const bound = 1 / Math.sqrt(fanIn);
    const data = new Float32Array(size);
    for (let i = 0; i < size; i++) data[i] = (2 * rng.float() - 1) * bound;
    weights[name] = { shape, data };
  }
  return weights;
}

/**
 * Checks that `weights` hold exactly the tensors `spec` needs.
 * @throws ProteusError PROTEUS_MODELS_INVALID_WEIGHTS listing every missing, extra or mis-shaped tensor in `details`
 */
export function assertSslWeights(spec: ResolvedSslSpec, weights: ModelWeights, where: string): void {
  assertWeightShapes(sslWeightShapes(spec), weights, where, 'SSL spec');
}
