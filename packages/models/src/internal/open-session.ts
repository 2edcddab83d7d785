import { isProteusError, ProteusError } from '@proteus-wf/core';
import { createSession, type ExecutionProvider, type OnnxSession } from '@proteus-wf/onnx-train';

/** Where and how to run a model: onnxruntime execution providers in preference order, and intra-op threads. */
export interface SessionOptions {
  /** Default `['cpu']`; e.g. `['cuda', 'cpu']` falls back to CPU when CUDA is absent. */
  executionProviders?: readonly ExecutionProvider[];
  /** Intra-op threads; default 1. */
  threads?: number;
}

/**
 * Opens a session over model bytes that came from outside (a file, a user), so a model onnxruntime rejects is
 * reported as PROTEUS_MODELS_BAD_ONNX naming `source`; provider errors pass through from `createSession`.
 */
export async function openSession(
  bytes: Uint8Array,
  options: SessionOptions,
  where: string,
  source: string,
): Promise<OnnxSession> {
  try {
    const { session } = await createSession(bytes, {
      ...(options.executionProviders ? { executionProviders: options.executionProviders } : {}),
      ...(options.threads !== undefined ? { threads: options.threads } : {}),
    });
    return session;
  } catch (error) {
    if (isProteusError(error, 'PROTEUS_ONNX_TRAIN_SESSION_FAILED')) {
      throw new ProteusError(
        'PROTEUS_MODELS_BAD_ONNX',
        `models/${where}: onnxruntime could not load the model from ${source}: ${error.message.replace(/^onnx-train\/createSession: /, '')}. Is this an ONNX file?`,
        { cause: error },
      );
    }
    throw error;
  }
}
