import { createRng } from '@proteus-wf/core';
import { createSession, createTensor, resolveOptimizer, runGraph, type Tensor } from '@proteus-wf/onnx-train';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { buildUncertaintyGraph } from '../uncertainty/uncertainty-graph.js';
import { buildSslInferenceGraph, buildSslTrainingGraph } from './ssl-graph.js';
import { defineSslSpec, initSslWeights, type SslSpec, sslWeightShapes } from './ssl-spec.js';
import { createSslTrainer } from './ssl-trainer.js';

const N = 5;
const F = 3;

// 0 -> 1, 0 -> 2, {1,2} -> 3, 3 -> 4, mean over parents.
function chainAdjacency(): Float32Array {
  const a = new Float32Array(N * N);
  a[1 * N + 0] = 1;
  a[2 * N + 0] = 1;
  a[3 * N + 1] = 0.5;
  a[3 * N + 2] = 0.5;
  a[4 * N + 3] = 1;
  return a;
}

function tinySpec(extra: Partial<SslSpec> = {}): SslSpec {
  return {
    nodes: N,
    features: F,
    adjacency: chainAdjacency(),
    hidden: 4,
    groups: 2,
    categories: 3,
    dropout: 0,
    ...extra,
  };
}

// Per-job input statistics with std away from 1, so a graph that dropped them would fail the checks.
function normalization(): { mean: Float32Array; std: Float32Array } {
  return {
    mean: Float32Array.from({ length: N * F }, (_, i) => 0.1 * (i % 4)),
    std: Float32Array.from({ length: N * F }, (_, i) => 0.4 + 0.3 * (i % 3)),
  };
}

function randomArray(seed: number, length: number, scale = 1): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length }, () => rng.normal() * scale);
}

describe('buildSslTrainingGraph', () => {
  for (const [aggregation, normalized, selfInput] of [
    ['sparse', false, true],
    ['dense', false, true],
    ['sparse', true, true],
    ['dense', true, false],
  ] as const) {
    it(`has weight gradients that match central finite differences of its loss (${aggregation}${normalized ? ', per-job inputs' : ''}${selfInput ? '' : ', no self input'})`, async () => {
      const spec = defineSslSpec(
        tinySpec({ aggregation, selfInput, ...(normalized ? { inputNormalization: normalization() } : {}) }),
      );
      // SGD with lr 1: w.next = w - dL/dw, so the graph's own gradient is w - w.next.
      const graph = buildSslTrainingGraph(spec, resolveOptimizer({ kind: 'sgd', lr: 1 }));
      const session = await ort.InferenceSession.create(graph.bytes);
      const weights = initSslWeights(spec, createRng(4));
      const runs = 2;
      const x = randomArray(1, runs * N * F);
      const xAugmented = Float32Array.from(x, (v, i) => (i % 7 === 0 ? v * 10 : v));
      const augmented = Float32Array.from({ length: runs * N }, (_, i) => (i % 3 === 0 ? 1 : 0));
      // Uneven job weights (one job left out) exercise the weighted reconstruction mean.
      const jobWeight = Float32Array.from({ length: runs * N }, (_, i) => (i === 2 ? 0 : 1 + (i % 2)));
      const noiseRng = createRng(2);
      const noise = Float32Array.from(
        { length: N * runs * spec.groups * spec.categories },
        () => 0.05 + 0.9 * noiseRng.float(),
      );
      const feeds = (w: typeof weights): Record<string, ort.Tensor> => {
        const out: Record<string, ort.Tensor> = {
          x: new ort.Tensor('float32', x, [runs, N, F]),
          xAugmented: new ort.Tensor('float32', xAugmented, [runs, N, F]),
          augmented: new ort.Tensor('float32', augmented, [runs, N]),
          jobWeight: new ort.Tensor('float32', jobWeight, [runs, N]),
          noise: new ort.Tensor('float32', noise, [N, runs, spec.groups, spec.categories]),
          temperature: new ort.Tensor('float32', new Float32Array([0.7]), []),
          step: new ort.Tensor('float32', new Float32Array([1]), []),
          lr: new ort.Tensor('float32', new Float32Array([1]), []),
        };
        for (const [name, shape] of sslWeightShapes(spec))
          out[name] = new ort.Tensor('float32', (w[name] as { data: Float32Array }).data, shape);
        return out;
      };
      const base = await session.run(feeds(weights));
      const lossAt = async (name: string, index: number, delta: number): Promise<number> => {
        const copy = structuredClone(weights);
        const data = (copy[name] as { data: Float32Array }).data;
        data[index] = (data[index] as number) + delta;
        return (await session.run(feeds(copy))).loss?.data[0] as number;
      };
      let checked = 0;
      for (const [name] of sslWeightShapes(spec)) {
        const w = weights[name] as { data: Float32Array };
        const next = base[`${name}.next`]?.data as Float32Array;
        for (const index of [0, w.data.length - 1]) {
          const analytic = (w.data[index] as number) - (next[index] as number);
          const h = 1e-3;
          const numeric = ((await lossAt(name, index, h)) - (await lossAt(name, index, -h))) / (2 * h);
          expect(Math.abs(analytic - numeric)).toBeLessThan(2e-3 + 0.05 * Math.abs(numeric));
          checked++;
        }
      }
      expect(checked).toBe(selfInput ? 24 : 22);
      await session.release();
    });
  }
});

