import { ProteusError } from '@proteus-wf/core';
import type { Scaler } from '@proteus-wf/features';
import type { SelectBy } from './internal/fit.js';
import type { JobNormalization } from './internal/job-normalization.js';
import type { PortableOnnx } from './internal/portable-onnx.js';
import type { ClassificationSummary } from './summarize-classification.js';

/** The sidecar format name and version (shared by classifiers and SSL detectors); `loadModel` refuses anything else. */
export const MODEL_FORMAT = 'proteus-model';
/**
 * The `formatVersion` written into every `model.json` sidecar. Version 2: a saved GCN/MLP's `model.onnx` has a
 * symbolic node dim and takes the DAG as graph inputs (`onnx.portable`), and a classifier may store its input
 * normalization. `loadModel` also reads version 1 (a fixed node count in `model.onnx`); any other version throws
 * PROTEUS_MODELS_BAD_METADATA.
 */
export const MODEL_FORMAT_VERSION = 2;

/** The sidecar versions `loadModel` reads. */
export const READABLE_FORMAT_VERSIONS: readonly number[] = [1, 2];

/** The fields every `model.json` sidecar has: the format, the workflow and its DAG, the feature pipeline and scaler. */
export interface ModelSidecarCommon {
  format: typeof MODEL_FORMAT;
  /** `MODEL_FORMAT_VERSION` when written by this version; 1 in sidecars saved before version 2. */
  formatVersion: typeof MODEL_FORMAT_VERSION | 1;
  workflow: string;
  generation: 1 | 2;
  /** Jobs per run (N) and their names in node-index order. */
  jobs: number;
  jobNames: string[];
  /** `adjacencyHash` of the DAG the model was trained on. */
  adjacencyHash: string;
  /** The DAG as Flow-Bench adjacency JSON (`{ parent: [children] }`), to read single CSV files later. */
  adjacency: Record<string, string[]>;
  pipeline: { name: string; version: number; featureNames: string[] };
  scaler: Scaler;
}

/**
 * Everything a saved GCN/MLP classifier needs to score new traces, stored as `model.json` beside the inference
 * `model.onnx` (SSL detectors: `SslModelMetadata`, same format). Plain JSON: the feature pipeline and fitted scaler, the classes, the workflow and its DAG, and provenance.
 */
export interface ModelMetadata extends ModelSidecarCommon {
  model: 'gcn' | 'mlp';
  task: 'graph' | 'node';
  labels: 'binary' | 'multiclass';
  /** Output class names; class 0 is always `normal`. */
  classes: string[];
  /** How trace labels map to classes (`merged`: cpu_2 -> cpu; `binary`: any anomaly -> anomalous). */
  labelGranularity: 'binary' | 'merged';
  /** `rootWeight`: GCN layers with a separate self weight (absent in models saved before it existed: false). */
  architecture: { hidden: number; dropout: number; undirected: boolean; rootWeight?: boolean };
  training: {
    protocol: 'paper' | 'deployable';
    seed: number;
    epochs: number;
    epochsRun: number;
    bestEpoch: number;
    batchSize: number;
    optimizer: string;
    lr: number;
    /** The learning-rate decay on a validation plateau (absent in older sidecars: a constant rate). */
    lrDecay?: false | { factor: number; patience: number; minLr: number };
    weightDecay: number;
    /** How the kept epoch was chosen (absent in older sidecars: lowest validation loss). */
    selectBy?: SelectBy;
    /** `given`: trained and tested on a split passed in (`--split-file`); absent: the seeded split. */
    split?: 'given';
    runs: { train: number; validation: number; test: number };
    trainSeconds: number;
    test: ClassificationSummary | null;
  };
  /**
   * The normalization applied to each job's features before `scaler` (`TrainOptions.normalization`); absent: none
   * (`global`).
   */
  normalization?: JobNormalization;
  versions: { models: string; onnxruntime: string; node: string };
  /**
   * The ONNX graph. `portable` set (every classifier `saveModel` writes from version 2): input `x` is
   * `[batch, nodes, F]` with a symbolic `nodes`, and a GCN also reads the DAG as `edge_index` (int64 `[2, edges]`,
   * source row then target row) and `edge_weight` (float32 `[edges]`, the symmetric GCN normalization with self
   * loops), so one file scores any instance of the workflow. Absent: `x` has this DAG's fixed node count.
   */
  onnx: { file: string; sha256: string; input: string; output: string; portable?: PortableOnnx };
  /**
   * Set when `loadModel(dir, { graph })` moved the model to another instance of its workflow: the DAG it was trained
   * on, the job types (transformation -> jobs) it saw there, and the job types of this DAG it never saw.
   */
  trainedOn?: {
    workflow: string;
    jobs: number;
    adjacencyHash: string;
    jobTypes: Record<string, number>;
    unknownJobTypes: string[];
  };
}

