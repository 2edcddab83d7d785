import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  applyJobTypeScaler,
  applyScaler,
  extractFeatures,
  type FeatureSet,
  fitJobTypeScaler,
  loadFlowBench,
  splitByRun,
} from '@proteus-wf/features';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTempDir, hasSharedDatasets, sharedDataset } from '../../../tooling/test-utils/src/index.js';
import { type LoadedClassifier, loadModel } from '../src/load-model.js';
import type { ModelMetadata } from '../src/model-metadata.js';
import { MODEL_FILES, saveModel } from '../src/save-model.js';
import { scoreJobs } from '../src/score-jobs.js';
import { type TrainResult, train } from '../src/train.js';
import { uncertaintyScores } from '../src/uncertainty/uncertainty-scores.js';

const nowcast = (jobs: 8 | 16) => sharedDataset(`exogeni-2020/nowcast_clustering_${jobs}.zip`);

/**
 * PyTorch Geometric's `gcn_norm` over `adjacency` (`{ parent: [children] }`), written out here without Proteus code:
 * messages parent -> child plus a self loop per job, weight 1/sqrt(deg(source) deg(target)) with deg the in-degree
 * counting the self loop; `names` gives the node order.
 */
function gcnNorm(adjacency: Record<string, string[]>, names: string[]): { index: BigInt64Array; weight: Float32Array } {
  const node = new Map(names.map((name, i) => [name, i]));
  const pairs: Array<[number, number]> = names.map((_, i) => [i, i]);
  for (const [parent, children] of Object.entries(adjacency)) {
    for (const child of children) pairs.push([node.get(parent) as number, node.get(child) as number]);
  }
  const degree = new Array<number>(names.length).fill(0);
  for (const [, target] of pairs) degree[target] = (degree[target] as number) + 1;
  const index = new BigInt64Array(2 * pairs.length);
  const weight = new Float32Array(pairs.length);
  pairs.forEach(([source, target], e) => {
    index[e] = BigInt(source);
    index[pairs.length + e] = BigInt(target);
    weight[e] = 1 / Math.sqrt((degree[source] as number) * (degree[target] as number));
  });
  return { index, weight };
}

/** Min-max scaling as the sidecar's `scaler` says, written out here. */
function scaleBySidecar(features: FeatureSet, metadata: ModelMetadata, runs: number): Float32Array {
  const width = features.featureNames.length;
  const x = new Float32Array(runs * features.jobsPerRun * width);
  for (let i = 0; i < x.length; i++) {
    const f = i % width;
    const divisor = metadata.scaler.divisor[f] as number;
    x[i] = divisor === 0 ? 0 : ((features.values[i] as number) - (metadata.scaler.offset[f] as number)) / divisor;
  }
  return x;
}