describe('buildUncertaintyGraph (ssl)', () => {
  it.each([
    ['raw inputs', false],
    ['per-job standardized inputs', true],
  ])(
    'returns d(sum of reconstruction errors)/dx that matches finite differences of the scoring graph (%s)',
    async (_, normalized) => {
      const spec = defineSslSpec(tinySpec(normalized ? { inputNormalization: normalization() } : {}));
      const weights = initSslWeights(spec, createRng(8));
      const scoring = await ort.InferenceSession.create(buildSslInferenceGraph(spec, { weights, temperature: 0.5 }));
      const uncertainty = await ort.InferenceSession.create(
        buildUncertaintyGraph({ kind: 'ssl', spec, weights, temperature: 0.5 }),
      );
      const x = randomArray(3, N * F);
      const total = async (input: Float32Array) => {
        const scores = (await scoring.run({ x: new ort.Tensor('float32', input, [1, N, F]) })).scores
          ?.data as Float32Array;
        return scores.reduce((s, v) => s + v, 0);
      };
      const out = await uncertainty.run({ x: new ort.Tensor('float32', x, [1, N, F]) });
      const gradient = out.gradient?.data as Float32Array;
      for (let i = 0; i < x.length; i++) {
        const h = 5e-3;
        const plus = Float32Array.from(x);
        const minus = Float32Array.from(x);
        plus[i] = (plus[i] as number) + h;
        minus[i] = (minus[i] as number) - h;
        const numeric = ((await total(plus)) - (await total(minus))) / (2 * h);
        expect(Math.abs((gradient[i] as number) - numeric)).toBeLessThan(2e-3 + 0.05 * Math.abs(numeric));
      }
      const norms = out.gradientNorm?.data as Float32Array;
      for (let job = 0; job < N; job++) {
        const g = gradient.subarray(job * F, (job + 1) * F);
        expect(norms[job]).toBeCloseTo(Math.hypot(...g), 5);
      }
      await Promise.all([scoring.release(), uncertainty.release()]);
    },
  );
});

