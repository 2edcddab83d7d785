// onnxruntime-node sessions for Proteus graphs: execution-provider selection with a documented CPU fallback, thread
// settings, and small tensor helpers. The only module (with the trainer) that touches onnxruntime at runtime.
import { ProteusError } from '@proteus-wf/core';
import * as ort from 'onnxruntime-node';

/** Execution providers Proteus knows how to request. */
export type ExecutionProvider = 'cpu' | 'cuda' | 'webgpu';

/** Options of `createSession`. */
export interface CreateSessionOptions {
  /**
   * Providers in order of preference (default `['cpu']`). When a provider cannot be loaded (e.g. `cuda` without the
   * CUDA build of onnxruntime) and the list also names `cpu`, the session falls back to `cpu` and `providers` on the
   * result says so; without `cpu` in the list it throws `PROTEUS_MODELS_EP_UNAVAILABLE`.
   */
  executionProviders?: readonly ExecutionProvider[];
  /** Intra-op threads (default 1: training steps here are small, and the machine is shared). */
  threads?: number;
  /** onnxruntime graph optimization level (default `'all'`). */
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
}

/** A created session and the providers it actually runs on. */
export interface ProteusSession {
  session: ort.InferenceSession;
  providers: ExecutionProvider[];
}

const DEFAULTS = { executionProviders: ['cpu'] as readonly ExecutionProvider[], threads: 1 };

/**
 * Creates an onnxruntime-node session for ONNX bytes.
 * @example const { session } = await createSession(g.toModel(), { threads: 2 });
 * @throws ProteusError PROTEUS_MODELS_EP_UNAVAILABLE when a requested provider cannot be loaded and `cpu` is not a
 * fallback; PROTEUS_MODELS_SESSION_FAILED when onnxruntime rejects the model
 */
export async function createSession(bytes: Uint8Array, options: CreateSessionOptions = {}): Promise<ProteusSession> {
  const providers = [...(options.executionProviders ?? DEFAULTS.executionProviders)];
  const threads = options.threads ?? DEFAULTS.threads;
  if (!Number.isInteger(threads) || threads < 0) {
    throw new ProteusError(
      'PROTEUS_MODELS_INVALID_OPTIONS',
      `models/createSession: threads must be an integer >= 0, got ${threads}`,
    );
  }
  if (providers.length === 0) {
    throw new ProteusError(
      'PROTEUS_MODELS_EP_UNAVAILABLE',
      'models/createSession: executionProviders is empty; pass e.g. ["cpu"]',
    );
  }
  const known = new Set(ort.listSupportedBackends().map((b) => b.name));
  const unknown = providers.filter((p) => !known.has(p));
  if (unknown.length > 0) {
    throw new ProteusError(
      'PROTEUS_MODELS_EP_UNAVAILABLE',
      `models/createSession: execution provider(s) ${unknown.join(', ')} not known to onnxruntime-node ${ort.env.versions.common} (available: ${[...known].join(', ')})`,
      { details: { requested: providers, available: [...known] } },
    );
  }
  const sessionOptions = (eps: readonly ExecutionProvider[]): ort.InferenceSession.SessionOptions => ({
    executionProviders: [...eps],
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: options.graphOptimizationLevel ?? 'all',
    // Provider load failures are reported through our error, not printed by the native logger.
    logSeverityLevel: 4,
  });
  try {
    return { session: await ort.InferenceSession.create(bytes, sessionOptions(providers)), providers };
  } catch (cause) {
    const message = cause instanceof Error ? cause.message : String(cause);
    const providerFailure = /ExecutionProvider|shared library|backend|provider/i.test(message);
    const nonCpu = providers.filter((p) => p !== 'cpu');
    if (providerFailure && nonCpu.length > 0) {
      if (providers.includes('cpu')) {
        try {
          return { session: await ort.InferenceSession.create(bytes, sessionOptions(['cpu'])), providers: ['cpu'] };
        } catch (cpuCause) {
          throw sessionFailed(cpuCause);
        }
      }
      throw new ProteusError(
        'PROTEUS_MODELS_EP_UNAVAILABLE',
        `models/createSession: execution provider ${nonCpu.join(', ')} could not be loaded (${message.split('\n')[0]}). Install the onnxruntime-node CUDA binaries, or add "cpu" to executionProviders to fall back.`,
        { cause, details: { requested: providers } },
      );
    }
    throw sessionFailed(cause);
  }
}

function sessionFailed(cause: unknown): ProteusError {
  const message = cause instanceof Error ? cause.message : String(cause);
  return new ProteusError(
    'PROTEUS_MODELS_SESSION_FAILED',
    `models/createSession: onnxruntime rejected the model: ${message}`,
    { cause },
  );
}

/**
 * Runs a session and wraps onnxruntime failures.
 * @throws ProteusError PROTEUS_MODELS_SESSION_FAILED when the run fails
 */
export async function runSession(
  session: ort.InferenceSession,
  feeds: Record<string, ort.Tensor>,
  where: string,
): Promise<ort.InferenceSession.ReturnType> {
  try {
    return await session.run(feeds);
  } catch (cause) {
    const message = cause instanceof Error ? cause.message : String(cause);
    throw new ProteusError('PROTEUS_MODELS_SESSION_FAILED', `models/${where}: onnxruntime run failed: ${message}`, {
      cause,
    });
  }
}

/** Wraps a typed array as an onnxruntime tensor without copying. */
export function toTensor(data: Float32Array | Float64Array | BigInt64Array, dims: readonly number[]): ort.Tensor {
  if (data instanceof Float32Array) return new ort.Tensor('float32', data, dims);
  if (data instanceof Float64Array) return new ort.Tensor('float64', data, dims);
  return new ort.Tensor('int64', data, dims);
}
