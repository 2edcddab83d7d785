/*
 * Per-job confidence scores for active learning from input gradients of the model's loss.
 * Reference: Krishnan et al., active-learning paper §3.2 (s_k = dH/dQ_k; "the larger the impact of a sample on the
 * solution, the more uncertain we are about this region") and Fig. 8 (confidence in [0, 1], 1 = confident);
 * ../shared/reference/ml.md §5.2-5.4. Differences from the reference code are recorded in docs/decisions/models-ssl.md.
 */

import { type LongOperationOptions, ProteusError, reportProgress, throwIfAborted } from '@proteus-wf/core';
import {
  applyScaler,
  extractFeatures,
  type FeaturePipelineName,
  type FeatureSet,
  type FlowBenchDataset,
  type Scaler,
} from '@proteus-wf/features';
import { createSession, createTensor, type ExecutionProvider, runGraph, type Tensor } from '@proteus-wf/onnx-train';
import {
  adjacencyHash,
  gcnAdjacency,
  meanAdjacency,
  toDenseAdjacency,
  type WorkflowGraph,
} from '@proteus-wf/workflow-graph';
import { defineModelSpec, type ModelSpec, type ModelWeights } from '../graphs/model-spec.js';
import { applyNormalization } from '../internal/job-normalization.js';
import { isFeatureSet } from '../internal/training-inputs.js';
import { readModel } from '../load-model.js';
import { INPUT_MEAN, INPUT_STD } from '../ssl/ssl-graph.js';
import type { SslModelMetadata, TrainedSslModel } from '../ssl/ssl-model.js';
import { defineSslSpec } from '../ssl/ssl-spec.js';
import type { TrainedModel } from '../train.js';
import { readOnnxInitializers } from './internal/read-onnx-initializers.js';
import { buildUncertaintyGraph, type UncertaintyLoss, type UncertaintyModel } from './uncertainty-graph.js';

/** How gradient norms become confidences in [0, 1] (1 = confident). */
export type ConfidenceScale =
  /** `1 - (g - min) / (max - min)` over the jobs scored in this call (the reference's min-max, relative). */
  | 'minmax'
  /** `exp(-g / scale)`: absolute, so confidences of successive active-learning iterations are comparable. */
  | { scale: number };

/** Options of {@link uncertaintyScores}. */
export interface UncertaintyOptions extends LongOperationOptions {
  /** Classifier loss variant (default `self`); SSL models always use `reconstruction`. */
  loss?: Exclude<UncertaintyLoss, 'reconstruction'>;
  /** Default `minmax`. */
  confidence?: ConfidenceScale;
  /** Runs per `session.run` (default 64). */
  batchSize?: number;
  executionProviders?: readonly ExecutionProvider[];
  threads?: number;
}

/** Mean and minimum confidence of a group of jobs. */
export interface ConfidenceAggregate {
  jobs: number;
  meanConfidence: number;
  minConfidence: number;
  meanGradientNorm: number;
}

/** What {@link uncertaintyScores} returns; job arrays are `[runs * jobs]`, row `run * jobs + node`. */
export interface UncertaintyScores {
  workflow: string;
  model: 'gcn' | 'mlp' | 'ssl';
  loss: UncertaintyLoss;
  runIds: string[];
  jobNames: string[];
  /** L2 norm of d loss / d x over each job's features. */
  gradientNorm: Float32Array;
  /** The reference's signal: the feature mean of d loss / d x (signed). */
  gradientMean: Float32Array;
  /** Confidence in [0, 1] per job (1 = confident): decreasing in the gradient norm. */
  confidence: Float32Array;
  /** Per run, in `runIds` order, with the run's label. */
  perRun: Array<ConfidenceAggregate & { runId: string; label: string }>;
  /** Per job label (`normal`, `cpu_2`, `hdd_10`, ...), the grouping an active learner picks the next experiment from. */
  perAnomalyType: Record<string, ConfidenceAggregate>;
}

/** A model to score: an in-memory GCN/MLP (`train`) or SSL (`trainSsl`) model, or a saved model folder. */
export type UncertaintySource = TrainedModel | TrainedSslModel | string;

const DEFAULTS = { loss: 'self' as const, confidence: 'minmax' as ConfidenceScale, batchSize: 64 };
const WHERE = 'models/uncertaintyScores';

async function readSource(
  source: UncertaintySource,
): Promise<{ metadata: TrainedModel['metadata'] | SslModelMetadata; onnx: Uint8Array }> {
  return typeof source === 'string' ? readModel(source, WHERE) : source;
}

/** The per-job input statistics a saved SSL graph carries as initializers, if any. */
function inputNormalizationOf(weights: ModelWeights): { mean: Float32Array; std: Float32Array } | null {
  const mean = weights[INPUT_MEAN];
  const std = weights[INPUT_STD];
  return mean && std ? { mean: mean.data, std: std.data } : null;
}