describe('createSslTrainer', () => {
  it('lowers the loss, is deterministic per seed, and scores like its exported model', async () => {
    const x = Float32Array.from(randomArray(5, 8 * N * F), (v) => Math.abs(v) * 0.3);
    const run = async () => {
      await using trainer = await createSslTrainer({
        model: tinySpec({ dropout: 0.5 }),
        seed: 3,
        optimizer: { kind: 'adam', lr: 1e-2 },
      });
      const losses: number[] = [];
      for (let i = 0; i < 40; i++) losses.push((await trainer.step(x, { temperature: 1 })).loss);
      const scores = await trainer.score(x, { temperature: 0.5 });
      const exported = await ort.InferenceSession.create(trainer.exportInferenceModel({ temperature: 0.5 }));
      const fromExport = (await exported.run({ x: new ort.Tensor('float32', x, [8, N, F]) })).scores
        ?.data as Float32Array;
      await exported.release();
      return { losses, scores, fromExport };
    };
    const first = await run();
    const second = await run();
    expect(first.losses).toEqual(second.losses);
    expect(first.scores).toEqual(second.scores);
    expect(Array.from(first.fromExport)).toEqual(Array.from(first.scores));
    const mean = (v: number[]) => v.reduce((s, a) => s + a, 0) / v.length;
    expect(mean(first.losses.slice(-5))).toBeLessThan(mean(first.losses.slice(0, 5)));
    expect(first.scores.every((s) => Number.isFinite(s) && s >= 0)).toBe(true);
  });

  it('throws PROTEUS_MODELS_INVALID_INPUT for x or jobWeight of the wrong length', async () => {
    await using trainer = await createSslTrainer({ model: tinySpec(), seed: 1 });
    const x = new Float32Array(2 * N * F).fill(0.5);
    await expect(trainer.step(x, { temperature: 1, jobWeight: new Float32Array(N) })).rejects.toMatchObject({
      code: 'PROTEUS_MODELS_INVALID_INPUT',
    });
    await expect(trainer.step(new Float32Array(7), { temperature: 1 })).rejects.toMatchObject({
      code: 'PROTEUS_MODELS_INVALID_INPUT',
    });
    await expect(trainer.score(new Float32Array(N * F), { temperature: 0 })).rejects.toMatchObject({
      code: 'PROTEUS_MODELS_INVALID_INPUT',
    });
  });
});

describe('buildSslInferenceGraph without self input', () => {
  it("rebuilds each job from its ancestors only: a job's own features never change its reconstruction", async () => {
    const spec = defineSslSpec(tinySpec({ selfInput: false }));
    const weights = initSslWeights(spec, createRng(8));
    const session = await createSession(buildSslInferenceGraph(spec, { weights, temperature: 0.5 }));
    const x = randomArray(31, N * F);
    const reconstructionOf = async (input: Float32Array) =>
      (await runGraph(session, { x: createTensor('float32', input, [1, N, F]) })).reconstruction?.data as Float32Array;
    const base = await reconstructionOf(x);
    // Job 3 (parents 1 and 2, child 4): its own row and its descendant's change, its ancestors' never do.
    const changed = await reconstructionOf(Float32Array.from(x, (v, i) => (Math.floor(i / F) === 3 ? v + 5 : v)));
    const moved = (job: number) =>
      Math.max(
        ...Array.from({ length: F }, (_, f) =>
          Math.abs((changed[job * F + f] as number) - (base[job * F + f] as number)),
        ),
      );
    for (const job of [0, 1, 2, 3]) expect(moved(job)).toBe(0);
    expect(moved(4)).toBeGreaterThan(1e-4);
    await session.session.release();
  });
});

describe('defineSslSpec', () => {
  it('fills the reference defaults and throws PROTEUS_MODELS_INVALID_SPEC for a bad adjacency or dropout', () => {
    const spec = defineSslSpec({ nodes: N, features: F, adjacency: chainAdjacency() });
    expect([spec.hidden, spec.groups, spec.categories, spec.dropout, spec.eta, spec.margin]).toEqual([
      64, 2, 10, 0.5, 0.5, 0.5,
    ]);
    expect(() => defineSslSpec({ nodes: N, features: F, adjacency: new Float32Array(3) })).toThrow(
      expect.objectContaining({ code: 'PROTEUS_MODELS_INVALID_SPEC' }),
    );
    expect(() => defineSslSpec(tinySpec({ dropout: 1 }))).toThrow(
      expect.objectContaining({ code: 'PROTEUS_MODELS_INVALID_SPEC' }),
    );
    expect(() => defineSslSpec(tinySpec({ selfInput: 'no' as unknown as boolean }))).toThrow(
      expect.objectContaining({ code: 'PROTEUS_MODELS_INVALID_SPEC' }),
    );
    expect(sslWeightShapes(defineSslSpec(tinySpec({ selfInput: false }))).map(([name]) => name)).not.toContain(
      'enc0.root.weight',
    );
    const zeroStd = { mean: new Float32Array(N * F), std: new Float32Array(N * F) };
    expect(() => defineSslSpec(tinySpec({ inputNormalization: zeroStd }))).toThrow(
      expect.objectContaining({ code: 'PROTEUS_MODELS_INVALID_SPEC' }),
    );
  });
});

