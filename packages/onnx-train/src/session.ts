// onnxruntime-node sessions for Proteus graphs: execution-provider selection with a documented CPU fallback, thread
// settings, tensors and runs. Other packages create tensors and run graphs through `createTensor` / `runGraph` and
// see onnxruntime only through the `Tensor` and `OnnxSession` types declared here, so our declarations never pull in
// onnxruntime-common's (DOM-typed) ones, and onnxruntime-node is loaded on the first tensor or session only.
import { ProteusError } from '@proteus-wf/core';
import type * as ort from 'onnxruntime-node';
import type { DType, TensorData } from './graph-builder.js';
import { onnxRuntime } from './internal/onnx-runtime.js';

/** The element arrays a tensor can hold (by element type: float32, float64, int64, bool/uint8, ...). */
export type TensorValues =
  | Float32Array
  | Float64Array
  | BigInt64Array
  | BigUint64Array
  | Int32Array
  | Uint32Array
  | Int16Array
  | Uint16Array
  | Int8Array
  | Uint8Array
  | string[];

/**
 * A tensor onnxruntime can run on: made by `createTensor`, returned by `runGraph`. At runtime it is onnxruntime-node's
 * `Tensor`; this is the part of it Proteus relies on.
 */
export interface Tensor {
  /** The element type, e.g. `'float32'`. */
  readonly type: string;
  readonly dims: readonly number[];
  /** The elements, row-major (the array type follows `type`). */
  readonly data: TensorValues;
  /** Frees the tensor's native memory early (optional; garbage collection does it otherwise). */
  dispose(): void;
}

/** What a session declares about one of its inputs (its element type and shape, symbolic dims as strings). */
export interface InputMetadata {
  readonly name: string;
  readonly isTensor: boolean;
  /** The element type, e.g. `'float32'` (absent for non-tensor inputs). */
  readonly type?: string;
  readonly shape?: ReadonlyArray<number | string>;
}

/** An open onnxruntime inference session (onnxruntime-node's `InferenceSession`, as far as Proteus uses it). */
export interface OnnxSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  /** Types and shapes of the inputs, in `inputNames` order. */
  readonly inputMetadata: readonly InputMetadata[];
  /**
   * Runs the graph, computing only `fetches` when given (default: every output); prefer `runGraph`, which wraps
   * failures in a `ProteusError`.
   */
  run(feeds: Readonly<Record<string, Tensor>>): Promise<Record<string, Tensor>>;
  run(feeds: Readonly<Record<string, Tensor>>, fetches: readonly string[]): Promise<Record<string, Tensor>>;
  /** Ends onnxruntime's profile of a session created with `profilePrefix` and writes it to `<prefix>_<time>.json`. */
  endProfiling(): void;
  /** Releases the native session. */
  release(): Promise<void>;
}

/** Options of `runGraph`. */
export interface RunGraphOptions {
  /** Names the caller at the start of an error message, e.g. `'models/Trainer.step'` (default `'onnx-train/runGraph'`). */
  where?: string;
  /** Output names to compute (default: every output). */
  fetches?: readonly string[];
}

/** Execution providers Proteus knows how to request. */
export type ExecutionProvider = 'cpu' | 'cuda' | 'webgpu';

/** Options of `createSession`. */
export interface CreateSessionOptions {
  /**
   * Providers in order of preference (default `['cpu']`). When a provider cannot be loaded (e.g. `cuda` without the
   * CUDA build of onnxruntime) and the list also names `cpu`, the session falls back to `cpu` and `providers` on the
   * result says so; without `cpu` in the list it throws `PROTEUS_ONNX_TRAIN_EP_UNAVAILABLE`.
   */
  executionProviders?: readonly ExecutionProvider[];
  /** Intra-op threads (default 1: training steps here are small, and the machine is shared). */
  threads?: number;
  /** onnxruntime graph optimization level (default `'all'`). */
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
  /**
   * Records onnxruntime's per-kernel profile (Chrome trace JSON), written to `<profilePrefix>_<time>.json` by
   * `session.endProfiling()`. Default: no profile.
   */
  profilePrefix?: string;
}

/** A created session and the providers it actually runs on. */
export interface ProteusSession {
  session: OnnxSession;
  providers: ExecutionProvider[];
}

const DEFAULTS = { executionProviders: ['cpu'] as readonly ExecutionProvider[], threads: 1 };

