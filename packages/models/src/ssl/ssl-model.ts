/*
 * A trained SSL detector as data: the scoring ONNX graph plus a `model.json` sidecar shaped like the GCN's
 * (`ModelMetadata`): same format name and version, workflow, DAG, feature pipeline and fitted scaler, with
 * `model: "ssl"`, the SSL architecture and the scoring temperature. Saved as the same two files.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ProteusError, writeFileAtomic } from '@proteus-wf/core';
import type { Scaler } from '@proteus-wf/features';
import { type InferenceSession, Tensor } from 'onnxruntime-node';
import type { DetectionSummary } from '../baselines/summarize-detection.js';
import { openSession, type SessionOptions } from '../internal/open-session.js';
import { MODEL_FORMAT, MODEL_FORMAT_VERSION } from '../model-metadata.js';
import { MODEL_FILES } from '../save-model.js';

/** The sidecar of a saved SSL detector (`model.json`). */
export interface SslModelMetadata {
  format: typeof MODEL_FORMAT;
  formatVersion: typeof MODEL_FORMAT_VERSION;
  model: 'ssl';
  /** Always `node`: one anomaly score per job. */
  task: 'node';
  workflow: string;
  generation: 1 | 2;
  jobs: number;
  jobNames: string[];
  adjacencyHash: string;
  /** The DAG as Flow-Bench adjacency JSON (`{ parent: [children] }`). */
  adjacency: Record<string, string[]>;
  pipeline: { name: string; version: number; featureNames: string[] };
  scaler: Scaler;
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
    /** Ranking metrics on the test runs' jobs (labels used for evaluation only). */
    test: DetectionSummary | null;
  };
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
 * Saves an SSL detector as `model.onnx` + `model.json` (atomic writes, the graph first), like `saveModel`.
 * @example await saveSslModel(result.model, 'models/1000genome-ssl');
 * @throws ProteusError PROTEUS_MODELS_SAVE_FAILED when the folder cannot be written
 */
export async function saveSslModel(model: TrainedSslModel, dir: string): Promise<{ onnx: string; metadata: string }> {
  const onnx = join(dir, MODEL_FILES.onnx);
  const metadata = join(dir, MODEL_FILES.metadata);
  try {
    await writeFileAtomic(onnx, model.onnx);
    await writeFileAtomic(
      metadata,
      `${JSON.stringify({ ...model.metadata, onnx: { ...model.metadata.onnx, file: MODEL_FILES.onnx } }, null, 2)}\n`,
    );
  } catch (error) {
    throw new ProteusError(
      'PROTEUS_MODELS_SAVE_FAILED',
      `models/saveSslModel: cannot write ${dir}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  return { onnx, metadata };
}

/** True when a parsed sidecar describes an SSL detector. */
export function isSslModelMetadata(value: unknown): value is SslModelMetadata {
  return typeof value === 'object' && value !== null && (value as { model?: unknown }).model === 'ssl';
}

function checkSslMetadata(value: unknown, source: string): SslModelMetadata {
  const fail = (what: string): never => {
    throw new ProteusError(
      'PROTEUS_MODELS_BAD_METADATA',
      `models/loadSslModel: ${source} is not an SSL model sidecar: ${what}. Save SSL models with saveSslModel or \`proteus train --model ssl --out\`.`,
    );
  };
  if (typeof value !== 'object' || value === null) return fail('expected a JSON object');
  const meta = value as Record<string, unknown>;
  if (meta.format !== MODEL_FORMAT) return fail(`format is ${JSON.stringify(meta.format)}, expected "${MODEL_FORMAT}"`);
  if (meta.formatVersion !== MODEL_FORMAT_VERSION)
    return fail(`formatVersion ${JSON.stringify(meta.formatVersion)} is not supported`);
  if (meta.model !== 'ssl') return fail(`model is ${JSON.stringify(meta.model)}; load GCN/MLP models with loadModel`);
  const checks: Array<[string, (v: unknown) => boolean]> = [
    ['jobs', (v) => Number.isInteger(v) && (v as number) > 0],
    ['jobNames', (v) => Array.isArray(v) && v.length === meta.jobs],
    ['adjacencyHash', (v) => typeof v === 'string'],
    ['adjacency', (v) => typeof v === 'object' && v !== null],
    [
      'pipeline',
      (v) => typeof v === 'object' && v !== null && Array.isArray((v as { featureNames?: unknown }).featureNames),
    ],
    ['scaler', (v) => typeof v === 'object' && v !== null],
    [
      'architecture',
      (v) => typeof v === 'object' && v !== null && typeof (v as { temperature?: unknown }).temperature === 'number',
    ],
    ['onnx', (v) => typeof v === 'object' && v !== null && typeof (v as { sha256?: unknown }).sha256 === 'string'],
  ];
  for (const [field, ok] of checks) if (!ok(meta[field])) fail(`field "${field}" is missing or malformed`);
  return value as SslModelMetadata;
}

