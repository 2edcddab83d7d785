import { describe, expect, it } from 'vitest';
import { createGraphBuilder } from './graph-builder.js';
import { createSession, runSession, toTensor } from './session.js';

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

  it('throws PROTEUS_MODELS_EP_UNAVAILABLE for CUDA alone without the CUDA binaries', async (context) => {
    const attempt = createSession(tinyModel(), { executionProviders: ['cuda'] });
    const result = await attempt.then(
      async (s) => {
        await s.session.release();
        return 'loaded' as const;
      },
      (error: unknown) => error,
    );
    if (result === 'loaded') context.skip('this onnxruntime-node has CUDA; nothing to check');
    expect(result).toMatchObject({ code: 'PROTEUS_MODELS_EP_UNAVAILABLE' });
  });

  it('throws PROTEUS_MODELS_EP_UNAVAILABLE for a provider onnxruntime-node does not know', async () => {
    await expect(createSession(tinyModel(), { executionProviders: ['tpu' as 'cpu'] })).rejects.toMatchObject({
      code: 'PROTEUS_MODELS_EP_UNAVAILABLE',
    });
  });

  it('throws PROTEUS_MODELS_SESSION_FAILED for bytes that are not a model', async () => {
    await expect(createSession(new Uint8Array([1, 2, 3]))).rejects.toMatchObject({
      code: 'PROTEUS_MODELS_SESSION_FAILED',
    });
  });
});
