import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { gcnAdjacency, loadWorkflowGraph, meanAdjacency, toDenseAdjacency } from '../src/index.js';
import { hasSharedDatasets, sharedDataset } from './helpers.js';

// Cross-checks the matrices against a NumPy port of PyG's gcn_norm / ToUndirected / SAGE mean (torch and
// torch_geometric are not installed on the CI machines; the port follows their source line by line).
const script = fileURLToPath(new URL('./reference/pyg_reference.py', import.meta.url));
const hasNumpy = spawnSync('python3', ['-c', 'import numpy'], { encoding: 'utf8' }).status === 0;
if (!hasNumpy) console.warn('skipping the PyG reference check: python3 with numpy is not available');

const MODES = [
  { kind: 'gcn', undirected: false, selfLoops: true },
  { kind: 'gcn', undirected: true, selfLoops: true },
  { kind: 'gcn', undirected: false, selfLoops: false },
  { kind: 'gcn', undirected: true, selfLoops: false },
  { kind: 'mean', undirected: false, selfLoops: false },
  { kind: 'mean', undirected: true, selfLoops: false },
] as const;

describe.skipIf(!hasNumpy || !hasSharedDatasets)('gcnAdjacency and meanAdjacency against the PyG reference', () => {
  it.each(['montage', '1000genome', 'predict_future_sales'])('agree on %s in all modes', async (name) => {
    const graph = await loadWorkflowGraph(sharedDataset(`flowbench/adjacency_list_dags/${name}.json`));
    const input = JSON.stringify({ n: graph.size, edges: graph.edges().flat(), modes: MODES });
    const run = spawnSync('python3', [script], { input, maxBuffer: 256 * 1024 * 1024 });
    expect(run.status, run.stderr?.toString()).toBe(0);
    const bytes = run.stdout;
    const all = new Float64Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    const cells = graph.size * graph.size;
    expect(all.length).toBe(cells * MODES.length);
    MODES.forEach((mode, m) => {
      const csr = mode.kind === 'gcn' ? gcnAdjacency(graph, mode) : meanAdjacency(graph, mode);
      const dense = toDenseAdjacency(csr);
      let worst = 0;
      for (let k = 0; k < cells; k++)
        worst = Math.max(worst, Math.abs((dense[k] as number) - (all[m * cells + k] as number)));
      expect(worst, `${mode.kind} undirected=${mode.undirected} selfLoops=${mode.selfLoops}`).toBeLessThan(1e-6);
    });
  });
});
