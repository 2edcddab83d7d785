import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ProteusError } from '@proteus-wf/core';
import { createTensor, type OnnxSession, type Tensor } from '@proteus-wf/onnx-train';
import { openSession, type SessionOptions } from './internal/open-session.js';
import { type AnyModelMetadata, checkModelMetadata, type ModelMetadata } from './model-metadata.js';
import { MODEL_FILES } from './save-model.js';
import type { LoadedSslModel, TrainedSslModel } from './ssl/ssl-model.js';
import type { TrainedModel } from './train.js';

/** Options of {@link loadModel}. */
export interface LoadModelOptions extends SessionOptions {}

/** A GCN/MLP classifier ready to score: its sidecar and an onnxruntime-node session. Release it when done. */
export interface LoadedClassifier {
  readonly metadata: ModelMetadata;
  /**
   * Class probabilities for `runs` runs of scaled features `x` ([runs, N, F] row-major): `[runs, C]` for a
   * graph-level model, `[runs, N, C]` for a node-level one.
   * @throws ProteusError PROTEUS_MODELS_INVALID_INPUT when `x` does not hold runs*N*F values
   */
  predict(x: Float32Array, runs: number): Promise<Float32Array>;
  release(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** Any loaded model: a classifier (`metadata.model` `gcn` / `mlp`, `predict`) or an SSL detector (`ssl`, `score`). */
export type LoadedModel = LoadedClassifier | LoadedSslModel;

/**
 * Loads a model folder written by `saveModel` / `saveSslModel` (or `proteus train --out`), or opens an in-memory
 * trained model. Dispatches on the sidecar's `model`: `gcn` / `mlp` give a classifier, `ssl` an SSL detector; both
 * score with `scoreJobs`, `scoreRuns` and `evaluateModel`.
 * @example
 * await using model = await loadModel('models/montage-gcn'); // or an SSL folder
 * const scores = await scoreJobs(model, dataset);
 * @throws ProteusError PROTEUS_MODELS_MODEL_NOT_FOUND when `model.json` or `model.onnx` is missing
 * @throws ProteusError PROTEUS_MODELS_BAD_METADATA when `model.json` is not a Proteus sidecar
 * @throws ProteusError PROTEUS_MODELS_BAD_ONNX when `model.onnx` is corrupt, altered, or not loadable
 */
export async function loadModel(source: TrainedModel, options?: LoadModelOptions): Promise<LoadedClassifier>;
export async function loadModel(source: TrainedSslModel, options?: LoadModelOptions): Promise<LoadedSslModel>;
export async function loadModel(
  source: string | TrainedModel | TrainedSslModel,
  options?: LoadModelOptions,
): Promise<LoadedModel>;
export async function loadModel(
  source: string | TrainedModel | TrainedSslModel,
  options: LoadModelOptions = {},
): Promise<LoadedModel> {
  const model = typeof source === 'string' ? await readModel(source) : source;
  const label = typeof source === 'string' ? join(source, model.metadata.onnx.file) : 'the trained model';
  const session = await openChecked(model.metadata, model.onnx, label, options);
  let released = false;
  const release = async (): Promise<void> => {
    if (released) return;
    released = true;
    await session.release();
  };
  const handle = { release, [Symbol.asyncDispose]: release };
  const metadata = model.metadata;
  if (metadata.model === 'ssl') {
    return { ...handle, metadata, score: createRunner(session, metadata, 'LoadedSslModel.score') };
  }
  return { ...handle, metadata, predict: createRunner(session, metadata, 'LoadedModel.predict') };
}

/**
 * Reads a saved model folder (`model.json` checked, `model.onnx` compared with the sidecar's SHA-256) without opening
 * a session.
 * @throws ProteusError PROTEUS_MODELS_MODEL_NOT_FOUND, PROTEUS_MODELS_BAD_METADATA, PROTEUS_MODELS_BAD_ONNX
 */
export async function readModel(dir: string, where = 'models/loadModel'): Promise<TrainedModel | TrainedSslModel> {
  const metadataPath = join(dir, MODEL_FILES.metadata);
  const text = (await readOrThrow(metadataPath, where)).toString('utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ProteusError(
      'PROTEUS_MODELS_BAD_METADATA',
      `${where}: ${metadataPath} is not valid JSON: ${(error as Error).message}`,
      { cause: error },
    );
  }
  const metadata = checkModelMetadata(parsed, metadataPath, where);
  const onnxPath = join(dir, metadata.onnx.file);
  const onnx = new Uint8Array(await readOrThrow(onnxPath, where));
  const sha256 = createHash('sha256').update(onnx).digest('hex');
  if (sha256 !== metadata.onnx.sha256) {
    throw new ProteusError(
      'PROTEUS_MODELS_BAD_ONNX',
      `${where}: ${onnxPath} does not match its sidecar (sha256 ${sha256.slice(0, 12)}…, expected ${metadata.onnx.sha256.slice(0, 12)}…). The file was altered or belongs to another model; save the model again.`,
    );
  }
  // The sidecar check narrowed `model`, so the pair is one of the two kinds.
  return { metadata, onnx } as TrainedModel | TrainedSslModel;
}

async function readOrThrow(path: string, where: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    throw new ProteusError(
      'PROTEUS_MODELS_MODEL_NOT_FOUND',
      `${where}: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}). Pass the folder that saveModel or \`proteus train --out\` wrote.`,
      { cause: error },
    );
  }
}

async function openChecked(
  metadata: AnyModelMetadata,
  bytes: Uint8Array,
  label: string,
  options: SessionOptions,
): Promise<OnnxSession> {
  const session = await openSession(bytes, options, 'loadModel', label);
  const { input, output } = metadata.onnx;
  if (!session.inputNames.includes(input) || !session.outputNames.includes(output)) {
    await session.release();
    throw new ProteusError(
      'PROTEUS_MODELS_BAD_ONNX',
      `models/loadModel: ${label} has inputs [${session.inputNames.join(', ')}] and outputs [${session.outputNames.join(', ')}]; the sidecar expects input "${input}" and output "${output}".`,
    );
  }
  return session;
}

/** One `session.run` over `runs` runs of `[runs, jobs, features]` input: the sidecar's output, flat. */
function createRunner(
  session: OnnxSession,
  metadata: AnyModelMetadata,
  where: string,
): (x: Float32Array, runs: number) => Promise<Float32Array> {
  const { input, output } = metadata.onnx;
  const features = metadata.pipeline.featureNames.length;
  return async (x, runs) => {
    if (!Number.isInteger(runs) || runs < 1 || x.length !== runs * metadata.jobs * features) {
      throw new ProteusError(
        'PROTEUS_MODELS_INVALID_INPUT',
        `models/${where}: x has ${x.length} values; expected runs*jobs*features = ${runs}*${metadata.jobs}*${features}.`,
      );
    }
    let result: Record<string, Tensor>;
    try {
      result = await session.run({ [input]: createTensor('float32', x, [runs, metadata.jobs, features]) }, [output]);
    } catch (error) {
      throw new ProteusError(
        'PROTEUS_MODELS_SESSION_FAILED',
        `models/${where}: onnxruntime failed: ${(error as Error).message}`,
        { cause: error },
      );
    }
    return (result[output] as Tensor).data as Float32Array;
  };
}
