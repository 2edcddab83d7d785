// Model specs (GCN and MLP baseline) and seeded weight initialisation.
// Reference: Jin et al., WORKS 2022 (FlowGAD GNN), ../shared/reference/ml.md §2.1.
import { ProteusError, type Rng } from '@proteus-wf/core';
import type { CsrMatrix } from '@proteus-wf/workflow-graph';
import { assertWeightShapes } from '../internal/assert-weight-shapes.js';

/** The WORKS'22 GCN: GCN(F->h)-ReLU-...-GCN(h->h)-ReLU, [mean pool], Linear(h,h)-ReLU-...-Linear(h,C). */
export interface GcnSpec {
  kind: 'gcn';
  /** `graph`: one prediction per run (mean pooling over jobs); `node`: one per job. */
  level: 'graph' | 'node';
  /** Jobs per run (N). */
  nodes: number;
  /** Features per job (F). */
  features: number;
  /** Classes (C >= 2; binary is 2 classes with softmax cross-entropy). */
  classes: number;
  /**
   * Normalized adjacency (self loops included): dense row-major [N*N], `adjacency[i*N+j]` weighs the message j -> i,
   * or the same matrix sparse (`gcnAdjacency(graph)`'s CSR: row i lists what job i aggregates), which large
   * workflows need: the sparse path never holds N×N values.
   */
  adjacency: Float32Array | CsrMatrix;
  /** Hidden width (default 64). */
  hidden?: number;
  /** GCN layers (default 2). */
  gcnLayers?: number;
  /** Linear layers in the head (default 2). */
  mlpLayers?: number;
  /** Dropout after each hidden ReLU (default 0: the paper has none). */
  dropout?: number;
  /** How the adjacency product runs: `sparse` (gather/scatter over edges), `dense` (one MatMul), or `auto` (default). */
  aggregation?: 'auto' | 'sparse' | 'dense';
  /**
   * Give each GCN layer a separate weight for the job's own features (PyG's `root_weight` of GraphConv/SAGEConv):
   * `h' = Â h W + h W_root + b`, weight `gcn{i}.root`. With symmetric normalization a job with many parents keeps
   * only 1/(d+1) of its own features in `Â h`; job-level anomalies live mostly in the job's own delays. Default false.
   */
  rootWeight?: boolean;
}

/** MLP baseline per job (no graph). */
export interface MlpSpec {
  kind: 'mlp';
  features: number;
  classes: number;
  /** Set: input [B, N, F] (every job of a run classified, no graph); unset: input [B, F] (rows are jobs). */
  nodes?: number;
  /** Hidden width (default 64). */
  hidden?: number;
  /** Linear layers (default 3: F->h->h->C). */
  layers?: number;
  /** Dropout after each hidden ReLU (default 0). */
  dropout?: number;
}

/** A model the engine can build. */
export type ModelSpec = GcnSpec | MlpSpec;

/** A spec with every default filled in. */
export type ResolvedModelSpec =
  | (Required<Omit<GcnSpec, 'aggregation'>> & { aggregation: 'sparse' | 'dense' })
  | (Required<Omit<MlpSpec, 'nodes'>> & { nodes?: number });

/** One weight tensor (row-major). */
export interface WeightTensor {
  shape: number[];
  data: Float32Array;
}

/**
 * Named weights: `gcn{i}.weight` [in,out], `gcn{i}.root` [in,out] (with `rootWeight`), `gcn{i}.bias` [out],
 * `mlp{i}.weight` [in,out], `mlp{i}.bias` [out].
 */
export type ModelWeights = Record<string, WeightTensor>;

const DEFAULTS = { hidden: 64, gcnLayers: 2, mlpLayers: 2, mlpOnlyLayers: 3, dropout: 0, rootWeight: false };

function invalidSpec(message: string, spec: unknown): ProteusError {
  return new ProteusError('PROTEUS_MODELS_INVALID_SPEC', `models/defineModelSpec: ${message}`, { details: spec });
}

function positiveInt(value: unknown, what: string, spec: unknown, min = 1): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw invalidSpec(`${what} must be an integer >= ${min}, got ${String(value)}`, spec);
  }
  return value;
}

/**
 * Validates a model spec and fills its defaults.
 * @example const spec = defineModelSpec({ kind: 'mlp', features: 24, classes: 2 });
 * @throws ProteusError PROTEUS_MODELS_INVALID_SPEC for a bad size, an adjacency of the wrong length or a dropout
 * outside [0, 1)
 */
