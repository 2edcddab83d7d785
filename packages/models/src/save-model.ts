import { join } from 'node:path';
import { ProteusError, writeFileAtomic } from '@proteus-wf/core';
import type { TrainedSslModel } from './ssl/ssl-model.js';
import type { TrainedModel } from './train.js';

/** The file names of a saved model folder. */
export const MODEL_FILES = { onnx: 'model.onnx', metadata: 'model.json' } as const;

/**
 * Saves a trained model (GCN/MLP from `train`, SSL from `trainSsl`) as a folder: `model.onnx` (forward-only inference graph) and `model.json` (the sidecar).
 * Both files are written atomically, the ONNX first, so a reader never sees a sidecar without its graph.
 * @example await saveModel(result.model, 'models/montage-gcn');
 * @throws ProteusError PROTEUS_MODELS_SAVE_FAILED when the folder cannot be written
 */
export async function saveModel(
  model: TrainedModel | TrainedSslModel,
  dir: string,
): Promise<{ onnx: string; metadata: string }> {
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
      `models/saveModel: cannot write ${dir}: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  return { onnx, metadata };
}
