import { readFile } from 'node:fs/promises';
import { createRng } from '@proteus-wf/core';
import { resolveOptimizer } from '@proteus-wf/onnx-train';
import { gcnAdjacency, parseFlowBenchAdjacency, toDenseAdjacency } from '@proteus-wf/workflow-graph';
import { describe, expect, it } from 'vitest';
import { hasSharedDatasets, sharedDataset } from '../../../tooling/test-utils/src/index.js';
import { defineModelSpec, type GcnSpec } from '../src/graphs/model-spec.js';
import { createTrainer } from '../src/graphs/trainer.js';
import { buildTrainingGraph } from '../src/graphs/training-graph.js';
import { readOnnxInitializers } from '../src/uncertainty/internal/read-onnx-initializers.js';

async function casaNowcastFull() {
  const file = sharedDataset('flowbench/adjacency_list_dags/casa_nowcast_full.json');
  return parseFlowBenchAdjacency(JSON.parse(await readFile(file, 'utf8')), { source: file });
}

/** The largest float32 initializer of a graph, in values. */
function largestInitializer(bytes: Uint8Array): number {
  return Math.max(...Object.values(readOnnxInitializers(bytes)).map((w) => w.data.length));
}

describe('training on a 2,081-job workflow (casa_nowcast_full)', () => {
  it.skipIf(!hasSharedDatasets)(
    'builds a training step without any N×N tensor from the sparse adjacency, and the dense path would hold one',
    async () => {
      const graph = await casaNowcastFull();
      const n = graph.size;
      expect(n).toBe(2081);
      const base: GcnSpec = {
        kind: 'gcn',
        level: 'node',
        nodes: n,
        features: 7,
        classes: 2,
        adjacency: gcnAdjacency(graph),
      };
      const adam = resolveOptimizer({ kind: 'adam' });

      const sparse = buildTrainingGraph(defineModelSpec(base), adam);
      expect(defineModelSpec(base)).toMatchObject({ aggregation: 'sparse' });
      // Edge lists only: the largest constant is far below N×N (4.3 M values).
      expect(largestInitializer(sparse.bytes)).toBeLessThan(n * 8);
      // The positive control: pinning the dense path puts the N×N matrix in the graph.
      const dense = buildTrainingGraph(defineModelSpec({ ...base, aggregation: 'dense' }), adam);
      expect(largestInitializer(dense.bytes)).toBe(n * n);
    },
  );

  it.skipIf(!hasSharedDatasets)(
    'trains on a B=32 batch from the CSR adjacency (no dense matrix anywhere)',
    async () => {
      const graph = await casaNowcastFull();
      const n = graph.size;
      const features = 7;
      await using trainer = await createTrainer({
        model: { kind: 'gcn', level: 'node', nodes: n, features, classes: 2, adjacency: gcnAdjacency(graph) },
        seed: 1,
      });
      const rng = createRng(5);
      const x = Float32Array.from({ length: 32 * n * features }, () => rng.normal());
      const labels = Array.from({ length: 32 * n }, (_, i) => ((x[i * features] as number) > 0 ? 1 : 0));
      const first = await trainer.step(x, labels);
      let last = first;
      for (let i = 0; i < 3; i++) last = await trainer.step(x, labels);
      expect(last).toBeLessThan(first);
      // The CSR path is the same product as the dense matrix: equal first-step losses on two runs.
      const model = { kind: 'gcn', level: 'node', nodes: n, features, classes: 2 } as const;
      const [x2, labels2] = [x.subarray(0, 2 * n * features), labels.slice(0, 2 * n)];
      await using sparseTrainer = await createTrainer({ model: { ...model, adjacency: gcnAdjacency(graph) }, seed: 1 });
      await using denseTrainer = await createTrainer({
        model: { ...model, adjacency: toDenseAdjacency(gcnAdjacency(graph)), aggregation: 'dense' },
        seed: 1,
      });
      expect(await denseTrainer.step(x2, labels2)).toBeCloseTo(await sparseTrainer.step(x2, labels2), 5);
    },
  );
});
