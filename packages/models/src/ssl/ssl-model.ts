/*
 * A trained SSL detector as data: the scoring ONNX graph plus a `model.json` sidecar shaped like the GCN's
 * (`ModelMetadata`): same format name and version, workflow, DAG, feature pipeline and fitted scaler, with
 * `model: "ssl"`, the SSL architecture and the scoring temperature. Saved as the same two files by `saveModel`, opened
 * by `loadModel`, scored by `scoreJobs`.
 */
import { ProteusError } from '@proteus-wf/core';
import { type LoadedSslModel, readModel } from '../load-model.js';
import type { SslModelMetadata, TrainedSslModel } from '../model-metadata.js';

export type { LoadedSslModel, SslModelMetadata, TrainedSslModel };

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
  const model = await readModel(dir, 'models/readSslModel');
  if (!isSslModelMetadata(model.metadata)) {
    throw new ProteusError(
      'PROTEUS_MODELS_BAD_METADATA',
      `models/readSslModel: ${dir} holds a ${model.metadata.model} model, not an SSL detector. Open it with loadModel.`,
    );
  }
  return model as TrainedSslModel;
}