// An independent float64 implementation of the SSL loss (ml.md §3.2-3.6, written from the formulas, not the graph).
type Matrix = number[][];
function sslLossReference(
  spec: ReturnType<typeof defineSslSpec>,
  weights: ReturnType<typeof initSslWeights>,
  inputs: {
    runs: number;
    x: Float32Array;
    xAugmented: Float32Array;
    augmented: Float32Array;
    jobWeight: Float32Array;
    noise: Float32Array;
    temperature: number;
  },
): { loss: number; reconstructionLoss: number; contrastLoss: number } {
  const { groups: G, categories: K } = spec;
  const matrix = (name: string): Matrix => {
    const w = weights[name] as { shape: number[]; data: Float32Array };
    const [rows, cols] = w.shape as [number, number];
    return Array.from({ length: rows }, (_, r) => Array.from(w.data.subarray(r * cols, (r + 1) * cols), Number));
  };
  const times = (h: Matrix, w: Matrix): Matrix =>
    h.map((row) =>
      (w[0] as number[]).map((_, c) => row.reduce((s, v, k) => s + v * ((w[k] as number[])[c] as number), 0)),
    );
  const sage = (h: Matrix, layer: string): Matrix => {
    const mean = h.map((_, i) =>
      (h[0] as number[]).map((_, c) =>
        h.reduce((s, row, j) => s + (spec.adjacency[i * N + j] as number) * (row[c] as number), 0),
      ),
    );
    const bias = Array.from((weights[`${layer}.bias`] as { data: Float32Array }).data, Number);
    const neighbor = times(mean, matrix(`${layer}.neighbor.weight`));
    // Without self input the first encoder layer has no root term: a job sees only its neighbours.
    const root = weights[`${layer}.root.weight`] ? times(h, matrix(`${layer}.root.weight`)) : null;
    return neighbor.map((row, i) =>
      row.map((v, c) => v + (bias[c] as number) + (root ? ((root[i] as number[])[c] as number) : 0)),
    );
  };
  const relu = (h: Matrix) => h.map((row) => row.map((v) => Math.max(0, v)));
  const logSoftmaxGroups = (row: number[]): number[] => {
    const out: number[] = [];
    for (let g = 0; g < G; g++) {
      const part = row.slice(g * K, (g + 1) * K);
      const max = Math.max(...part);
      const logSum = max + Math.log(part.reduce((s, v) => s + Math.exp(v - max), 0));
      out.push(...part.map((v) => v - logSum));
    }
    return out;
  };
  const view = (data: Float32Array, run: number): Matrix =>
    Array.from({ length: N }, (_, i) =>
      Array.from({ length: F }, (_, f) => {
        const v = data[(run * N + i) * F + f] as number;
        const norm = spec.inputNormalization;
        return norm ? (v - (norm.mean[i * F + f] as number)) / (norm.std[i * F + f] as number) : v;
      }),
    );
  const encode = (h: Matrix): Matrix => sage(relu(sage(h, 'enc0')), 'enc1').map(logSoftmaxGroups);
  let weighted = 0;
  let weightSum = 0;
  let contrast = 0;
  for (let run = 0; run < inputs.runs; run++) {
    const clean = view(inputs.x, run);
    const logP = encode(clean);
    const logPAugmented = encode(view(inputs.xAugmented, run));
    const decoded = spec.denoise ? logPAugmented : logP;
    const sample = decoded.map((row, i) => {
      const out: number[] = [];
      for (let g = 0; g < G; g++) {
        const z = Array.from({ length: K }, (_, k) => {
          const u = inputs.noise[((i * inputs.runs + run) * G + g) * K + k] as number;
          return ((row[g * K + k] as number) - Math.log(-Math.log(u))) / inputs.temperature;
        });
        const max = Math.max(...z);
        const e = z.map((v) => Math.exp(v - max));
        const sum = e.reduce((s, v) => s + v, 0);
        out.push(...e.map((v) => v / sum));
      }
      return out;
    });
    const reconstruction = sage(relu(sage(sample, 'dec0')), 'dec1');
    for (let i = 0; i < N; i++) {
      const error = Math.sqrt(
        (clean[i] as number[]).reduce((s, v, f) => s + (v - ((reconstruction[i] as number[])[f] as number)) ** 2, 0) +
          1e-12,
      );
      const w = inputs.jobWeight[run * N + i] as number;
      weighted += w * error;
      weightSum += w;
      const distance = Math.sqrt(
        (logP[i] as number[]).reduce(
          (s, v, k) => s + (Math.exp(v) - Math.exp((logPAugmented[i] as number[])[k] as number)) ** 2,
          0,
        ) + 1e-12,
      );
      const a = inputs.augmented[run * N + i] as number;
      contrast += a * Math.max(0, spec.margin - distance) + (1 - a) * distance;
    }
  }
  const reconstructionLoss = weighted / (weightSum + 1e-12);
  const contrastLoss = contrast / (inputs.runs * N);
  return { loss: spec.eta * reconstructionLoss + (1 - spec.eta) * contrastLoss, reconstructionLoss, contrastLoss };
}