export function defineModelSpec(spec: ModelSpec): ResolvedModelSpec {
  const dropout = spec.dropout ?? DEFAULTS.dropout;
  if (!(dropout >= 0 && dropout < 1)) throw invalidSpec(`dropout must be in [0, 1), got ${dropout}`, spec);
  const features = positiveInt(spec.features, 'features', spec);
  const classes = positiveInt(spec.classes, 'classes', spec, 2);
  const hidden = positiveInt(spec.hidden ?? DEFAULTS.hidden, 'hidden', spec);
  if (spec.kind === 'mlp') {
    const layers = positiveInt(spec.layers ?? DEFAULTS.mlpOnlyLayers, 'layers', spec);
    const resolved: ResolvedModelSpec = { kind: 'mlp', features, classes, hidden, layers, dropout };
    if (spec.nodes !== undefined) resolved.nodes = positiveInt(spec.nodes, 'nodes', spec);
    return resolved;
  }
  if (spec.kind !== 'gcn')
    throw invalidSpec(`kind must be "gcn" or "mlp", got ${String((spec as { kind: unknown }).kind)}`, spec);
  if (spec.level !== 'graph' && spec.level !== 'node') {
    throw invalidSpec(`level must be "graph" or "node", got ${String(spec.level)}`, spec);
  }
  const nodes = positiveInt(spec.nodes, 'nodes', spec);
  const adjacency = spec.adjacency;
  const denseLength = adjacency instanceof Float32Array ? adjacency.length : undefined;
  if (denseLength === undefined ? !isCsr(adjacency, nodes) : denseLength !== nodes * nodes) {
    throw invalidSpec(
      `adjacency must be a Float32Array of nodes*nodes = ${nodes * nodes} values or a CSR matrix of size ${nodes}, got ${denseLength === undefined ? 'neither' : `${denseLength} values`}`,
      { ...spec, adjacency: undefined },
    );
  }
  const aggregation = spec.aggregation ?? 'auto';
  if (!['auto', 'sparse', 'dense'].includes(aggregation)) {
    throw invalidSpec(`aggregation must be "auto", "sparse" or "dense", got ${aggregation}`, spec);
  }
  return {
    kind: 'gcn',
    level: spec.level,
    nodes,
    features,
    classes,
    adjacency: spec.adjacency,
    hidden,
    gcnLayers: positiveInt(spec.gcnLayers ?? DEFAULTS.gcnLayers, 'gcnLayers', spec),
    mlpLayers: positiveInt(spec.mlpLayers ?? DEFAULTS.mlpLayers, 'mlpLayers', spec),
    dropout,
    aggregation: aggregation === 'auto' ? chooseAggregation(spec.adjacency, nodes) : aggregation,
    rootWeight: rootWeightOf(spec),
  };
}

function rootWeightOf(spec: GcnSpec): boolean {
  const value = spec.rootWeight ?? DEFAULTS.rootWeight;
  if (typeof value !== 'boolean') throw invalidSpec(`rootWeight must be true or false, got ${String(value)}`, spec);
  return value;
}

function isCsr(value: unknown, nodes: number): value is CsrMatrix {
  const csr = value as Partial<CsrMatrix> | undefined;
  return (
    csr?.size === nodes &&
    csr.indptr instanceof Int32Array &&
    csr.indptr.length === nodes + 1 &&
    csr.indices instanceof Int32Array &&
    csr.values instanceof Float32Array &&
    csr.indices.length === csr.values.length &&
    csr.indptr[nodes] === csr.indices.length
  );
}

/** Sparse gather/scatter wins unless the adjacency is dense (measured in docs/engine.md). */
function chooseAggregation(adjacency: Float32Array | CsrMatrix, nodes: number): 'sparse' | 'dense' {
  let nonZero = 0;
  if (adjacency instanceof Float32Array) {
    for (const v of adjacency) if (v !== 0) nonZero++;
  } else {
    nonZero = adjacency.values.length;
  }
  return nonZero <= 0.25 * nodes * nodes ? 'sparse' : 'dense';
}

/** Weight names and shapes of a model, in graph-input order. */
export function weightShapes(spec: ResolvedModelSpec): [string, number[]][] {
  const shapes: [string, number[]][] = [];
  let width = spec.features;
  if (spec.kind === 'gcn') {
    for (let i = 0; i < spec.gcnLayers; i++) {
      shapes.push([`gcn${i}.weight`, [width, spec.hidden]]);
      if (spec.rootWeight) shapes.push([`gcn${i}.root`, [width, spec.hidden]]);
      shapes.push([`gcn${i}.bias`, [spec.hidden]]);
      width = spec.hidden;
    }
  }
  const layers = spec.kind === 'gcn' ? spec.mlpLayers : spec.layers;
  for (let i = 0; i < layers; i++) {
    const out = i === layers - 1 ? spec.classes : spec.hidden;
    shapes.push([`mlp${i}.weight`, [width, out]], [`mlp${i}.bias`, [out]]);
    width = out;
  }
  return shapes;
}

/**
 * Seeded initial weights: GCN layers (and their root weights) Glorot-uniform with zero bias (PyG GCNConv); linear layers like torch.nn.Linear
 * (weight and bias uniform in +-1/sqrt(fan_in)).
 * @example const weights = initWeights(defineModelSpec(spec), createRng(42));
 */
export function initWeights(spec: ResolvedModelSpec, rng: Rng): ModelWeights {
  const weights: ModelWeights = {};
  for (const [name, shape] of weightShapes(spec)) {
    const size = shape.reduce((p, d) => p * d, 1);
    const data = new Float32Array(size);
    const isGcn = name.startsWith('gcn');
    const isBias = name.endsWith('.bias');
    const fanIn = isBias ? (weights[name.replace('.bias', '.weight')]?.shape[0] ?? 1) : (shape[0] as number);
    const fanOut = shape[shape.length - 1] as number;
    const bound = isGcn ? (isBias ? 0 : Math.sqrt(6 / (fanIn + fanOut))) : 1 / Math.sqrt(fanIn);
    if (bound > 0) for (let i = 0; i < size; i++) data[i] = (2 * rng.float() - 1) * bound;
    weights[name] = { shape, data };
  }
  return weights;
}

/**
 * Checks that `weights` has exactly the tensors `spec` needs.
 * @throws ProteusError PROTEUS_MODELS_INVALID_WEIGHTS naming the missing, extra or mis-shaped tensors
 */
export function assertWeights(spec: ResolvedModelSpec, weights: ModelWeights, where: string): void {
  assertWeightShapes(weightShapes(spec), weights, where, 'spec');
}