/**
 * Creates an onnxruntime-node session for ONNX bytes.
 * @example const { session } = await createSession(g.toModel(), { threads: 2 });
 * @throws ProteusError PROTEUS_ONNX_TRAIN_EP_UNAVAILABLE when a requested provider cannot be loaded and `cpu` is not a
 * fallback; PROTEUS_ONNX_TRAIN_SESSION_FAILED when onnxruntime rejects the model
 */
export async function createSession(bytes: Uint8Array, options: CreateSessionOptions = {}): Promise<ProteusSession> {
  return createOrtSession(bytes, options);
}

/** `createSession` with onnxruntime's own session type, for code in this package that needs more of it. */
export async function createOrtSession(
  bytes: Uint8Array,
  options: CreateSessionOptions = {},
): Promise<{ session: ort.InferenceSession; providers: ExecutionProvider[] }> {
  const runtime = onnxRuntime();
  const providers = [...(options.executionProviders ?? DEFAULTS.executionProviders)];
  const threads = options.threads ?? DEFAULTS.threads;
  if (!Number.isInteger(threads) || threads < 0) {
    throw new ProteusError(
      'PROTEUS_ONNX_TRAIN_INVALID_OPTION',
      `onnx-train/createSession: threads must be an integer >= 0, got ${threads}`,
    );
  }
  if (providers.length === 0) {
    throw new ProteusError(
      'PROTEUS_ONNX_TRAIN_EP_UNAVAILABLE',
      'onnx-train/createSession: executionProviders is empty; pass e.g. ["cpu"]',
    );
  }
  const known = new Set(runtime.listSupportedBackends().map((b) => b.name));
  const unknown = providers.filter((p) => !known.has(p));
  if (unknown.length > 0) {
    throw new ProteusError(
      'PROTEUS_ONNX_TRAIN_EP_UNAVAILABLE',
      `onnx-train/createSession: execution provider(s) ${unknown.join(', ')} not known to onnxruntime-node ${runtime.env.versions.common} (available: ${[...known].join(', ')})`,
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
    ...(options.profilePrefix !== undefined ? { enableProfiling: true, profileFilePrefix: options.profilePrefix } : {}),
  });
  try {
    return { session: await runtime.InferenceSession.create(bytes, sessionOptions(providers)), providers };
  } catch (cause) {
    const message = cause instanceof Error ? cause.message : String(cause);
    const providerFailure = /ExecutionProvider|shared library|backend|provider/i.test(message);
    const nonCpu = providers.filter((p) => p !== 'cpu');
    if (providerFailure && nonCpu.length > 0) {
      if (providers.includes('cpu')) {
        try {
          return { session: await runtime.InferenceSession.create(bytes, sessionOptions(['cpu'])), providers: ['cpu'] };
        } catch (cpuCause) {
          throw sessionFailed(cpuCause);
        }
      }
      throw new ProteusError(
        'PROTEUS_ONNX_TRAIN_EP_UNAVAILABLE',
        `onnx-train/createSession: execution provider ${nonCpu.join(', ')} could not be loaded (${message.split('\n')[0]}). Install the onnxruntime-node CUDA binaries, or add "cpu" to executionProviders to fall back.`,
        { cause, details: { requested: providers } },
      );
    }
    throw sessionFailed(cause);
  }
}

function sessionFailed(cause: unknown): ProteusError {
  const message = cause instanceof Error ? cause.message : String(cause);
  return new ProteusError(
    'PROTEUS_ONNX_TRAIN_SESSION_FAILED',
    `onnx-train/createSession: onnxruntime rejected the model: ${message}`,
    { cause },
  );
}

/**
 * Runs a session and wraps onnxruntime failures (the internal form of `runGraph`, over the bare onnxruntime session).
 * @throws ProteusError PROTEUS_ONNX_TRAIN_SESSION_FAILED when the run fails
 */
export async function runSession(
  session: OnnxSession,
  feeds: Readonly<Record<string, Tensor>>,
  where: string,
  fetches?: readonly string[],
): Promise<Record<string, Tensor>> {
  try {
    return await (fetches === undefined ? session.run(feeds) : session.run(feeds, fetches));
  } catch (cause) {
    const message = cause instanceof Error ? cause.message : String(cause);
    throw new ProteusError('PROTEUS_ONNX_TRAIN_SESSION_FAILED', `${where}: onnxruntime run failed: ${message}`, {
      cause,
    });
  }
}

