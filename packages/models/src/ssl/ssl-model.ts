/*
 * A trained SSL detector as data: the scoring ONNX graph plus a `model.json` sidecar shaped like the GCN's
 * (`ModelMetadata`): same format name and version, workflow, DAG, feature pipeline and fitted scaler, with
 * `model: "ssl"`, the SSL architecture and the scoring temperature. Saved as the same two files.
 */
import { ProteusError } from '@proteus-wf/core';
import type { LoadModelOptions } from '../load-model.js';
import { loadModel, readModel } from '../load-model.js';
import type { ModelSidecarCommon } from '../model-metadata.js';
import { saveModel } from '../save-model.js';
import type { ClassificationSummary } from '../summarize-classification.js';

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

/** A loaded SSL detector with an onnxruntime session. Release it when done. */
export interface LoadedSslModel {
  readonly metadata: SslModelMetadata;
  /**
   * Per-job anomaly scores `[runs * jobs]` for scaled features `x` (`[runs, jobs, features]` row-major).
   * @throws ProteusError PROTEUS_MODELS_INVALID_INPUT when `x` does not hold runs*jobs*features values
   */
  score(x: Float32Array, runs: number): Promise<Float32Array>;
  release(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Saves an SSL detector as `model.onnx` + `model.json` (atomic writes, the graph first): `saveModel` for SSL models.
 * @example await saveSslModel(result.model, 'models/1000genome-ssl');
 * @throws ProteusError PROTEUS_MODELS_SAVE_FAILED when the folder cannot be written
 */
export async function saveSslModel(model: TrainedSslModel, dir: string): Promise<{ onnx: string; metadata: string }> {
  return saveModel(model, dir);
}

/** True when a parsed sidecar describes an SSL detector. */
export function isSslModelMetadata(value: unknown): value is SslModelMetadata {
  return typeof value === 'object' && value !== null && (value as { model?: unknown }).model === 'ssl';
}

/**
 * Reads a saved SSL model folder (`model.json` + `model.onnx`, sha256-checked) without opening a session.
 * @example const { metadata, onnx } = await readSslModel('models/1000genome-ssl');
 * @throws ProteusError PROTEUS_MODELS_MODEL_NOT_FOUND, PROTEUS_MODELS_BAD_METADATA (also for a GCN/MLP folder),
 * PROTEUS_MODELS_BAD_ONNX
 */
export async function readSslModel(dir: string): Promise<TrainedSslModel> {
  return expectSsl(await readModel(dir, 'models/readSslModel'), dir);
}

/**
 * `loadModel` for SSL detectors only, typed as such: a GCN/MLP folder is refused.
 * @example
 * await using model = await loadSslModel('models/1000genome-ssl');
 * const { scores } = await scoreJobs(model, dataset);
 * @throws ProteusError PROTEUS_MODELS_MODEL_NOT_FOUND, PROTEUS_MODELS_BAD_METADATA (also for a GCN/MLP folder),
 * PROTEUS_MODELS_BAD_ONNX, PROTEUS_MODELS_EP_UNAVAILABLE
 */
export async function loadSslModel(
  source: string | TrainedSslModel,
  options: LoadModelOptions = {},
): Promise<LoadedSslModel> {
  const model = typeof source === 'string' ? await readSslModel(source) : source;
  return loadModel(model, options);
}

function expectSsl(model: { metadata: { model: string } }, dir: string): TrainedSslModel {
  if (!isSslModelMetadata(model.metadata)) {
    throw new ProteusError(
      'PROTEUS_MODELS_BAD_METADATA',
      `models/loadSslModel: ${dir} holds a ${model.metadata.model} model, not an SSL detector. Open it with loadModel.`,
    );
  }
  return model as TrainedSslModel;
}