describe('buildSslTrainingGraph loss terms', () => {
  it.each([
    ['defaults', {}],
    [
      'eta 0.3, margin 0.8, denoising, per-job inputs',
      { eta: 0.3, margin: 0.8, denoise: true, inputNormalization: normalization() },
    ],
    ['no self input, per-job inputs', { selfInput: false, inputNormalization: normalization() }],
  ] as const)('equal an independent float64 computation (%s)', async (_, extra) => {
    const spec = defineSslSpec(tinySpec({ ...extra }));
    const session = await createSession(buildSslTrainingGraph(spec, resolveOptimizer({ kind: 'sgd', lr: 1 })).bytes);
    const weights = initSslWeights(spec, createRng(6));
    const runs = 2;
    const x = randomArray(21, runs * N * F);
    const inputs = {
      runs,
      x,
      // Large perturbations on some jobs put both branches of the margin term (inside and beyond the margin) in play.
      xAugmented: Float32Array.from(x, (v, i) => (i % 4 === 0 ? v * 6 + 1 : v)),
      augmented: Float32Array.from({ length: runs * N }, (_, i) => (i % 3 === 0 ? 1 : 0)),
      jobWeight: Float32Array.from({ length: runs * N }, (_, i) => (i === 3 ? 0 : 1 + (i % 3))),
      noise: Float32Array.from(
        { length: N * runs * spec.groups * spec.categories },
        (_, i) => 0.05 + 0.9 * ((i * 0.6180339887) % 1),
      ),
      temperature: 0.6,
    };
    const feeds: Record<string, Tensor> = {
      x: createTensor('float32', inputs.x, [runs, N, F]),
      xAugmented: createTensor('float32', inputs.xAugmented, [runs, N, F]),
      augmented: createTensor('float32', inputs.augmented, [runs, N]),
      jobWeight: createTensor('float32', inputs.jobWeight, [runs, N]),
      noise: createTensor('float32', inputs.noise, [N, runs, spec.groups, spec.categories]),
      temperature: createTensor('float32', Float32Array.of(inputs.temperature), []),
      step: createTensor('float32', Float32Array.of(1), []),
      lr: createTensor('float32', Float32Array.of(1), []),
    };
    for (const [name, shape] of sslWeightShapes(spec)) {
      feeds[name] = createTensor('float32', (weights[name] as { data: Float32Array }).data, shape);
    }
    const out = await runGraph(session, feeds);
    await session.session.release();
    const expected = sslLossReference(spec, weights, inputs);
    expect(expected.contrastLoss).toBeGreaterThan(0);
    for (const term of ['loss', 'reconstructionLoss', 'contrastLoss'] as const) {
      const actual = out[term]?.data[0] as number;
      expect(Math.abs(actual - expected[term]), `${term}: graph ${actual}, reference ${expected[term]}`).toBeLessThan(
        1e-5 * (1 + Math.abs(expected[term])),
      );
    }
  });
});