/**
 * Runs a graph opened with `createSession` on named input tensors and returns its outputs by name. Every graph input
 * needs a feed; outputs are fresh tensors (their `data` can be kept).
 * @example
 * const g = createGraphBuilder();
 * g.output(g.relu(g.input('x', 'float32', ['batch', 2])), 'y');
 * const session = await createSession(g.toModel());
 * const { y } = await runGraph(session, { x: createTensor('float32', Float32Array.of(-1, 2), [1, 2]) });
 * // y.data: Float32Array [0, 2]
 * await session.session.release();
 * @throws ProteusError PROTEUS_ONNX_TRAIN_SESSION_FAILED when onnxruntime fails the run (a missing or mis-shaped feed, a
 * wrong dtype), with the onnxruntime error as `cause`
 */
export async function runGraph(
  session: ProteusSession,
  feeds: Readonly<Record<string, Tensor>>,
  options: RunGraphOptions = {},
): Promise<Record<string, Tensor>> {
  return runSession(session.session, feeds, options.where ?? 'onnx-train/runGraph', options.fetches);
}

const ARRAY_TYPES = {
  float32: Float32Array,
  float64: Float64Array,
  int64: BigInt64Array,
  bool: Uint8Array,
} as const satisfies Record<DType, new (length: number) => TensorData>;

/**
 * Creates an input tensor for `runGraph` over `data` (row-major, not copied: later writes to `data` show in the
 * tensor). `data` must be the array type of `dtype`: Float32Array, Float64Array, BigInt64Array, or Uint8Array (0/1)
 * for `bool`. A scalar has `dims` `[]` and one value.
 * @example const x = createTensor('float32', new Float32Array(2 * 137 * 24), [2, 137, 24]);
 * @throws ProteusError PROTEUS_ONNX_TRAIN_INVALID_INPUT when a dim is not an integer >= 0, the array type does not match
 * `dtype`, or `data.length` differs from the product of `dims`
 */
export function createTensor(dtype: DType, data: TensorData, dims: readonly number[]): Tensor {
  return createOrtTensor(dtype, data, dims);
}

/** `createTensor` with onnxruntime's own tensor type, for code in this package that feeds onnxruntime directly. */
export function createOrtTensor(dtype: DType, data: TensorData, dims: readonly number[]): ort.Tensor {
  const arrayType = ARRAY_TYPES[dtype];
  if (arrayType === undefined || !(data instanceof arrayType)) {
    throw new ProteusError(
      'PROTEUS_ONNX_TRAIN_INVALID_INPUT',
      `onnx-train/createTensor: a ${String(dtype)} tensor needs ${arrayType?.name ?? 'one of float32, float64, int64, bool'} data, got ${data?.constructor?.name ?? typeof data}`,
      { details: { dtype, dims } },
    );
  }
  let size = 1;
  for (const d of dims) {
    if (!Number.isInteger(d) || d < 0) {
      throw new ProteusError(
        'PROTEUS_ONNX_TRAIN_INVALID_INPUT',
        `onnx-train/createTensor: dims must be integers >= 0, got [${dims.join(', ')}]`,
        { details: { dtype, dims } },
      );
    }
    size *= d;
  }
  if (data.length !== size) {
    throw new ProteusError(
      'PROTEUS_ONNX_TRAIN_INVALID_INPUT',
      `onnx-train/createTensor: dims [${dims.join(', ')}] hold ${size} values, got ${data.length}; pass dims whose product is the data length`,
      { details: { dtype, dims, length: data.length } },
    );
  }
  return new (onnxRuntime().Tensor)(dtype, data, dims);
}

/** The version of the onnxruntime-node build in use (loads it on the first call). */
export function onnxRuntimeVersion(): string {
  return onnxRuntime().env.versions.common;
}

/** Wraps a typed array as an onnxruntime tensor without copying (the dtype follows the array type). */
export function toTensor(data: Float32Array | Float64Array | BigInt64Array, dims: readonly number[]): Tensor {
  if (data instanceof Float32Array) return createTensor('float32', data, dims);
  if (data instanceof Float64Array) return createTensor('float64', data, dims);
  return createTensor('int64', data, dims);
}
