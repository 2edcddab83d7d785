import { createRng } from '@proteus-wf/core';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { defineModelSpec, type GcnSpec, initWeights, type ModelSpec } from './model-spec.js';
import { randomGcnAdjacency, referenceLogits, softmaxRow } from './reference.test-helpers.js';
import { createTrainer } from './trainer.js';

const N = 9;
const F = 5;

function gcnSpec(level: 'graph' | 'node', aggregation: 'sparse' | 'dense', seed = 3): GcnSpec {
  return {
    kind: 'gcn',
    level,
    nodes: N,
    features: F,
    classes: 3,
    hidden: 8,
    adjacency: randomGcnAdjacency(createRng(seed), N),
    aggregation,
  };
}

function randomBatch(seed: number, length: number): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length }, () => rng.normal());
}

describe('createTrainer', () => {
  for (const level of ['graph', 'node'] as const) {
    for (const aggregation of ['sparse', 'dense'] as const) {
      it(`evaluates a ${level}-level GCN (${aggregation}) like a float64 JS reference`, async () => {
        const spec = gcnSpec(level, aggregation);
        await using trainer = await createTrainer({ model: spec, seed: 5 });
        const weights = trainer.weights();
        const batch = 4;
        const x = randomBatch(9, batch * N * F);
        const probabilities = await trainer.evaluate(x);
        const resolved = defineModelSpec(spec);
        let offset = 0;
        for (let b = 0; b < batch; b++) {
          for (const row of referenceLogits(resolved, weights, x.subarray(b * N * F, (b + 1) * N * F))) {
            for (const p of softmaxRow(row)) expect(probabilities[offset++]).toBeCloseTo(p, 5);
          }
        }
        expect(offset).toBe(probabilities.length);
      });
    }
  }

  it('exports an inference model whose logits match the reference', async () => {
    const spec = gcnSpec('node', 'sparse');
    await using trainer = await createTrainer({ model: spec, seed: 6 });
    const bytes = trainer.exportInferenceModel();
    const session = await ort.InferenceSession.create(bytes);
    const x = randomBatch(10, 2 * N * F);
    const out = await session.run({ x: new ort.Tensor('float32', x, [2, N, F]) });
    expect(out.logits?.dims).toEqual([2, N, 3]);
    const reference = referenceLogits(defineModelSpec(spec), trainer.weights(), x.subarray(N * F)).flat();
    const logits = Array.from((out.logits as ort.Tensor).data as Float32Array).slice(N * 3);
    logits.forEach((v, i) => {
      expect(v).toBeCloseTo(reference[i] as number, 4);
    });
    await session.release();
  });

  it('takes an SGD step equal to minus lr times the float64 finite-difference gradient of the loss', async () => {
    const spec = gcnSpec('graph', 'sparse');
    const resolved = defineModelSpec(spec);
    const classWeights = [1, 2, 0.5];
    const lr = 0.5;
    await using trainer = await createTrainer({ model: spec, seed: 8, optimizer: { kind: 'sgd', lr }, classWeights });
    const before = trainer.weights();
    const batch = 3;
    const x = randomBatch(11, batch * N * F);
    const labels = [0, 2, 1];
    const lossOf = (weights: typeof before) => {
      let total = 0;
      let norm = 0;
      labels.forEach((label, b) => {
        const logits = referenceLogits(resolved, weights, x.subarray(b * N * F, (b + 1) * N * F))[0] as number[];
        const p = softmaxRow(logits)[label] as number;
        total -= (classWeights[label] as number) * Math.log(p);
        norm += classWeights[label] as number;
      });
      return total / norm;
    };
    const loss = await trainer.step(x, labels);
    expect(loss).toBeCloseTo(lossOf(before), 5);
    const after = trainer.weights();
    const rng = createRng(4);
    for (const name of ['gcn0.weight', 'gcn1.bias', 'mlp0.weight', 'mlp1.bias']) {
      const w = before[name];
      if (!w) throw new Error(name);
      for (let probe = 0; probe < 3; probe++) {
        const j = rng.int(0, w.data.length - 1);
        // float64 FD on a float64 copy of the weights.
        const eval64 = (delta: number) => {
          const copy = structuredClone(before);
          const t = copy[name] as { data: Float32Array };
          const data64 = Float64Array.from(t.data);
          data64[j] = (data64[j] as number) + delta;
          t.data = data64 as unknown as Float32Array;
          return lossOf(copy);
        };
        const fd = (eval64(1e-6) - eval64(-1e-6)) / 2e-6;
        const step = ((after[name]?.data[j] as number) - (w.data[j] as number)) / -lr;
        expect(Math.abs(step - fd), `${name}[${j}]`).toBeLessThan(2e-4 + 2e-3 * Math.abs(fd));
      }
    }
  });

  it('learns a separable node-level task with AdamW, class weights and a mask', async () => {
    const spec: GcnSpec = { ...gcnSpec('node', 'sparse'), classes: 2, dropout: 0.1 };
    await using trainer = await createTrainer({ model: spec, seed: 1, optimizer: { kind: 'adamw', lr: 1e-2 } });
    const batch = 8;
    const x = randomBatch(12, batch * N * F);
    // The label is the sign of the job's aggregated first feature, (Â x)[i, 0]: what one GCN layer can see.
    const labels = Array.from({ length: batch * N }, (_, item) => {
      const [b, i] = [Math.floor(item / N), item % N];
      let s = 0;
      for (let j = 0; j < N; j++)
        s += ((spec.adjacency as Float32Array)[i * N + j] as number) * (x[(b * N + j) * F] as number);
      return s > 0 ? 1 : 0;
    });
    const mask = Float32Array.from({ length: batch * N }, (_, i) => (i % 4 === 0 ? 0 : 1));
    const first = await trainer.step(x, labels, { mask });
    let last = first;
    for (let i = 0; i < 150; i++) last = await trainer.step(x, labels, { mask });
    expect(trainer.stepCount).toBe(151);
    expect(last).toBeLessThan(first * 0.5);
    const probabilities = await trainer.evaluate(x);
    let correct = 0;
    labels.forEach((label, i) => {
      if (((probabilities[2 * i + 1] as number) > 0.5 ? 1 : 0) === label) correct++;
    });
    expect(correct / labels.length).toBeGreaterThan(0.85);
  });

  it('is deterministic for a seed, dropout included, and setWeights restores a state', async () => {
    const spec: ModelSpec = { kind: 'mlp', features: F, classes: 2, nodes: N, dropout: 0.3 };
    const x = randomBatch(13, 4 * N * F);
    const labels = Array.from({ length: 4 * N }, (_, i) => i % 2);
    const run = async () => {
      await using trainer = await createTrainer({ model: spec, seed: 21 });
      const losses = [];
      for (let i = 0; i < 5; i++) losses.push(await trainer.step(x, labels));
      return { losses, weights: trainer.weights() };
    };
    const [a, b] = [await run(), await run()];
    expect(a.losses).toEqual(b.losses);
    expect(a.weights).toEqual(b.weights);
    await using trainer = await createTrainer({ model: spec, seed: 99 });
    trainer.setWeights(a.weights);
    expect(trainer.weights()).toEqual(a.weights);
    expect(trainer.stepCount).toBe(0);
  });

  it('trains an MLP over job rows with any batch size (symbolic batch dim)', async () => {
    await using trainer = await createTrainer({ model: { kind: 'mlp', features: F, classes: 2 }, seed: 2 });
    for (const batch of [7, 1, 32]) {
      const loss = await trainer.step(
        randomBatch(batch, batch * F),
        Array.from({ length: batch }, (_, i) => i % 2),
      );
      expect(Number.isFinite(loss)).toBe(true);
    }
    expect((await trainer.evaluate(randomBatch(1, 3 * F))).length).toBe(6);
  });

  it('initializes deterministically: Glorot for GCN weights, zero GCN bias', () => {
    const spec = defineModelSpec(gcnSpec('graph', 'sparse'));
    const a = initWeights(spec, createRng(1));
    expect(a).toEqual(initWeights(spec, createRng(1)));
    expect(Array.from(a['gcn0.bias']?.data ?? [1])).toEqual(new Array(8).fill(0));
    const bound = Math.sqrt(6 / (F + 8));
    expect(Math.max(...(a['gcn0.weight']?.data ?? []).map(Math.abs))).toBeLessThanOrEqual(bound);
  });

  it('throws PROTEUS_MODELS_INVALID_INPUT for a wrong batch length or a label out of range', async () => {
    await using trainer = await createTrainer({ model: gcnSpec('graph', 'sparse'), seed: 1 });
    await expect(trainer.step(new Float32Array(N * F + 1), [0])).rejects.toMatchObject({
      code: 'PROTEUS_MODELS_INVALID_INPUT',
    });
    await expect(trainer.step(new Float32Array(N * F), [3])).rejects.toMatchObject({
      code: 'PROTEUS_MODELS_INVALID_INPUT',
    });
    await expect(trainer.step(new Float32Array(N * F), [0, 1])).rejects.toMatchObject({
      code: 'PROTEUS_MODELS_INVALID_INPUT',
    });
  });

  it('throws PROTEUS_MODELS_NON_FINITE_LOSS on NaN input and keeps the last good weights', async () => {
    await using trainer = await createTrainer({ model: { kind: 'mlp', features: F, classes: 2 }, seed: 2 });
    const before = trainer.weights();
    const x = new Float32Array(F).fill(Number.NaN);
    await expect(trainer.step(x, [1])).rejects.toMatchObject({ code: 'PROTEUS_MODELS_NON_FINITE_LOSS' });
    expect(trainer.weights()).toEqual(before);
    expect(trainer.stepCount).toBe(0);
  });

  it('throws PROTEUS_MODELS_INVALID_SPEC for an adjacency of the wrong size', async () => {
    await expect(
      createTrainer({ model: { ...gcnSpec('graph', 'sparse'), adjacency: new Float32Array(3) } }),
    ).rejects.toMatchObject({
      code: 'PROTEUS_MODELS_INVALID_SPEC',
    });
  });

  it('throws PROTEUS_MODELS_INVALID_WEIGHTS for weights of another model', async () => {
    await expect(
      createTrainer({
        model: gcnSpec('graph', 'sparse'),
        weights: { 'mlp0.weight': { shape: [1], data: new Float32Array(1) } },
      }),
    ).rejects.toMatchObject({ code: 'PROTEUS_MODELS_INVALID_WEIGHTS' });
  });
});
