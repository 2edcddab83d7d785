import { join } from 'node:path';
import { ProteusError, writeFileAtomic } from '@proteus-wf/core';
import { toPortableOnnx } from './internal/portable-onnx.js';
import { MODEL_FORMAT_VERSION, type TrainedSslModel } from './model-metadata.js';
import type { TrainedModel } from './train.js';

/** The file names of a saved model folder. */
export const MODEL_FILES = { onnx: 'model.onnx', metadata: 'model.json' } as const;

/**
 * Saves a trained model (GCN/MLP from `train`, SSL from `trainSsl`) as a folder: `model.onnx` (forward-only inference graph) and `model.json` (the sidecar).
 * A GCN/MLP's `model.onnx` is portable: a symbolic node dim, and the DAG as `edge_index` / `edge_weight` inputs
 * (`ModelMetadata.onnx.portable`), so plain onnxruntime scores any instance of the workflow with it.
 * Both files are written atomically, the ONNX first, so a reader never sees a sidecar without its graph.
 * @example await saveModel(result.model, 'models/montage-gcn');
 * @throws ProteusError PROTEUS_MODELS_SAVE_FAILED when the folder cannot be written
 * @throws ProteusError PROTEUS_MODELS_INVALID_ARGUMENT when called as `saveModel(dir, model)` or with something else
 */
export async function saveModel(
  model: TrainedModel | TrainedSslModel,
  dir: string,
): Promise<{ onnx: string; metadata: string }> {
  if (!isTrainedModel(model) || typeof dir !== 'string' || dir === '') {
    const swapped = typeof model === 'string' && isTrainedModel(dir);
    throw new ProteusError(
      'PROTEUS_MODELS_INVALID_ARGUMENT',
      `models/saveModel: expected (model, dir), got (${describeArgument(model)}, ${describeArgument(dir)}). ` +
        `${swapped ? 'The arguments are swapped: ' : ''}pass the trained model first and the folder last: ` +
        "saveModel(result.model, 'models/montage').",
    );
  }
  const onnx = join(dir, MODEL_FILES.onnx);
  const metadata = join(dir, MODEL_FILES.metadata);
  const saved =
    model.metadata.model === 'ssl' || model.metadata.onnx.portable
      ? { bytes: model.onnx, record: model.metadata.onnx }
      : (({ onnx: bytes, record }) => ({ bytes, record }))(toPortableOnnx(model.metadata, model.onnx));
  try {
    await writeFileAtomic(onnx, saved.bytes);
    await writeFileAtomic(
      metadata,
      `${JSON.stringify(
        {
          ...model.metadata,
          formatVersion: MODEL_FORMAT_VERSION,
          onnx: { ...saved.record, file: MODEL_FILES.onnx },
        },
        null,
        2,
      )}\n`,
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

function isTrainedModel(value: unknown): value is TrainedModel | TrainedSslModel {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as { onnx?: unknown; metadata?: unknown };
  return candidate.onnx instanceof Uint8Array && typeof candidate.metadata === 'object' && candidate.metadata !== null;
}

function describeArgument(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  if (isTrainedModel(value)) return 'a trained model';
  return value === null ? 'null' : typeof value;
}
