import { isProteusError, ProteusError } from '@proteus-wf/core';
import type { InferenceSession } from 'onnxruntime-node';
import { createOrtSession, type ExecutionProvider } from '../onnx/session.js';

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
): Promise<InferenceSession> {
  try {
    const { session } = await createOrtSession(bytes, {
      ...(options.executionProviders ? { executionProviders: options.executionProviders } : {}),
      ...(options.threads !== undefined ? { threads: options.threads } : {}),
    });
    return session;
  } catch (error) {
    if (isProteusError(error, 'PROTEUS_MODELS_SESSION_FAILED')) {
      throw new ProteusError(
        'PROTEUS_MODELS_BAD_ONNX',
        `models/${where}: onnxruntime could not load the model from ${source}: ${error.message.replace(/^models\/createSession: /, '')}. Is this an ONNX file?`,
        { cause: error },
      );
    }
    throw error;
  }
}
