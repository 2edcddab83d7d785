import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ProteusError } from '@proteus-wf/core';
import { createTensor, type OnnxSession, type Tensor } from '@proteus-wf/onnx-train';
import { adjacencyHash, type WorkflowGraph } from '@proteus-wf/workflow-graph';
import { openSession, type SessionOptions } from './internal/open-session.js';
import { portableEdges } from './internal/portable-onnx.js';
import { modelGraph, retargetClassifier, type UnknownJobTypes } from './internal/retarget-classifier.js';
import {
  type AnyModelMetadata,
  checkModelMetadata,
  type ModelMetadata,
  type SslModelMetadata,
  type TrainedSslModel,
} from './model-metadata.js';
import { MODEL_FILES } from './save-model.js';
import type { TrainedModel } from './train.js';

/** Options of {@link loadModel}. */
export interface LoadModelOptions extends SessionOptions {
  /**
   * Another instance of the model's workflow family to score (e.g. `casa_nowcast_full` for a model trained on
   * `casa_nowcast_small`): a GCN/MLP is rebuilt over this DAG with its saved weights, jobs matched by job type
   * (transformation). Default: the DAG the model was trained on. The same DAG as the model's changes nothing.
   */
  graph?: WorkflowGraph;
  /**
   * Jobs of `graph` whose type the model never saw: `error` (default) throws PROTEUS_MODELS_UNKNOWN_JOB_TYPE; `score`
   * scores them like the other jobs (their features still pass the same weights, which never learned that type).
   */
  unknownJobTypes?: UnknownJobTypes;
}

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

/** A loaded SSL detector (`metadata.model` `ssl`) with an onnxruntime session. Release it when done. */
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

/** Any loaded model: a classifier (`metadata.model` `gcn` / `mlp`, `predict`) or an SSL detector (`ssl`, `score`). */
export type LoadedModel = LoadedClassifier | LoadedSslModel;

/**
 * Loads a model folder written by `saveModel` (or `proteus train --out`), or opens an in-memory
 * trained model. Dispatches on the sidecar's `model`: `gcn` / `mlp` give a classifier, `ssl` an SSL detector; both
 * score with `scoreJobs`, `scoreRuns` and `evaluateModel`. With `{ graph }`, a GCN/MLP scores another instance of
 * its workflow family (another job count, same job types): `metadata.trainedOn` then names the DAG it was trained on.
 * @example
 * await using model = await loadModel('models/montage-gcn'); // or an SSL folder
 * const scores = await scoreJobs(model, dataset);
 * await using large = await loadModel('models/casa-small', { graph: largeDataset.graph });
 * @throws ProteusError PROTEUS_MODELS_MODEL_NOT_FOUND when `model.json` or `model.onnx` is missing
 * @throws ProteusError PROTEUS_MODELS_BAD_METADATA when `model.json` is not a Proteus sidecar
 * @throws ProteusError PROTEUS_MODELS_BAD_ONNX when `model.onnx` is corrupt, altered, or not loadable
 * @throws ProteusError PROTEUS_MODELS_UNKNOWN_JOB_TYPE when `graph` has job types the model never saw
 * @throws ProteusError PROTEUS_MODELS_NOT_PORTABLE for an SSL detector and a `graph` other than its own
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
  const saved = typeof source === 'string' ? await readModel(source) : source;
  const { graph } = options;
  const model =
    graph === undefined || adjacencyHash(graph) === saved.metadata.adjacencyHash
      ? saved
      : retargetClassifier(saved.metadata, saved.onnx, graph, options.unknownJobTypes ?? 'error');
  const label = typeof source === 'string' ? join(source, saved.metadata.onnx.file) : 'the trained model';
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
  const { edgeIndex, edgeWeight } = metadata.onnx.portable ?? {};
  let edges: Record<string, Tensor> = {};
  if (edgeIndex !== undefined && edgeWeight !== undefined) {
    const dag = graph ?? modelGraph(metadata);
    const e = portableEdges(dag, metadata.architecture.undirected);
    edges = {
      [edgeIndex]: createTensor('int64', e.edgeIndex, [2, e.edges]),
      [edgeWeight]: createTensor('float32', e.edgeWeight, [e.edges]),
    };
  }
  return { ...handle, metadata, predict: createRunner(session, metadata, 'LoadedModel.predict', edges) };
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
  const portable = metadata.model === 'ssl' ? undefined : metadata.onnx.portable;
  const inputs = [input, portable?.edgeIndex, portable?.edgeWeight].filter((name) => name !== undefined);
  if (!inputs.every((name) => session.inputNames.includes(name)) || !session.outputNames.includes(output)) {
    await session.release();
    throw new ProteusError(
      'PROTEUS_MODELS_BAD_ONNX',
      `models/loadModel: ${label} has inputs [${session.inputNames.join(', ')}] and outputs [${session.outputNames.join(', ')}]; the sidecar expects inputs [${inputs.join(', ')}] and output "${output}".`,
    );
  }
  return session;
}

/** One `session.run` over `runs` runs of `[runs, jobs, features]` input: the sidecar's output, flat. */
function createRunner(
  session: OnnxSession,
  metadata: AnyModelMetadata,
  where: string,
  graphInputs: Record<string, Tensor> = {},
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
      result = await session.run(
        { [input]: createTensor('float32', x, [runs, metadata.jobs, features]), ...graphInputs },
        [output],
      );
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
