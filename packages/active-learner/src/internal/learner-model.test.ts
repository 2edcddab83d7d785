import { createRng } from '@proteus-wf/core';
import { parseFlowBenchAdjacency } from '@proteus-wf/workflow-graph';
import { describe, expect, it } from 'vitest';
import { defineUpdateTerms } from '../update-terms.js';
import { ascend, createLearnerModel } from './learner-model.js';
import { defineGcn, defineSsl, type ModelDefinition, type RunBatch } from './model-definitions.js';

// A five-job diamond-with-tail DAG: a -> b, a -> c, b -> d, c -> d, d -> e.
const graph = parseFlowBenchAdjacency({ a: ['b', 'c'], b: ['d'], c: ['d'], d: ['e'], e: [] });
const FEATURES = 3;

function batch(runs: number, seed: number): RunBatch {
  const rng = createRng(seed);
  const x = new Float32Array(runs * graph.size * FEATURES).map(() => rng.float());
  const jobBinary = new Uint8Array(runs * graph.size).map((_, i) => ((x[i * FEATURES] as number) > 0.6 ? 1 : 0));
  return { x, runs, jobBinary };
}

const adamw = { kind: 'adamw' as const, lr: 1e-2, weightDecay: 1e-4, beta1: 0.9, beta2: 0.999, eps: 1e-8 };

async function learner(def: ModelDefinition, terms = defineUpdateTerms()) {
  return createLearnerModel(def, { terms, optimizer: adamw, weights: def.init(createRng(3)) });
}

describe('ascend', () => {
  it('moves each job by epsilon along its unit gradient and leaves zero-gradient jobs alone', () => {
    const out = ascend(Float32Array.of(1, 1, 5, 5), Float32Array.of(3, 4, 0, 0), 2, 0.5);
    expect(Array.from(out)).toEqual([1 + 0.3, 1 + 0.4, 5, 5].map((v) => Math.fround(v)));
  });
});

describe('createLearnerModel', () => {
  it.each([
    ['gcn', () => defineGcn(graph, { features: FEATURES, hidden: 8 })],
    ['ssl', () => defineSsl(graph, { features: FEATURES, hidden: 8 })],
  ])('lowers H on a fixed batch with all Eq. 6 terms (%s)', async (_name, make) => {
    const model = await learner(make());
    try {
      const p = batch(2, 1);
      const m = batch(4, 2);
      const rng = createRng(9);
      const first = await model.update(p, m, rng);
      let last = first;
      for (let i = 0; i < 40; i++) last = await model.update(p, m, rng);
      expect(last.newBatch + last.memory).toBeLessThan(first.newBatch + first.memory);
      expect(first.inputSensitivity).toBeGreaterThan(0);
      const analysis = await model.analyze(m);
      expect(analysis.score).toHaveLength(4 * graph.size);
      expect(analysis.gradientNorm.every((g) => Number.isFinite(g) && g >= 0)).toBe(true);
      expect(analysis.embedding).toHaveLength(4 * graph.size * 8);
    } finally {
      await model.release();
    }
  });

  it('reduces to term 1 when the inner step is zero: the finite-difference term and its gradient vanish', async () => {
    const def = defineGcn(graph, { features: FEATURES, hidden: 8 });
    const plain = await learner(def, defineUpdateTerms({ finiteDifference: false, inputSensitivity: false }));
    const zeroStep = await learner(
      def,
      defineUpdateTerms({ finiteDifference: { innerLr: 0 }, inputSensitivity: false }),
    );
    const withStep = await learner(
      def,
      defineUpdateTerms({ finiteDifference: { innerLr: 0.5 }, inputSensitivity: false }),
    );
    try {
      const p = batch(2, 4);
      const m = batch(3, 5);
      const a = await plain.update(p, m, createRng(1));
      const b = await zeroStep.update(p, m, createRng(1));
      const c = await withStep.update(p, m, createRng(1));
      expect(b.finiteDifference).toBe(0);
      expect(b.h).toBeCloseTo(a.h, 6);
      const wa = plain.saveState().weights['gcn0.weight']?.data as Float32Array;
      const wb = zeroStep.saveState().weights['gcn0.weight']?.data as Float32Array;
      const wc = withStep.saveState().weights['gcn0.weight']?.data as Float32Array;
      for (const [i, v] of wa.entries()) expect(wb[i]).toBeCloseTo(v, 6);
      expect(c.finiteDifference).not.toBe(0);
      expect(wc.some((v, i) => Math.abs(v - (wa[i] as number)) > 1e-6)).toBe(true);
    } finally {
      await Promise.all([plain.release(), zeroStep.release(), withStep.release()]);
    }
  });

  it('restores weights and optimizer state exactly', async () => {
    const def = defineGcn(graph, { features: FEATURES, hidden: 8 });
    const model = await learner(def);
    try {
      const p = batch(2, 6);
      await model.update(p, p, createRng(2));
      const saved = model.saveState();
      const next = await model.update(p, p, createRng(3));
      model.loadState(saved);
      const again = await model.update(p, p, createRng(3));
      expect(again).toEqual(next);
    } finally {
      await model.release();
    }
  });
});

describe('createLearnerModel with a task head', () => {
  it('graph level: one score and one class distribution per run, repeated for each job in the analysis', async () => {
    const model = await learner(defineGcn(graph, { features: FEATURES, hidden: 8, level: 'graph', classes: 3 }));
    try {
      const m = { ...batch(4, 2), classes: Int32Array.of(0, 1, 2, 1) };
      const rng = createRng(9);
      const first = await model.update(m, m, rng);
      let last = first;
      for (let i = 0; i < 40; i++) last = await model.update(m, m, rng);
      expect(last.newBatch).toBeLessThan(first.newBatch);
      const { score, classProbabilities } = await model.predict(m);
      expect(classProbabilities).toHaveLength(4 * 3);
      expect(score).toHaveLength(4 * graph.size);
      for (let r = 0; r < 4; r++) {
        const p = classProbabilities as Float32Array;
        expect((p[r * 3] as number) + (p[r * 3 + 1] as number) + (p[r * 3 + 2] as number)).toBeCloseTo(1, 5);
        expect(score[r * graph.size + 4]).toBeCloseTo(1 - (p[r * 3] as number), 5);
        expect(score[r * graph.size]).toBe(score[r * graph.size + 4]);
      }
      const analysis = await model.analyze(m);
      expect(analysis.probabilities).toHaveLength(4 * graph.size * 3);
      expect(analysis.gradientNorm).toHaveLength(4 * graph.size);
    } finally {
      await model.release();
    }
  });

  it('node level multiclass: a class distribution per job', async () => {
    const model = await learner(defineGcn(graph, { features: FEATURES, hidden: 8, classes: 4 }));
    try {
      const m = batch(2, 2);
      m.classes = Int32Array.from({ length: 2 * graph.size }, (_, i) => i % 4);
      const { classProbabilities } = await model.predict(m);
      expect(classProbabilities).toHaveLength(2 * graph.size * 4);
      const losses = await model.update(m, m, createRng(1));
      expect(Number.isFinite(losses.h)).toBe(true);
    } finally {
      await model.release();
    }
  });
});
