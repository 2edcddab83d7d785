// Running the active learner's own ONNX graphs through `@proteus-wf/models`' public `createSession`, without importing
// onnxruntime-node here (models owns that dependency; STYLE.md "a heavy dependency is owned by one package").
import { ProteusError } from '@proteus-wf/core';
import { createGraphBuilder, createSession, type ProteusSession } from '@proteus-wf/models';

type InferenceSession = ProteusSession['session'];
/** An onnxruntime tensor, seen through the session's own types. */
export type OrtTensor = Awaited<ReturnType<InferenceSession['run']>>[string];
type TensorConstructor = new (type: 'float32', data: Float32Array, dims: readonly number[]) => OrtTensor;

let tensorClass: Promise<TensorConstructor> | undefined;

/**
 * The onnxruntime `Tensor` class, taken from the output of a one-constant graph.
 * NOTE: `@proteus-wf/models` exports `createSession` but not its `toTensor`/`runSession` helpers; this avoids a second
 * owner of onnxruntime-node. Replace with the models helper once it is exported.
 */
function loadTensorClass(): Promise<TensorConstructor> {
  tensorClass ??= (async () => {
    const g = createGraphBuilder({ name: 'tensor-class' });
    g.output(g.identity(g.constant([0], [1])), 'y');
    const { session } = await createSession(g.toModel());
    const out = await session.run({});
    await session.release();
    return (out.y as object).constructor as TensorConstructor;
  })();
  return tensorClass;
}

/** A float32 tensor factory bound to onnxruntime's Tensor class. */
export type MakeTensor = (data: Float32Array, dims: readonly number[]) => OrtTensor;

/** Resolves the tensor factory once per process. */
export async function tensorFactory(): Promise<MakeTensor> {
  const Tensor = await loadTensorClass();
  return (data, dims) => new Tensor('float32', data, dims);
}

/** Runs a session; failures become `PROTEUS_AL_SESSION_FAILED` with the cause attached. */
export async function runGraph(
  session: InferenceSession,
  feeds: Record<string, OrtTensor>,
  where: string,
): Promise<Record<string, Float32Array>> {
  let out: Awaited<ReturnType<InferenceSession['run']>>;
  try {
    out = await session.run(feeds as Parameters<InferenceSession['run']>[0]);
  } catch (cause) {
    throw new ProteusError(
      'PROTEUS_AL_SESSION_FAILED',
      `active-learner/${where}: onnxruntime run failed: ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    );
  }
  const result: Record<string, Float32Array> = {};
  for (const [name, value] of Object.entries(out)) result[name] = (value as unknown as { data: Float32Array }).data;
  return result;
}