function rebuildModel(
  metadata: TrainedModel['metadata'] | SslModelMetadata,
  onnx: Uint8Array,
  graph: WorkflowGraph,
  loss: Exclude<UncertaintyLoss, 'reconstruction'>,
): UncertaintyModel {
  const weights = readOnnxInitializers(onnx);
  const features = metadata.pipeline.featureNames.length;
  if (metadata.model === 'ssl') {
    const a = metadata.architecture;
    const spec = defineSslSpec({
      nodes: metadata.jobs,
      features,
      adjacency: toDenseAdjacency(meanAdjacency(graph, { undirected: a.undirected })),
      hidden: a.hidden,
      groups: a.groups,
      categories: a.categories,
      dropout: a.dropout,
      eta: a.eta,
      margin: a.margin,
      selfInput: a.selfInput ?? true,
      inputNormalization: inputNormalizationOf(weights),
    });
    const wanted = new Set(Object.keys(weights).filter((name) => /^(enc|dec)\d+\./.test(name)));
    return {
      kind: 'ssl',
      spec,
      weights: Object.fromEntries(Object.entries(weights).filter(([name]) => wanted.has(name))),
      temperature: a.temperature,
    };
  }
  const count = (prefix: string) =>
    Object.keys(weights).filter((name) => name.startsWith(prefix) && name.endsWith('.weight')).length;
  const common = { features, classes: metadata.classes.length, hidden: metadata.architecture.hidden };
  let spec: ModelSpec;
  if (metadata.model === 'mlp' && metadata.task === 'node') {
    spec = { kind: 'mlp', nodes: metadata.jobs, layers: count('mlp'), ...common };
  } else {
    const adjacency =
      metadata.model === 'mlp'
        ? identity(metadata.jobs)
        : toDenseAdjacency(gcnAdjacency(graph, { undirected: metadata.architecture.undirected }));
    spec = {
      kind: 'gcn',
      level: metadata.task,
      nodes: metadata.jobs,
      adjacency,
      gcnLayers: count('gcn'),
      mlpLayers: count('mlp'),
      rootWeight: weights['gcn0.root'] !== undefined,
      ...common,
    };
  }
  return { kind: 'classifier', spec: defineModelSpec(spec), weights, loss };
}

function identity(size: number): Float32Array {
  const matrix = new Float32Array(size * size);
  for (let i = 0; i < size; i++) matrix[i * size + i] = 1;
  return matrix;
}

/**
 * Per-job confidence in [0, 1] from the gradient of the model's loss with respect to each job's input features,
 * computed with one ONNX graph (forward + backward, weights baked in) per batch of runs. SSL models differentiate the
 * summed reconstruction error; GCN/MLP models their loss against their own prediction (`self`), or the `entropy` or
 * `margin` variants. A larger gradient means the job would move the model more: lower confidence.
 * @example
 * const { confidence, perAnomalyType } = await uncertaintyScores('models/1000genome-ssl', dataset);
 * // the active learner asks for more runs of the anomaly type with the lowest mean confidence
 * @throws ProteusError PROTEUS_MODELS_WORKFLOW_MISMATCH when the data's DAG differs from the model's
 * @throws ProteusError PROTEUS_MODELS_FEATURE_MISMATCH when a feature set has other features than the model's
 * @throws ProteusError PROTEUS_MODELS_INVALID_OPTION for a bad loss, confidence scale or batch size
 * @throws ProteusError PROTEUS_MODELS_MODEL_NOT_FOUND, PROTEUS_MODELS_BAD_METADATA, PROTEUS_MODELS_BAD_ONNX for a bad model
 */
