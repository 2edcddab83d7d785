// float64 JS reference implementations of the engine's models, used only by tests.
import type { Rng } from '@proteus-wf/core';
import type { ModelWeights, ResolvedModelSpec } from './model-spec.js';

/** A random DAG (parent -> child) as a PyG-normalized dense adjacency with self loops, row i aggregating from j. */
export function randomGcnAdjacency(rng: Rng, n: number): Float32Array {
  const parents: number[][] = Array.from({ length: n }, () => []);
  for (let i = 1; i < n; i++) {
    parents[i]?.push(rng.int(0, i - 1));
    if (i > 2 && rng.float() < 0.5) {
      const q = rng.int(0, i - 1);
      if (!parents[i]?.includes(q)) parents[i]?.push(q);
    }
  }
  const degree = parents.map((p) => p.length + 1);
  const a = new Float32Array(n * n);
  for (let i = 0; i < n; i++) {
    a[i * n + i] = 1 / (degree[i] as number);
    for (const j of parents[i] ?? []) a[i * n + j] = 1 / Math.sqrt((degree[i] as number) * (degree[j] as number));
  }
  return a;
}

function linear(h: number[][], w: { shape: number[]; data: Float32Array }, b: { data: Float32Array }): number[][] {
  const [rows, cols] = w.shape as [number, number];
  return h.map((row) => {
    const out = Array.from(b.data, Number);
    for (let k = 0; k < rows; k++)
      for (let c = 0; c < cols; c++)
        out[c] = (out[c] as number) + (row[k] as number) * (w.data[k * cols + c] as number);
    return out;
  });
}

const relu = (h: number[][]) => h.map((r) => r.map((v) => Math.max(0, v)));

/** float64 logits of one sample: [C] (graph level, MLP rows) or [N][C] (node level). */
export function referenceLogits(spec: ResolvedModelSpec, weights: ModelWeights, sample: Float32Array): number[][] {
  const w = (name: string) => weights[name] as { shape: number[]; data: Float32Array };
  const rows = spec.kind === 'mlp' && spec.nodes === undefined ? 1 : (spec.nodes ?? 1);
  let h: number[][] = Array.from({ length: rows }, (_, i) =>
    Array.from(sample.subarray(i * spec.features, (i + 1) * spec.features), Number),
  );
  const layers = spec.kind === 'gcn' ? spec.mlpLayers : spec.layers;
  if (spec.kind === 'gcn') {
    const n = spec.nodes;
    for (let l = 0; l < spec.gcnLayers; l++) {
      const z = linear(h, w(`gcn${l}.weight`), { data: new Float32Array(spec.hidden) });
      const root = spec.rootWeight ? linear(h, w(`gcn${l}.root`), { data: new Float32Array(spec.hidden) }) : undefined;
      const bias = w(`gcn${l}.bias`).data;
      h = z.map((_, i) =>
        bias.reduce<number[]>((acc, bv, c) => {
          let s = bv + (root ? ((root[i] as number[])[c] as number) : 0);
          for (let j = 0; j < n; j++)
            s += ((spec.adjacency as Float32Array)[i * n + j] as number) * ((z[j] as number[])[c] as number);
          acc.push(s);
          return acc;
        }, []),
      );
      h = relu(h);
    }
    if (spec.level === 'graph') {
      h = [h[0]?.map((_, c) => h.reduce((s, r) => s + (r[c] as number), 0) / n) ?? []];
    }
  }
  for (let l = 0; l < layers; l++) {
    h = linear(h, w(`mlp${l}.weight`), w(`mlp${l}.bias`));
    if (l < layers - 1) h = relu(h);
  }
  return h;
}

/** Softmax of one row in float64. */
export function softmaxRow(row: number[]): number[] {
  const max = Math.max(...row);
  const e = row.map((v) => Math.exp(v - max));
  const sum = e.reduce((s, v) => s + v, 0);
  return e.map((v) => v / sum);
}