async function readOrThrow(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    throw new ProteusError(
      'PROTEUS_MODELS_MODEL_NOT_FOUND',
      `models/loadSslModel: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}). Pass the folder that saveSslModel wrote.`,
      { cause: error },
    );
  }
}

/**
 * Reads a saved SSL model folder (`model.json` + `model.onnx`, sha256-checked) without opening a session.
 * @throws ProteusError PROTEUS_MODELS_MODEL_NOT_FOUND, PROTEUS_MODELS_BAD_METADATA, PROTEUS_MODELS_BAD_ONNX
 */
export async function readSslModel(dir: string): Promise<TrainedSslModel> {
  const metadataPath = join(dir, MODEL_FILES.metadata);
  let parsed: unknown;
  try {
    parsed = JSON.parse((await readOrThrow(metadataPath)).toString('utf8'));
  } catch (error) {
    if (error instanceof ProteusError) throw error;
    throw new ProteusError(
      'PROTEUS_MODELS_BAD_METADATA',
      `models/loadSslModel: ${metadataPath} is not valid JSON: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  const metadata = checkSslMetadata(parsed, metadataPath);
  const onnxPath = join(dir, metadata.onnx.file);
  const bytes = new Uint8Array(await readOrThrow(onnxPath));
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  if (sha256 !== metadata.onnx.sha256) {
    throw new ProteusError(
      'PROTEUS_MODELS_BAD_ONNX',
      `models/loadSslModel: ${onnxPath} does not match its sidecar (sha256 ${sha256.slice(0, 12)}…, expected ${metadata.onnx.sha256.slice(0, 12)}…). Save the model again.`,
    );
  }
  return { metadata, onnx: bytes };
}

/**
 * Loads an SSL detector folder written by `saveSslModel` (or opens an in-memory one) for scoring on onnxruntime-node.
 * @example
 * await using model = await loadSslModel('models/1000genome-ssl');
 * const { scores } = await scoreSslJobs(model, dataset);
 * @throws ProteusError PROTEUS_MODELS_MODEL_NOT_FOUND, PROTEUS_MODELS_BAD_METADATA, PROTEUS_MODELS_BAD_ONNX,
 * PROTEUS_MODELS_EP_UNAVAILABLE
 */
export async function loadSslModel(
  source: string | TrainedSslModel,
  options: SessionOptions = {},
): Promise<LoadedSslModel> {
  const model = typeof source === 'string' ? await readSslModel(source) : source;
  const label = typeof source === 'string' ? join(source, MODEL_FILES.onnx) : 'the trained SSL model';
  const session: InferenceSession = await openSession(model.onnx, options, 'loadSslModel', label);
  const { metadata } = model;
  if (!session.inputNames.includes('x') || !session.outputNames.includes('scores')) {
    await session.release();
    throw new ProteusError(
      'PROTEUS_MODELS_BAD_ONNX',
      `models/loadSslModel: ${label} has inputs [${session.inputNames.join(', ')}] and outputs [${session.outputNames.join(', ')}]; expected input "x" and output "scores".`,
    );
  }
  const features = metadata.pipeline.featureNames.length;
  let released = false;
  const release = async (): Promise<void> => {
    if (released) return;
    released = true;
    await session.release();
  };
  return {
    metadata,
    async score(x, runs) {
      if (!Number.isInteger(runs) || runs < 1 || x.length !== runs * metadata.jobs * features) {
        throw new ProteusError(
          'PROTEUS_MODELS_INVALID_INPUT',
          `models/LoadedSslModel.score: x has ${x.length} values; expected runs*jobs*features = ${runs}*${metadata.jobs}*${features}.`,
        );
      }
      let result: InferenceSession.ReturnType;
      try {
        result = await session.run({ x: new Tensor('float32', x, [runs, metadata.jobs, features]) }, ['scores']);
      } catch (error) {
        throw new ProteusError(
          'PROTEUS_MODELS_SESSION_FAILED',
          `models/LoadedSslModel.score: onnxruntime failed: ${(error as Error).message}`,
          {
            cause: error,
          },
        );
      }
      return Float32Array.from((result.scores as Tensor).data as Float32Array);
    },
    release,
    [Symbol.asyncDispose]: release,
  };
}
