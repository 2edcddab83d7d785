import { readFile } from 'node:fs/promises';
import { createRng } from '@proteus-wf/core';
import { createGraphBuilder, createSession, createTensor, runGraph, type Value } from '@proteus-wf/onnx-train';
import { gcnAdjacency, parseFlowBenchAdjacency, toDenseAdjacency } from '@proteus-wf/workflow-graph';
import { describe, expect, it } from 'vitest';
import { hasSharedDatasets, sharedDataset } from '../../../../tooling/test-utils/src/index.js';
import { appendModelForward, buildAggregation } from './model-graph.js';
import { defineModelSpec, initWeights, type ModelWeights, type ResolvedModelSpec, weightShapes } from './model-spec.js';
import { randomGcnAdjacency, referenceLogits } from './reference.test-helpers.js';
import { buildInferenceGraph } from './training-graph.js';

function randomData(seed: number, length: number): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length }, () => rng.normal());
}

async function run(bytes: Uint8Array, feeds: Record<string, Float32Array>, dims: Record<string, number[]>) {
  const session = await createSession(bytes);
  try {
    const tensors = Object.fromEntries(
      Object.entries(feeds).map(([name, data]) => [name, createTensor('float32', data, dims[name] ?? [])]),
    );
    const out = await runGraph(session, tensors);
    return Object.fromEntries(Object.entries(out).map(([name, t]) => [name, t.data as Float32Array]));
  } finally {
    await session.session.release();
  }
}

