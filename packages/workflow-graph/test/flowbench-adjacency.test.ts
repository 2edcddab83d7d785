import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  adjacencyHash,
  gcnAdjacency,
  hopDistances,
  levels,
  loadWorkflowGraph,
  normalizeGen1JobName,
  parseFlowBenchAdjacency,
  topologicalOrder,
} from '../src/index.js';
import { hasSharedDatasets, sharedDataset } from './helpers.js';

// Node and edge counts from ../shared/datasets/flowbench/adjacency_list_dags/README.md (Flow-Bench) and
// ../shared/datasets/README.md (exogeni-2020).
const GENERATION_2: ReadonlyArray<[string, number, number]> = [
  ['1000genome', 137, 289],
  ['montage', 539, 2838],
  ['predict_future_sales', 165, 581],
  ['variant_calling', 371, 792],
  ['casa_wind_full', 162, 342],
  ['casa_nowcast_full', 2081, 4029],
  ['casa_nowcast_small', 419, 795],
  ['pycbc_inference', 17, 26],
  ['pycbc_search', 368, 1025],
  ['eht_difmap', 33, 59],
  ['eht_imaging', 12, 18],
  ['eht_smili', 16, 26],
];
const GENERATION_1: ReadonlyArray<[string, number, number]> = [
  ['1000genome', 57, 129],
  ['nowcast_clustering_8', 13, 20],
  ['nowcast_clustering_16', 9, 12],
  ['wind_clustering_casa', 7, 8],
];

const flowbench = (name: string) => sharedDataset(`flowbench/adjacency_list_dags/${name}.json`);
const exogeni = (name: string) => sharedDataset(`exogeni-2020/adjacency_list_dags/${name}.json`);

describe.skipIf(!hasSharedDatasets)('Flow-Bench adjacency JSON (real DAGs)', () => {
  it.each(GENERATION_2)('parses gen-2 %s with %i jobs and %i edges', async (name, jobs, edges) => {
    const graph = await loadWorkflowGraph(flowbench(name));
    expect(graph.attributes.format).toBe('flowbench-adjacency');
    expect(graph.workflow).toBe(name);
    expect([graph.size, graph.edgeCount]).toEqual([jobs, edges]);
    // Node index is JSON key order, and names are exact in gen-2.
    const raw = JSON.parse(readFileSync(flowbench(name), 'utf8')) as Record<string, string[]>;
    expect(graph.jobNames()).toEqual(Object.keys(raw));
    const hops = hopDistances(graph);
    expect(hops.every((h) => h >= 0)).toBe(true);
    expect(topologicalOrder(graph)).toHaveLength(jobs);
  });

  it.each(GENERATION_1)('parses gen-1 %s with %i jobs and %i edges', async (name, jobs, edges) => {
    const graph = await loadWorkflowGraph(exogeni(name), { generation: 1 });
    expect([graph.size, graph.edgeCount]).toEqual([jobs, edges]);
    const raw = JSON.parse(readFileSync(exogeni(name), 'utf8')) as Record<string, string[]>;
    expect(graph.jobNames()).toEqual(Object.keys(raw).map(normalizeGen1JobName));
    expect(graph.jobNames().filter((n) => n.startsWith('create_dir_') || n.startsWith('cleanup_'))).toEqual(
      graph.jobNames().filter((n) => /^(create_dir|cleanup)_[^-]*$/.test(n)),
    );
  });

  it('truncates gen-1 timestamps so names match the trace CSVs', async () => {
    const graph = await loadWorkflowGraph(exogeni('1000genome'), { generation: 1 });
    expect(graph.jobNames()[0]).toBe('create_dir_1000genome');
    expect(graph.hasJob(normalizeGen1JobName('create_dir_1000genome-20200518T045356Z_0_condorpool'))).toBe(true);
  });

  it.each(['predict_future_sales', 'pycbc_search'])(
    'throws PROTEUS_GRAPH_DUPLICATE_JOB when %s (gen-2) is read with the gen-1 truncation',
    async (name) => {
      await expect(loadWorkflowGraph(flowbench(name), { generation: 1 })).rejects.toMatchObject({
        code: 'PROTEUS_GRAPH_DUPLICATE_JOB',
      });
    },
  );

  it('gives 1000genome the hop distances and levels of its stages', async () => {
    const graph = await loadWorkflowGraph(flowbench('1000genome'));
    const hops = hopDistances(graph);
    const depth = levels(graph);
    const byPrefix = (prefix: string, values: Int32Array) =>
      new Set(graph.jobNames().flatMap((n, i) => (n.startsWith(prefix) ? [values[i]] : [])));
    expect(graph.roots()).toEqual(['create_dir_1000-genome_0_condorpool']);
    expect(hops[0]).toBe(0);
    expect(byPrefix('individuals_ID', hops)).toEqual(new Set([1]));
    expect(byPrefix('sifting_', hops)).toEqual(new Set([1]));
    expect(byPrefix('individuals_merge_', hops)).toEqual(new Set([2]));
    expect(byPrefix('individuals_merge_', depth)).toEqual(new Set([2]));
    expect(byPrefix('mutation_overlap_', depth)).toEqual(new Set([3]));
    expect(byPrefix('cleanup_', depth)).toEqual(new Set([Math.max(...depth)]));
  });

  it('builds a GCN adjacency for montage with one self-loop per job plus every edge', async () => {
    const graph = await loadWorkflowGraph(flowbench('montage'));
    const csr = gcnAdjacency(graph);
    expect(csr.indices.length).toBe(539 + 2838);
    const undirected = gcnAdjacency(graph, { undirected: true });
    expect(undirected.indices.length).toBe(539 + 2 * 2838);
  });

  it('hashes the same DAG equally whether read as gen-1 or gen-2 when no name is truncated', async () => {
    const montage = await loadWorkflowGraph(flowbench('montage'));
    const again = await loadWorkflowGraph(flowbench('montage'), { generation: 1 });
    expect(adjacencyHash(again)).toBe(adjacencyHash(montage));
    const genome = await loadWorkflowGraph(flowbench('1000genome'));
    expect(adjacencyHash(genome)).not.toBe(adjacencyHash(montage));
  });

  it('accepts an already-parsed object', () => {
    const raw = JSON.parse(readFileSync(flowbench('eht_imaging'), 'utf8')) as object;
    expect(parseFlowBenchAdjacency(raw, { workflow: 'eht_imaging' }).size).toBe(12);
  });
});