/** The sidecar of a saved SSL detector (`model.json`). */
export interface SslModelMetadata extends ModelSidecarCommon {
  model: 'ssl';
  /** Always `node`: one anomaly score per job. */
  task: 'node';
  architecture: {
    hidden: number;
    groups: number;
    categories: number;
    dropout: number;
    eta: number;
    margin: number;
    denoise: boolean;
    /** false: each job is rebuilt from its neighbours' features only (absent in older sidecars: true). */
    selfInput?: boolean;
    /** `per-job`: `scores` are the errors standardized per job with training-run statistics (baked into the graph). */
    calibration: 'per-job' | 'none';
    /** `per-job`: inputs standardized per job inside the graph (initializers `input.mean`, `input.std`). */
    inputNormalization?: 'per-job' | 'none';
    undirected: boolean;
    /** Gumbel-softmax temperature baked into the scoring graph (the last training epoch's). */
    temperature: number;
  };
  training: {
    protocol: 'deployable';
    seed: number;
    epochs: number;
    batchSize: number;
    optimizer: string;
    lr: number;
    weightDecay: number;
    /** Fraction of each batch's highest-error jobs left out of the reconstruction term (0: none). */
    trim?: number;
    runs: { train: number; validation: number; test: number };
    trainSeconds: number;
    /**
     * Metrics on the test runs' jobs (labels used for evaluation only): ranking metrics on the score, threshold
     * metrics at `threshold.value`.
     */
    test: ClassificationSummary | null;
  };
  /**
   * The decision threshold: a job is predicted anomalous when its score is above `value`, the (1 - `contamination`)
   * quantile of the scores of the training runs' jobs (linear interpolation; PyOD's `threshold_` convention). Fixed at
   * training time from unlabelled scores, so accuracy/precision/recall/F1 need no labels to choose it.
   */
  threshold: { value: number; contamination: number };
  versions: { models: string; onnxruntime: string; node: string };
  onnx: { file: string; sha256: string; input: 'x'; output: 'scores' };
}

/** A trained SSL detector in memory. */
export interface TrainedSslModel {
  metadata: SslModelMetadata;
  onnx: Uint8Array;
}

/** A trained SSL detector in memory (`trainSsl`'s model): what `saveModel` writes and `loadModel` opens. */
export interface TrainedSslModel {
  metadata: SslModelMetadata;
  onnx: Uint8Array;
}

/** The sidecar of any saved model: a GCN/MLP classifier (`ModelMetadata`) or an SSL detector (`SslModelMetadata`). */
export type AnyModelMetadata = ModelMetadata | SslModelMetadata;

/**
 * Checks a parsed `model.json` enough to trust its fields, and names the first problem. Dispatches on `model`: the
 * fields every sidecar has, then those of a classifier (`gcn`, `mlp`) or of an SSL detector (`ssl`).
 * @throws ProteusError PROTEUS_MODELS_BAD_METADATA when a field is missing or of the wrong type
 */
export function checkModelMetadata(value: unknown, source: string, where = 'models/loadModel'): AnyModelMetadata {
  const fail = (what: string): never => {
    throw new ProteusError(
      'PROTEUS_MODELS_BAD_METADATA',
      `${where}: ${source} is not a Proteus model sidecar: ${what}. Save models with saveModel or \`proteus train --out\`.`,
    );
  };
  if (typeof value !== 'object' || value === null) return fail('expected a JSON object');
  const meta = value as Record<string, unknown>;
  if (meta.format !== MODEL_FORMAT) return fail(`format is ${JSON.stringify(meta.format)}, expected "${MODEL_FORMAT}"`);
  if (!READABLE_FORMAT_VERSIONS.includes(meta.formatVersion as number)) {
    return fail(
      `formatVersion ${JSON.stringify(meta.formatVersion)} is not supported (this version reads ${READABLE_FORMAT_VERSIONS.join(' and ')}; a newer version of @proteus-wf/models wrote it)`,
    );
  }
  const isObject = (v: unknown): boolean => typeof v === 'object' && v !== null;
  const common: Array<[string, (v: unknown) => boolean]> = [
    ['model', (v) => v === 'gcn' || v === 'mlp' || v === 'ssl'],
    ['workflow', (v) => typeof v === 'string'],
    ['generation', (v) => v === 1 || v === 2],
    ['jobs', (v) => Number.isInteger(v) && (v as number) > 0],
    ['jobNames', (v) => Array.isArray(v) && v.every((c) => typeof c === 'string')],
    ['adjacencyHash', (v) => typeof v === 'string'],
    ['adjacency', isObject],
    ['pipeline', (v) => isObject(v) && Array.isArray((v as { featureNames?: unknown }).featureNames)],
    ['scaler', isObject],
    ['onnx', (v) => isObject(v) && typeof (v as { sha256?: unknown }).sha256 === 'string'],
  ];
  const classifier: Array<[string, (v: unknown) => boolean]> = [
    ['task', (v) => v === 'graph' || v === 'node'],
    ['labels', (v) => v === 'binary' || v === 'multiclass'],
    ['classes', (v) => Array.isArray(v) && v.length >= 2 && v.every((c) => typeof c === 'string')],
  ];
  const ssl: Array<[string, (v: unknown) => boolean]> = [
    ['task', (v) => v === 'node'],
    ['architecture', (v) => isObject(v) && typeof (v as { temperature?: unknown }).temperature === 'number'],
    [
      'threshold',
      (v) =>
        isObject(v) &&
        Number.isFinite((v as { value?: unknown }).value) &&
        typeof (v as { contamination?: unknown }).contamination === 'number',
    ],
  ];
  for (const [field, ok] of common) if (!ok(meta[field])) fail(`field "${field}" is missing or malformed`);
  for (const [field, ok] of meta.model === 'ssl' ? ssl : classifier) {
    if (!ok(meta[field])) {
      fail(
        field === 'threshold'
          ? `field "threshold" is missing or malformed (SSL models saved before the decision threshold existed: train again)`
          : `field "${field}" is missing or malformed for a ${String(meta.model)} model`,
      );
    }
  }
  if ((meta.jobNames as string[]).length !== meta.jobs)
    fail(`jobNames has ${(meta.jobNames as string[]).length} names for ${meta.jobs} jobs`);
  return value as AnyModelMetadata;
}