describe('buildAggregation', () => {
  it.skipIf(!hasSharedDatasets)(
    'computes A h over the 1000genome DAG, sparse and dense alike, like a float64 product',
    async () => {
      const graph = parseFlowBenchAdjacency(
        JSON.parse(await readFile(sharedDataset('flowbench/adjacency_list_dags/1000genome.json'), 'utf8')),
      );
      const n = graph.size;
      const adjacency = toDenseAdjacency(gcnAdjacency(graph));
      const [batch, width] = [3, 4];
      const h = randomData(1, n * batch * width);
      const g = createGraphBuilder({ name: 'aggregate' });
      const input = g.input('h', 'float32', [n, 'batch', width]);
      g.output(buildAggregation(g, adjacency, n)(input), 'sparse');
      g.output(buildAggregation(g, adjacency, n, { mode: 'dense' })(input), 'dense');
      const out = await run(g.toModel(), { h }, { h: [n, batch, width] });
      const row = batch * width;
      for (let i = 0; i < n; i++) {
        for (let k = 0; k < row; k++) {
          let expected = 0;
          for (let j = 0; j < n; j++) expected += (adjacency[i * n + j] as number) * (h[j * row + k] as number);
          expect(out.sparse?.[i * row + k]).toBeCloseTo(expected, 4);
          expect(out.dense?.[i * row + k]).toBeCloseTo(expected, 4);
        }
      }
    },
  );

  it('runs a GCN adjacency without per-edge weights and any other one with them, both like a float64 product', async () => {
    const n = 9;
    const gcn = randomGcnAdjacency(createRng(5), n);
    const skewed = gcn.map((w, k) => (w === 0 ? 0 : w * (1 + (k % 3) / 10)));
    const [batch, width] = [2, 3];
    const h = randomData(2, n * batch * width);
    const row = batch * width;
    for (const [adjacency, edgeMuls] of [
      [gcn, 0],
      [skewed, 1],
    ] as const) {
      const g = createGraphBuilder({ name: 'aggregate' });
      const input = g.input('h', 'float32', [n, batch, width]);
      const before = g.nodes.length;
      g.output(buildAggregation(g, adjacency, n)(input), 'y');
      const nodes = g.nodes.slice(before);
      expect(nodes.filter((node) => node.op === 'ScatterND')).toHaveLength(1);
      expect(nodes.map((node) => node.op)).not.toContain('Expand');
      const perEdge = nodes.filter((node) => node.op === 'Mul' && node.outputs[0]?.shape[0] !== n);
      expect(perEdge).toHaveLength(edgeMuls);
      const out = await run(g.toModel(), { h }, { h: [n, batch, width] });
      for (let i = 0; i < n; i++) {
        for (let k = 0; k < row; k++) {
          let expected = 0;
          for (let j = 0; j < n; j++) expected += (adjacency[i * n + j] as number) * (h[j * row + k] as number);
          expect(out.y?.[i * row + k]).toBeCloseTo(expected, 5);
        }
      }
    }
  });

  it('returns zeros for a graph without edges', async () => {
    const g = createGraphBuilder();
    g.output(buildAggregation(g, new Float32Array(4), 2)(g.input('h', 'float32', [2, 3])), 'y');
    const out = await run(g.toModel(), { h: Float32Array.of(1, 2, 3, 4, 5, 6) }, { h: [2, 3] });
    expect(Array.from(out.y ?? [])).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('throws PROTEUS_MODELS_GRAPH_INVALID when the adjacency does not hold nodes * nodes values', () => {
    expect(() => buildAggregation(createGraphBuilder(), new Float32Array(5), 2)).toThrow(
      expect.objectContaining({ code: 'PROTEUS_MODELS_GRAPH_INVALID' }),
    );
  });
});

describe('appendModelForward', () => {
  const N = 7;
  const F = 3;
  const node = defineModelSpec({
    kind: 'gcn',
    level: 'node',
    nodes: N,
    features: F,
    classes: 2,
    hidden: 6,
    adjacency: randomGcnAdjacency(createRng(4), N),
  });

  function weightInputs(spec: ResolvedModelSpec, g: ReturnType<typeof createGraphBuilder>, prefix: string) {
    const values: Record<string, Value> = {};
    for (const [name, shape] of weightShapes(spec)) values[name] = g.input(`${prefix}${name}`, 'float32', shape);
    return values;
  }

  function weightFeeds(weights: ModelWeights, prefix: string) {
    const feeds: Record<string, Float32Array> = {};
    const dims: Record<string, number[]> = {};
    for (const [name, w] of Object.entries(weights)) {
      feeds[`${prefix}${name}`] = w.data;
      dims[`${prefix}${name}`] = w.shape;
    }
    return { feeds, dims };
  }

  it('reads any x and weight values and gives the logits of buildInferenceGraph, twice in one graph', async () => {
    const a = initWeights(node, createRng(1));
    const b = initWeights(node, createRng(2));
    const g = createGraphBuilder({ name: 'two-forwards' });
    const first = appendModelForward(g, node, weightInputs(node, g, 'a.'), g.input('a.x', 'float32', ['runs', N, F]));
    const second = appendModelForward(g, node, weightInputs(node, g, 'b.'), g.input('b.x', 'float32', ['n', N, F]));
    g.output(first.logits, 'a.logits');
    g.output(second.logits, 'b.logits');
    g.output(g.transpose(first.embedding, [1, 0, 2]), 'a.embedding');
    const xa = randomData(5, 2 * N * F);
    const xb = randomData(6, N * F);
    const out = await run(
      g.toModel(),
      { ...weightFeeds(a, 'a.').feeds, ...weightFeeds(b, 'b.').feeds, 'a.x': xa, 'b.x': xb },
      { ...weightFeeds(a, 'a.').dims, ...weightFeeds(b, 'b.').dims, 'a.x': [2, N, F], 'b.x': [1, N, F] },
    );
    const reference = await run(buildInferenceGraph(node, a), { x: xa }, { x: [2, N, F] });
    expect(Array.from(out['a.logits'] ?? [])).toEqual(Array.from(reference.logits ?? []));
    const expected = referenceLogits(node, b, xb).flat();
    expect(out['b.logits']).toHaveLength(expected.length);
    expected.forEach((v, i) => {
      expect(out['b.logits']?.[i]).toBeCloseTo(v, 5);
    });
    expect(out['a.embedding']).toHaveLength(2 * N * node.hidden);
  });

  it('throws PROTEUS_MODELS_GRAPH_INVALID for an x of the wrong shape or a missing weight', () => {
    const g = createGraphBuilder();
    const weights = weightInputs(node, g, '');
    expect(() => appendModelForward(g, node, weights, g.input('x', 'float32', ['batch', N, F + 1]))).toThrow(
      expect.objectContaining({ code: 'PROTEUS_MODELS_GRAPH_INVALID' }),
    );
    const { 'mlp1.bias': _, ...partial } = weights;
    expect(() => appendModelForward(g, node, partial, g.input('x2', 'float32', ['batch', N, F]))).toThrow(
      expect.objectContaining({ code: 'PROTEUS_MODELS_GRAPH_INVALID' }),
    );
  });
});
