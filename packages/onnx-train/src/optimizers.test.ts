import { createRng } from '@proteus-wf/core';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { createGraphBuilder } from './graph-builder.js';
import { appendOptimizerStep, type OptimizerSpec, resolveOptimizer } from './optimizers.js';
import { createSession } from './session.js';

/** torch.optim semantics in float64, one parameter vector. */
function referenceSteps(spec: OptimizerSpec, p0: number[], grads: number[][]): number[] {
  const o = resolveOptimizer(spec);
  const p = [...p0];
  const m = p.map(() => 0);
  const v = p.map(() => 0);
  grads.forEach((grad, k) => {
    const t = k + 1;
    for (let i = 0; i < p.length; i++) {
      let g = grad[i] as number;
      if (o.kind === 'sgd') {
        g += o.weightDecay * (p[i] as number);
        m[i] = k === 0 ? g : o.momentum * (m[i] as number) + g;
        p[i] = (p[i] as number) - o.lr * (o.momentum > 0 ? (m[i] as number) : g);
        continue;
      }
      if (o.kind === 'adam') g += o.weightDecay * (p[i] as number);
      if (o.kind === 'adamw') p[i] = (p[i] as number) * (1 - o.lr * o.weightDecay);
      m[i] = o.beta1 * (m[i] as number) + (1 - o.beta1) * g;
      v[i] = o.beta2 * (v[i] as number) + (1 - o.beta2) * g * g;
      const mHat = (m[i] as number) / (1 - o.beta1 ** t);
      const vHat = (v[i] as number) / (1 - o.beta2 ** t);
      p[i] = (p[i] as number) - (o.lr * mHat) / (Math.sqrt(vHat) + o.eps);
    }
  });
  return p;
}

async function graphSteps(spec: OptimizerSpec, p0: number[], grads: number[][]): Promise<number[]> {
  const g = createGraphBuilder();
  const p = g.input('p', 'float32', [p0.length]);
  const grad = g.input('grad', 'float32', [p0.length]);
  const step = g.input('step', 'float32', []);
  const lr = g.input('lr', 'float32', []);
  const resolved = resolveOptimizer(spec);
  const out = appendOptimizerStep(g, [p], [grad], resolved, { step, lr });
  g.output(out.updated[0] ?? p, 'p.next');
  out.stateOutputs.forEach((s, i) => {
    g.output(s, `${out.stateInputs[i]?.name}.next`);
  });
  const { session } = await createSession(g.toModel());
  let current: ort.Tensor = new ort.Tensor('float32', Float32Array.from(p0), [p0.length]);
  const state: Record<string, ort.Tensor> = {};
  for (const s of out.stateInputs) state[s.name] = new ort.Tensor('float32', new Float32Array(p0.length), [p0.length]);
  for (const [k, gk] of grads.entries()) {
    const result = await session.run({
      p: current,
      grad: new ort.Tensor('float32', Float32Array.from(gk), [p0.length]),
      step: new ort.Tensor('float32', new Float32Array([k + 1]), []),
      lr: new ort.Tensor('float32', new Float32Array([resolved.lr]), []),
      ...state,
    });
    current = result['p.next'] as ort.Tensor;
    for (const s of out.stateInputs) state[s.name] = result[`${s.name}.next`] as ort.Tensor;
  }
  await session.release();
  return Array.from(current.data as Float32Array);
}

describe('appendOptimizerStep', () => {
  const specs: OptimizerSpec[] = [
    { kind: 'sgd', lr: 0.1 },
    { kind: 'sgd', lr: 0.05, momentum: 0.9, weightDecay: 0.01 },
    { kind: 'adam' },
    { kind: 'adam', lr: 0.01, weightDecay: 0.1 },
    { kind: 'adamw' },
    { kind: 'adamw', lr: 0.02, weightDecay: 0.5, beta1: 0.8 },
  ];
  for (const spec of specs) {
    it(`matches torch.optim semantics for ${JSON.stringify(spec)}`, async () => {
      const rng = createRng(7);
      const p0 = Array.from({ length: 6 }, () => rng.normal());
      const grads = Array.from({ length: 8 }, () => p0.map(() => rng.normal()));
      const expected = referenceSteps(spec, p0, grads);
      const got = await graphSteps(spec, p0, grads);
      got.forEach((value, i) => {
        expect(value).toBeCloseTo(expected[i] as number, 5);
      });
    });
  }

  it('defaults AdamW to lr 5e-4 and weight decay 1e-4 (the active-learning paper)', () => {
    expect(resolveOptimizer({ kind: 'adamw' })).toMatchObject({ lr: 5e-4, weightDecay: 1e-4 });
  });

  it('throws PROTEUS_ONNX_TRAIN_INVALID_OPTIMIZER for a bad hyperparameter or kind', () => {
    expect(() => resolveOptimizer({ kind: 'adam', lr: -1 })).toThrow(
      expect.objectContaining({ code: 'PROTEUS_ONNX_TRAIN_INVALID_OPTIMIZER' }),
    );
    expect(() => resolveOptimizer({ kind: 'sgd', lr: 0.1, momentum: 1 })).toThrow(
      expect.objectContaining({ code: 'PROTEUS_ONNX_TRAIN_INVALID_OPTIMIZER' }),
    );
    expect(() => resolveOptimizer({ kind: 'rmsprop' } as unknown as OptimizerSpec)).toThrow(
      expect.objectContaining({ code: 'PROTEUS_ONNX_TRAIN_INVALID_OPTIMIZER' }),
    );
  });
});
