import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ProteusError } from '@proteus-wf/core';
import { type InferenceSession, Tensor } from 'onnxruntime-node';
import { openSession, type SessionOptions } from './internal/open-session.js';
import { checkModelMetadata, type ModelMetadata } from './model-metadata.js';
import { MODEL_FILES } from './save-model.js';
import type { TrainedModel } from './train.js';

/** Options of {@link loadModel}. */
export interface LoadModelOptions extends SessionOptions {}

/** A model ready to score: its sidecar and an onnxruntime-node session. Release it when done. */
export interface LoadedModel {
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

/**
 * Loads a model folder written by `saveModel` (or `proteus train --out`), or opens an in-memory trained model.
 * @example
 * await using model = await loadModel('models/montage-gcn');
 * const scores = await scoreJobs(model, dataset);
 * @throws ProteusError PROTEUS_MODELS_MODEL_NOT_FOUND when `model.json` or `model.onnx` is missing
 * @throws ProteusError PROTEUS_MODELS_BAD_METADATA when `model.json` is not a Proteus sidecar
 * @throws ProteusError PROTEUS_MODELS_BAD_ONNX when `model.onnx` is corrupt, altered, or not loadable
 */
export async function loadModel(source: string | TrainedModel, options: LoadModelOptions = {}): Promise<LoadedModel> {
  if (typeof source !== 'string') return openModel(source.metadata, source.onnx, 'the trained model', options);
  const metadataPath = join(source, MODEL_FILES.metadata);
  const text = await readOrThrow(metadataPath, 'utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ProteusError(
      'PROTEUS_MODELS_BAD_METADATA',
      `models/loadModel: ${metadataPath} is not valid JSON: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  const metadata = checkModelMetadata(parsed, metadataPath);
  const onnxPath = join(source, metadata.onnx.file);
  const bytes = await readOrThrow(onnxPath);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  if (sha256 !== metadata.onnx.sha256) {
    throw new ProteusError(
      'PROTEUS_MODELS_BAD_ONNX',
      `models/loadModel: ${onnxPath} does not match its sidecar (sha256 ${sha256.slice(0, 12)}…, expected ${metadata.onnx.sha256.slice(0, 12)}…). The file was altered or belongs to another model; save the model again.`,
    );
  }
  return openModel(metadata, bytes, onnxPath, options);
}

async function readOrThrow(path: string): Promise<Uint8Array>;
async function readOrThrow(path: string, encoding: 'utf8'): Promise<string>;
async function readOrThrow(path: string, encoding?: 'utf8'): Promise<Uint8Array | string> {
  try {
    return encoding ? await readFile(path, encoding) : await readFile(path);
  } catch (error) {
    throw new ProteusError(
      'PROTEUS_MODELS_MODEL_NOT_FOUND',
      `models/loadModel: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}). Pass the folder that \`proteus train --out\` wrote.`,
      { cause: error },
    );
  }
}

async function openModel(
  metadata: ModelMetadata,
  bytes: Uint8Array,
  label: string,
  options: SessionOptions,
): Promise<LoadedModel> {
  const session: InferenceSession = await openSession(bytes, options, 'loadModel', label);
  const { input, output } = metadata.onnx;
  if (!session.inputNames.includes(input) || !session.outputNames.includes(output)) {
    await session.release();
    throw new ProteusError(
      'PROTEUS_MODELS_BAD_ONNX',
      `models/loadModel: ${label} has inputs [${session.inputNames.join(', ')}] and outputs [${session.outputNames.join(', ')}]; the sidecar expects input "${input}" and output "${output}".`,
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
    async predict(x, runs) {
      if (!Number.isInteger(runs) || runs < 1 || x.length !== runs * metadata.jobs * features) {
        throw new ProteusError(
          'PROTEUS_MODELS_INVALID_INPUT',
          `models/LoadedModel.predict: x has ${x.length} values; expected runs*jobs*features = ${runs}*${metadata.jobs}*${features}.`,
        );
      }
      let result: InferenceSession.ReturnType;
      try {
        result = await session.run({ [input]: new Tensor('float32', x, [runs, metadata.jobs, features]) }, [output]);
      } catch (error) {
        throw new ProteusError(
          'PROTEUS_MODELS_SESSION_FAILED',
          `models/LoadedModel.predict: onnxruntime failed: ${(error as Error).message}`,
          {
            cause: error,
          },
        );
      }
      return (result[output] as Tensor).data as Float32Array;
    },
    release,
    [Symbol.asyncDispose]: release,
  };
}
