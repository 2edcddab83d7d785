import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { hopDistances, levels, loadWorkflowGraph, type WorkflowGraph } from '../src/index.js';
import { hasSharedDatasets, sharedDataset } from './helpers.js';

// Cross-checks the traversals against networkx (the library Flow-Bench computes node_hop with).
const script = fileURLToPath(new URL('./reference/networkx_reference.py', import.meta.url));
const hasNetworkx = spawnSync('python3', ['-c', 'import networkx'], { encoding: 'utf8' }).status === 0;
if (!hasNetworkx) console.warn('skipping the networkx reference check: python3 with networkx is not available');

const DAGS = [
  ['flowbench', 'montage', 2],
  ['flowbench', '1000genome', 2],
  ['flowbench', 'casa_nowcast_full', 2],
  ['flowbench', 'predict_future_sales', 2],
  ['flowbench', 'pycbc_search', 2],
  ['exogeni-2020', '1000genome', 1],
] as const;

interface Expected {
  hops: number[];
  levels: number[];
  nodeHop: number[];
  isDag: boolean;
}

describe.skipIf(!hasNetworkx || !hasSharedDatasets)('hopDistances and levels against networkx', () => {
  const graphs: WorkflowGraph[] = [];
  let expected: Expected[] = [];
  beforeAll(async () => {
    for (const [folder, name, generation] of DAGS) {
      graphs.push(await loadWorkflowGraph(sharedDataset(`${folder}/adjacency_list_dags/${name}.json`), { generation }));
    }
    const input = JSON.stringify(graphs.map((graph) => ({ n: graph.size, edges: graph.edges() })));
    const run = spawnSync('python3', [script], { input, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    if (run.status !== 0) throw new Error(`networkx_reference.py failed: ${run.stderr}`);
    expected = JSON.parse(run.stdout) as Expected[];
  });

  it.each(DAGS.map((dag, i) => [`${dag[0]}/${dag[1]}`, i] as const))('agree on %s', (_name, i) => {
    const graph = graphs[i] as WorkflowGraph;
    const reference = expected[i] as Expected;
    expect(reference.isDag).toBe(true);
    expect(Array.from(hopDistances(graph))).toEqual(reference.hops);
    expect(Array.from(levels(graph))).toEqual(reference.levels);
    // With a single root at node 0, Flow-Bench's node_hop (distance from node 0) is the same thing.
    if (graph.roots().length === 1 && graph.roots()[0] === graph.nameAt(0)) {
      expect(Array.from(hopDistances(graph))).toEqual(reference.nodeHop);
    }
  });
});