describe.skipIf(!hasSharedDatasets)('saved GCN/MLP models: one model.onnx for every instance of a workflow', () => {
  let temp: { path: string; dispose: () => Promise<void> };
  let eight: FeatureSet;
  let sixteen: FeatureSet;
  let gcn: TrainResult;

  beforeAll(async () => {
    temp = await createTempDir();
    eight = extractFeatures(await loadFlowBench(nowcast(8)), { pipeline: 'works22' });
    sixteen = extractFeatures(await loadFlowBench(nowcast(16)), { pipeline: 'works22' });
    gcn = await train(eight, { task: 'node', seed: 0, epochs: 3 });
  }, 300_000);
  afterAll(async () => temp.dispose());

  it('scores DAGs of 13 and 9 jobs through plain onnxruntime (symbolic node dim, PyG edge inputs) as loadModel does', async () => {
    const dir = join(temp.path, 'gcn');
    await saveModel(gcn.model, dir);
    const metadata = JSON.parse(await readFile(join(dir, MODEL_FILES.metadata), 'utf8')) as ModelMetadata;
    expect(metadata.formatVersion).toBe(2);
    const session = await ort.InferenceSession.create(join(dir, MODEL_FILES.onnx));
    try {
      const sixteenAdjacency = JSON.parse(
        await readFile(sharedDataset('exogeni-2020/adjacency_list_dags/nowcast_clustering_16.json'), 'utf8'),
      ) as Record<string, string[]>;
      const cases: Array<[FeatureSet, Record<string, string[]>]> = [
        [eight, metadata.adjacency],
        [sixteen, sixteenAdjacency],
      ];
      for (const [features, adjacency] of cases) {
        const runs = 5;
        const n = features.jobsPerRun;
        // create_dir / cleanup jobs carry a run timestamp: match names cut at the first '-' (datasets README).
        const cut = (name: string) => name.replace(/-.*$/, '');
        const cutAdjacency = Object.fromEntries(
          Object.entries(adjacency).map(([parent, children]) => [cut(parent), children.map(cut)]),
        );
        const edges = gcnNorm(cutAdjacency, features.graph.jobNames().map(cut));
        const width = features.featureNames.length;
        const output = await session.run({
          x: new ort.Tensor('float32', scaleBySidecar(features, metadata, runs), [runs, n, width]),
          edge_index: new ort.Tensor('int64', edges.index, [2, edges.weight.length]),
          edge_weight: new ort.Tensor('float32', edges.weight, [edges.weight.length]),
        });
        const probabilities = output.probabilities as ort.Tensor;
        expect(probabilities.dims).toEqual([runs, n, 2]);
        await using model = await loadModel(dir, { graph: features.graph });
        const expected = await scoreJobs(model, features);
        const data = probabilities.data as Float32Array;
        for (let i = 0; i < runs * n; i++) {
          expect(1 - (data[2 * i] as number)).toBeCloseTo(expected.scores[i] as number, 5);
        }
      }
    } finally {
      await session.release();
    }
  });

  it('scores its own DAG from the saved portable graph as the trained fixed-size graph does', async () => {
    const dir = join(temp.path, 'gcn-own');
    await saveModel(gcn.model, dir);
    await using trained = await loadModel(gcn.model);
    await using saved = await loadModel(dir);
    expect((saved.metadata as ModelMetadata).onnx.portable).toEqual({
      nodes: 'nodes',
      edgeIndex: 'edge_index',
      edgeWeight: 'edge_weight',
    });
    expect(trained.metadata.onnx.portable).toBeUndefined();
    const a = await scoreJobs(trained, eight);
    const b = await scoreJobs(saved, eight);
    for (let i = 0; i < a.scores.length; i += 97) expect(b.scores[i]).toBeCloseTo(a.scores[i] as number, 5);
    // The uncertainty graphs read the weights back out of either form.
    const few = { ...eight, runs: eight.runs.slice(0, 4), values: eight.values.subarray(0, 4 * 13 * 24) };
    const fromSaved = await uncertaintyScores(dir, { ...few, jobLabels: eight.jobLabels.slice(0, 4 * 13) });
    const fromTrained = await uncertaintyScores(gcn.model, { ...few, jobLabels: eight.jobLabels.slice(0, 4 * 13) });
    for (let i = 0; i < fromSaved.gradientNorm.length; i++) {
      expect(fromSaved.gradientNorm[i]).toBeCloseTo(fromTrained.gradientNorm[i] as number, 5);
    }
  });

  it("gives graph-level GCN and MLP models (mean pooling over a symbolic node dim) the trained graph's probabilities", async () => {
    for (const model of ['gcn', 'mlp'] as const) {
      const result = await train(eight, { model, task: 'graph', seed: 0, epochs: 1, undirected: model === 'gcn' });
      const dir = join(temp.path, `graph-${model}`);
      await saveModel(result.model, dir);
      await using trained = await loadModel(result.model);
      await using saved = await loadModel(dir);
      const runs = 6;
      const x = scaleBySidecar(eight, result.model.metadata, runs);
      const p = await (trained as LoadedClassifier).predict(x, runs);
      const q = await (saved as LoadedClassifier).predict(x, runs);
      expect(q.length).toBe(runs * 2);
      for (let i = 0; i < p.length; i++) expect(q[i]).toBeCloseTo(p[i] as number, 5);
    }
  });

  it('still loads a version-1 folder (fixed node count) and refuses a sidecar from a newer format', async () => {
    const dir = join(temp.path, 'v1');
    const { mkdir } = await import('node:fs/promises');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, MODEL_FILES.onnx), gcn.model.onnx);
    const v1 = {
      ...gcn.model.metadata,
      formatVersion: 1,
      onnx: { ...gcn.model.metadata.onnx, file: MODEL_FILES.onnx },
    };
    await writeFile(join(dir, MODEL_FILES.metadata), JSON.stringify(v1));
    await using old = await loadModel(dir);
    await using moved = await loadModel(dir, { graph: sixteen.graph });
    await using trained = await loadModel(gcn.model, { graph: sixteen.graph });
    expect(old.metadata.jobs).toBe(13);
    expect((moved.metadata as ModelMetadata).onnx.portable?.edgeIndex).toBe('edge_index');
    const a = await scoreJobs(moved, sixteen);
    const b = await scoreJobs(trained, sixteen);
    for (let i = 0; i < a.scores.length; i += 53) expect(a.scores[i]).toBeCloseTo(b.scores[i] as number, 6);
    await writeFile(join(dir, MODEL_FILES.metadata), JSON.stringify({ ...v1, formatVersion: 3 }));
    await expect(loadModel(dir)).rejects.toMatchObject({ code: 'PROTEUS_MODELS_BAD_METADATA' });
  });

  it("stores normalization: 'job-type' with its per-type statistics, and applies them after save/load and on another instance", async () => {
    const split = splitByRun(eight, { seed: 0 });
    const result = await train(eight, { model: 'mlp', task: 'node', seed: 0, epochs: 2, normalization: 'job-type' });
    const stored = result.model.metadata.normalization;
    expect(stored).toEqual({ kind: 'job-type', scaler: fitJobTypeScaler(eight, { runs: split.train }) });
    const dir = join(temp.path, 'job-type');
    await saveModel(result.model, dir);
    await using loaded = await loadModel(dir);
    expect((loaded.metadata as ModelMetadata).normalization).toEqual(stored);
    await using trained = await loadModel(result.model);
    const a = await scoreJobs(trained, eight);
    const b = await scoreJobs(loaded, eight);
    for (let i = 0; i < a.scores.length; i += 89) expect(b.scores[i]).toBeCloseTo(a.scores[i] as number, 5);
    // On the other instance each job reads its type's statistics from the small one's training runs, then the
    // model's min-max scaler: a node-level MLP's score is then a function of that job's row alone.
    await using moved = await loadModel(dir, { graph: sixteen.graph });
    const scored = await scoreJobs(moved, sixteen);
    const scaler = (stored as { scaler: Parameters<typeof applyJobTypeScaler>[1] }).scaler;
    const rows = applyScaler(applyJobTypeScaler(sixteen, scaler), result.model.metadata.scaler).values;
    const width = sixteen.featureNames.length;
    const session = await ort.InferenceSession.create(join(dir, MODEL_FILES.onnx));
    try {
      const runs = 4;
      const out = await session.run({
        x: new ort.Tensor('float32', rows.slice(0, runs * 9 * width), [runs, 9, width]),
      });
      const data = (out.probabilities as ort.Tensor).data as Float32Array;
      for (let i = 0; i < runs * 9; i++) expect(scored.scores[i]).toBeCloseTo(1 - (data[2 * i] as number), 5);
    } finally {
      await session.release();
    }
  });

  it('refuses an unknown normalization: PROTEUS_MODELS_INVALID_OPTION', async () => {
    await expect(
      train(eight, { task: 'node', epochs: 1, normalization: 'per-run' as unknown as 'job-type' }),
    ).rejects.toMatchObject({ code: 'PROTEUS_MODELS_INVALID_OPTION' });
  });
});
