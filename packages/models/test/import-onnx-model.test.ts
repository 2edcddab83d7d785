import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gcnAdjacency, parseFlowBenchAdjacency, toDenseAdjacency } from '@proteus-wf/workflow-graph';
import { describe, expect, it } from 'vitest';
import { importOnnxModel } from '../src/import-onnx-model.js';

const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const reference = JSON.parse(readFileSync(fixture('torch-fixture.json'), 'utf8')) as {
  nodes: number;
  features: number;
  classes: number;
  batch: number;
  edges: Array<[number, number]>;
  dense: { x: number[]; adj: number[]; logits: number[] };
  edgeIndex: { x: number[]; logits: number[] };
};
const { nodes, features, classes, batch } = reference;
const sources = reference.edges.map(([s]) => s);
const targets = reference.edges.map(([, t]) => t);

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs((a[i] as number) - (b[i] as number)));
  return max;
};

describe('importOnnxModel', () => {
  it('runs a PyTorch dense GCN (x [B,N,F] + adj [N,N]) with the logits torch computed', async () => {
    await using model = await importOnnxModel(fixture('torch-gcn-dense.onnx'), { inputLayout: 'dense' });
    expect(model.inputNames).toEqual({ x: 'x', adjacency: 'adj' });
    const out = await model.run(
      Float32Array.from(reference.dense.x),
      { batch, nodes, features },
      {
        adjacency: Float32Array.from(reference.dense.adj),
      },
    );
    expect(out.dims).toEqual([batch, classes]);
    expect(maxAbsDiff(out.data, reference.dense.logits)).toBeLessThan(1e-5);
  });

  it('agrees with PyTorch on the GCN normalization: gcnAdjacency reproduces the adj torch was given', async () => {
    const json: Record<string, string[]> = {};
    for (let i = 0; i < nodes; i++) json[`job${i}`] = [];
    for (const [s, t] of reference.edges) (json[`job${s}`] as string[]).push(`job${t}`);
    const adjacency = toDenseAdjacency(gcnAdjacency(parseFlowBenchAdjacency(json)));
    expect(maxAbsDiff(adjacency, reference.dense.adj)).toBeLessThan(1e-7);
    await using model = await importOnnxModel(readFileSync(fixture('torch-gcn-dense.onnx')), { inputLayout: 'dense' });
    const out = await model.run(Float32Array.from(reference.dense.x), { batch, nodes, features }, { adjacency });
    expect(maxAbsDiff(out.data, reference.dense.logits)).toBeLessThan(1e-5);
  });

  it('runs a PyG-style GCN (x [N,F] + edge_index int64 [2,E]) and batches runs as a disjoint union', async () => {
    await using model = await importOnnxModel(fixture('torch-gcn-edge-index.onnx'), { inputLayout: 'edge-index' });
    expect(model.inputNames).toEqual({ x: 'x', edgeIndex: 'edge_index' });
    const one = await model.run(
      Float32Array.from(reference.edgeIndex.x),
      { batch: 1, nodes, features },
      { edges: { sources, targets } },
    );
    expect(one.dims).toEqual([1, nodes, classes]);
    expect(maxAbsDiff(one.data, reference.edgeIndex.logits)).toBeLessThan(1e-5);
    const twice = Float32Array.from([...reference.edgeIndex.x, ...reference.edgeIndex.x]);
    const two = await model.run(twice, { batch: 2, nodes, features }, { edges: { sources, targets } });
    expect(two.dims).toEqual([2, nodes, classes]);
    expect(maxAbsDiff(two.data, [...reference.edgeIndex.logits, ...reference.edgeIndex.logits])).toBeLessThan(1e-5);
  });

  it("runs PyG's graph-level export (x, edge_index, batch) with the logits torch computed, one row per run", async () => {
    const pyg = JSON.parse(readFileSync(fixture('torch-batch-fixture.json'), 'utf8')) as {
      nodes: number;
      features: number;
      classes: number;
      graphs: number;
      edges: Array<[number, number]>;
      x: number[];
      logits: number[];
    };
    await using model = await importOnnxModel(fixture('torch-gcn-batch.onnx'), { inputLayout: 'edge-index' });
    expect(model.inputNames).toEqual({ x: 'x', edgeIndex: 'edge_index', batch: 'batch' });
    const graph = { edges: { sources: pyg.edges.map(([s]) => s), targets: pyg.edges.map(([, t]) => t) } };
    const shape = { batch: pyg.graphs, nodes: pyg.nodes, features: pyg.features };
    const out = await model.run(Float32Array.from(pyg.x), shape, graph);
    expect(out.dims).toEqual([pyg.graphs, pyg.classes]);
    expect(maxAbsDiff(out.data, pyg.logits)).toBeLessThan(1e-5);
    // The second run alone is the second row: pooling follows the batch vector, not the whole input.
    const second = await model.run(
      Float32Array.from(pyg.x.slice(pyg.nodes * pyg.features)),
      { ...shape, batch: 1 },
      graph,
    );
    expect(maxAbsDiff(second.data, pyg.logits.slice(pyg.classes))).toBeLessThan(1e-5);
  });

  it('throws PROTEUS_MODELS_IMPORT_LAYOUT when the model does not fit the layout', async () => {
    await expect(importOnnxModel(fixture('torch-gcn-dense.onnx'), { inputLayout: 'edge-index' })).rejects.toMatchObject(
      {
        code: 'PROTEUS_MODELS_IMPORT_LAYOUT',
      },
    );
    await expect(
      importOnnxModel(fixture('torch-gcn-edge-index.onnx'), { inputLayout: 'edge-index', output: 'probabilities' }),
    ).rejects.toMatchObject({ code: 'PROTEUS_MODELS_IMPORT_LAYOUT' });
  });

  it('throws PROTEUS_MODELS_BAD_ONNX for bytes that are not ONNX and PROTEUS_MODELS_MODEL_NOT_FOUND for a missing file', async () => {
    await expect(
      importOnnxModel(new TextEncoder().encode('not a model'), { inputLayout: 'dense' }),
    ).rejects.toMatchObject({
      code: 'PROTEUS_MODELS_BAD_ONNX',
    });
    await expect(importOnnxModel(fixture('missing.onnx'), { inputLayout: 'dense' })).rejects.toMatchObject({
      code: 'PROTEUS_MODELS_MODEL_NOT_FOUND',
    });
  });

  it('throws PROTEUS_MODELS_INVALID_INPUT for features or graphs of the wrong size', async () => {
    await using model = await importOnnxModel(fixture('torch-gcn-dense.onnx'), { inputLayout: 'dense' });
    await expect(
      model.run(new Float32Array(5), { batch, nodes, features }, { adjacency: Float32Array.from(reference.dense.adj) }),
    ).rejects.toMatchObject({ code: 'PROTEUS_MODELS_INVALID_INPUT' });
    await expect(model.run(Float32Array.from(reference.dense.x), { batch, nodes, features }, {})).rejects.toMatchObject(
      {
        code: 'PROTEUS_MODELS_INVALID_INPUT',
      },
    );
  });
});