export async function uncertaintyScores(
  source: UncertaintySource,
  data: FlowBenchDataset | FeatureSet,
  options: UncertaintyOptions = {},
): Promise<UncertaintyScores> {
  const loss = options.loss ?? DEFAULTS.loss;
  if (!['self', 'entropy', 'margin'].includes(loss)) {
    throw new ProteusError(
      'PROTEUS_MODELS_INVALID_OPTION',
      `${WHERE}: loss must be "self", "entropy" or "margin", got ${JSON.stringify(loss)}.`,
    );
  }
  const scale = options.confidence ?? DEFAULTS.confidence;
  if (
    scale !== 'minmax' &&
    !(typeof scale === 'object' && scale !== null && scale.scale > 0 && Number.isFinite(scale.scale))
  ) {
    throw new ProteusError(
      'PROTEUS_MODELS_INVALID_OPTION',
      `${WHERE}: confidence must be "minmax" or { scale: number > 0 }, got ${JSON.stringify(scale)}.`,
    );
  }
  const batchSize = options.batchSize ?? DEFAULTS.batchSize;
  if (!(Number.isInteger(batchSize) && batchSize >= 1)) {
    throw new ProteusError(
      'PROTEUS_MODELS_INVALID_OPTION',
      `${WHERE}: batchSize must be a positive integer, got ${String(batchSize)}.`,
    );
  }
  throwIfAborted(options.signal, WHERE);
  const { metadata, onnx } = await readSource(source);
  const hash = adjacencyHash(data.graph);
  if (hash !== metadata.adjacencyHash) {
    throw new ProteusError(
      'PROTEUS_MODELS_WORKFLOW_MISMATCH',
      `${WHERE}: the model was trained on workflow "${metadata.workflow}" (${metadata.jobs} jobs) but the data is "${data.workflow}" (${data.graph.size} jobs) with another DAG. Score traces of the model's workflow.`,
      { details: { expected: metadata.adjacencyHash, received: hash } },
    );
  }
  const features = isFeatureSet(data)
    ? data
    : extractFeatures(data, { pipeline: metadata.pipeline.name as FeaturePipelineName });
  const expected = metadata.pipeline.featureNames;
  if (
    features.featureNames.length !== expected.length ||
    features.featureNames.some((name, i) => name !== expected[i])
  ) {
    throw new ProteusError(
      'PROTEUS_MODELS_FEATURE_MISMATCH',
      `${WHERE}: the model expects the ${expected.length} features of pipeline "${metadata.pipeline.name}" but got ${features.featureNames.length} (pipeline "${features.pipeline}"). Extract features with { pipeline: '${metadata.pipeline.name}' }.`,
      { details: { expected, received: features.featureNames } },
    );
  }
  const normalized = metadata.model === 'ssl' ? features : applyNormalization(features, metadata.normalization, WHERE);
  const x = applyScaler(normalized, metadata.scaler as Scaler).values;
  const model = rebuildModel(metadata, onnx, features.graph, loss);
  const session = await createSession(buildUncertaintyGraph(model), {
    ...(options.executionProviders ? { executionProviders: options.executionProviders } : {}),
    ...(options.threads !== undefined ? { threads: options.threads } : {}),
  });
  const runs = features.runs.length;
  const nodes = features.jobsPerRun;
  const width = expected.length;
  const gradientNorm = new Float32Array(runs * nodes);
  const gradientMean = new Float32Array(runs * nodes);
  try {
    for (let start = 0; start < runs; start += batchSize) {
      throwIfAborted(options.signal, WHERE);
      const count = Math.min(batchSize, runs - start);
      const batch = x.subarray(start * nodes * width, (start + count) * nodes * width);
      const out = await runGraph(
        session,
        { x: createTensor('float32', batch, [count, nodes, width]) },
        { where: 'models/uncertaintyScores' },
      );
      gradientNorm.set((out.gradientNorm as Tensor).data as Float32Array, start * nodes);
      const gradient = (out.gradient as Tensor).data as Float32Array;
      for (let job = 0; job < count * nodes; job++) {
        let sum = 0;
        for (let f = 0; f < width; f++) sum += gradient[job * width + f] as number;
        gradientMean[start * nodes + job] = sum / width;
      }
      reportProgress(options.onProgress, {
        phase: 'uncertainty',
        ratio: (start + count) / runs,
        data: { runs: start + count },
      });
    }
  } finally {
    await session.session.release();
  }
  const confidence = toConfidence(gradientNorm, scale);
  const aggregate = (indices: Iterable<number>): ConfidenceAggregate => {
    let jobs = 0;
    let sum = 0;
    let min = 1;
    let norm = 0;
    for (const i of indices) {
      const c = confidence[i] as number;
      jobs++;
      sum += c;
      norm += gradientNorm[i] as number;
      if (c < min) min = c;
    }
    return {
      jobs,
      meanConfidence: jobs ? sum / jobs : 1,
      minConfidence: min,
      meanGradientNorm: jobs ? norm / jobs : 0,
    };
  };
  const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
  const perRun = features.runs.map((run, r) => ({
    runId: run.runId,
    label: run.label,
    ...aggregate(range(r * nodes, (r + 1) * nodes)),
  }));
  const byLabel = new Map<string, number[]>();
  features.jobLabels.forEach((label, i) => {
    const list = byLabel.get(label) ?? [];
    list.push(i);
    byLabel.set(label, list);
  });
  const perAnomalyType: Record<string, ConfidenceAggregate> = {};
  for (const label of [...byLabel.keys()].sort()) perAnomalyType[label] = aggregate(byLabel.get(label) as number[]);
  return {
    workflow: features.workflow,
    model: metadata.model,
    loss: metadata.model === 'ssl' ? 'reconstruction' : loss,
    runIds: features.runs.map((run) => run.runId),
    jobNames: features.graph.jobNames().slice(),
    gradientNorm,
    gradientMean,
    confidence,
    perRun,
    perAnomalyType,
  };
}

/** Maps gradient norms to confidences in [0, 1], decreasing in the norm. */
export function toConfidence(gradientNorm: Float32Array, scale: ConfidenceScale): Float32Array {
  const out = new Float32Array(gradientNorm.length);
  if (scale === 'minmax') {
    let min = Number.POSITIVE_INFINITY;
    let max = Number.NEGATIVE_INFINITY;
    for (const g of gradientNorm) {
      if (g < min) min = g;
      if (g > max) max = g;
    }
    const spread = max - min;
    for (let i = 0; i < out.length; i++) out[i] = spread > 0 ? 1 - ((gradientNorm[i] as number) - min) / spread : 1;
    return out;
  }
  for (let i = 0; i < out.length; i++) out[i] = Math.exp(-(gradientNorm[i] as number) / scale.scale);
  return out;
}
