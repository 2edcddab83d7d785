import { describe, expect, it } from 'vitest';
import { createGraphBuilder } from './graph-builder.js';
import { createSession, createTensor, runGraph, runSession, toTensor } from './session.js';

function tinyModel(): Uint8Array {
  const g = createGraphBuilder();
  g.output(g.relu(g.input('x', 'float32', ['batch', 2])), 'y');
  return g.toModel();
}

describe('createSession', () => {
  it('runs on the CPU with a configured thread count', async () => {
    const { session, providers } = await createSession(tinyModel(), { threads: 2 });
    expect(providers).toEqual(['cpu']);
    const out = await runSession(session, { x: toTensor(new Float32Array([-1, 2, 3, -4]), [2, 2]) }, 'test');
    expect(Array.from(out.y?.data as Float32Array)).toEqual([0, 2, 3, 0]);
    await session.release();
  });

  it('falls back to the CPU when CUDA cannot be loaded and "cpu" is listed', async () => {
    const { session, providers } = await createSession(tinyModel(), { executionProviders: ['cuda', 'cpu'] });
    // On a machine with the CUDA build of onnxruntime-node this is ['cuda', 'cpu'].
    expect(providers[providers.length - 1]).toBe('cpu');
    await session.release();
  });

  it('throws PROTEUS_ONNX_TRAIN_EP_UNAVAILABLE for CUDA alone without the CUDA binaries', async (context) => {
    const attempt = createSession(tinyModel(), { executionProviders: ['cuda'] });
    const result = await attempt.then(
      async (s) => {
        await s.session.release();
        return 'loaded' as const;
      },
      (error: unknown) => error,
    );
    if (result === 'loaded') context.skip('this onnxruntime-node has CUDA; nothing to check');
    expect(result).toMatchObject({ code: 'PROTEUS_ONNX_TRAIN_EP_UNAVAILABLE' });
  });

  it('throws PROTEUS_ONNX_TRAIN_EP_UNAVAILABLE for a provider onnxruntime-node does not know', async () => {
    await expect(createSession(tinyModel(), { executionProviders: ['tpu' as 'cpu'] })).rejects.toMatchObject({
      code: 'PROTEUS_ONNX_TRAIN_EP_UNAVAILABLE',
    });
  });

  it('throws PROTEUS_ONNX_TRAIN_SESSION_FAILED for bytes that are not a model', async () => {
    await expect(createSession(new Uint8Array([1, 2, 3]))).rejects.toMatchObject({
      code: 'PROTEUS_ONNX_TRAIN_SESSION_FAILED',
    });
  });
});

describe('createTensor', () => {
  it('wraps the data without copying, for every dtype the builder knows', () => {
    const data = Float32Array.of(1, 2, 3, 4, 5, 6);
    const tensor = createTensor('float32', data, [2, 3]);
    expect(tensor.type).toBe('float32');
    expect(tensor.dims).toEqual([2, 3]);
    data[0] = 42;
    expect(tensor.data[0]).toBe(42);
    expect(createTensor('float64', Float64Array.of(1), []).dims).toEqual([]);
    expect(createTensor('int64', BigInt64Array.of(1n, 2n), [2]).type).toBe('int64');
    expect(createTensor('bool', Uint8Array.of(1, 0), [2]).type).toBe('bool');
  });

  it.each([
    ['the array type does not match the dtype', () => createTensor('float32', Float64Array.of(1), [1])],
    ['data.length differs from the product of dims', () => createTensor('float32', new Float32Array(5), [2, 3])],
    ['a dim is negative', () => createTensor('float32', new Float32Array(0), [-1, 0])],
    ['a dim is not an integer', () => createTensor('int64', new BigInt64Array(1), [0.5])],
  ])('throws PROTEUS_ONNX_TRAIN_INVALID_INPUT when %s', (_what, create) => {
    expect(create).toThrow(expect.objectContaining({ code: 'PROTEUS_ONNX_TRAIN_INVALID_INPUT' }));
  });
});

describe('runGraph', () => {
  it('runs a builder graph on created tensors and returns the outputs by name', async () => {
    const g = createGraphBuilder({ name: 'affine' });
    const x = g.input('x', 'float32', ['batch', 2]);
    const w = g.input('w', 'float32', [2, 1]);
    const scale = g.input('scale', 'float32', []);
    g.output(g.mul(g.matMul(x, w), scale), 'y');
    const session = await createSession(g.toModel());
    try {
      const out = await runGraph(session, {
        x: createTensor('float32', Float32Array.of(1, 2, 3, 4), [2, 2]),
        w: createTensor('float32', Float32Array.of(10, 1), [2, 1]),
        scale: createTensor('float32', Float32Array.of(0.5), []),
      });
      expect(Object.keys(out)).toEqual(['y']);
      expect(out.y?.dims).toEqual([2, 1]);
      expect(Array.from(out.y?.data as Float32Array)).toEqual([6, 17]);
    } finally {
      await session.session.release();
    }
  });

  it('throws PROTEUS_ONNX_TRAIN_SESSION_FAILED naming the caller when a feed is missing', async () => {
    const session = await createSession(tinyModel());
    try {
      const failure = await runGraph(session, {}, { where: 'models/scoreBatch' }).catch((error: unknown) => error);
      expect(failure).toMatchObject({ code: 'PROTEUS_ONNX_TRAIN_SESSION_FAILED' });
      expect((failure as Error).message).toMatch(/^models\/scoreBatch: /);
      expect((failure as Error).cause).toBeInstanceOf(Error);
    } finally {
      await session.session.release();
    }
  });
});
