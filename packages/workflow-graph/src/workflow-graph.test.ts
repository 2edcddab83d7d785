import { describe, expect, it } from 'vitest';
import { parseFlowBenchAdjacency } from './parse-flowbench-adjacency.js';

const diamond = () => parseFlowBenchAdjacency({ a: ['b', 'c'], b: ['d'], c: ['d'], d: [] }, { workflow: 'diamond' });

describe('WorkflowGraph', () => {
  it('numbers jobs in input order and answers by name or index', () => {
    const graph = diamond();
    expect(graph.jobNames()).toEqual(['a', 'b', 'c', 'd']);
    expect([graph.size, graph.edgeCount]).toEqual([4, 4]);
    expect(graph.indexOf('c')).toBe(2);
    expect(graph.nameAt(3)).toBe('d');
    expect(graph.job(1)).toBe(graph.job('b'));
    expect(graph.parents('d')).toEqual(['b', 'c']);
    expect(graph.children('a')).toEqual(['b', 'c']);
    expect(graph.roots()).toEqual(['a']);
    expect(graph.sinks()).toEqual(['d']);
    expect(graph.edges()).toEqual([
      [0, 1],
      [0, 2],
      [1, 3],
      [2, 3],
    ]);
    expect(Array.from(graph.edgeIndex())).toEqual([0, 0, 1, 2, 1, 2, 3, 3]);
  });

  it('keeps node order when children are listed before their keys', () => {
    const graph = parseFlowBenchAdjacency({ z: [], a: ['z'] });
    expect(graph.jobNames()).toEqual(['z', 'a']);
    expect(graph.edges()).toEqual([[1, 0]]);
  });

  it('throws PROTEUS_GRAPH_UNKNOWN_JOB for an unknown name or index', () => {
    const graph = diamond();
    for (const call of [
      () => graph.indexOf('x'),
      () => graph.nameAt(4),
      () => graph.job(-1),
      () => graph.parents('x'),
      () => graph.parentIndices(9),
    ]) {
      expect(call).toThrow(expect.objectContaining({ code: 'PROTEUS_GRAPH_UNKNOWN_JOB' }));
    }
  });

  it('hints at normalizeGen1JobName for a timestamped gen-1 name', () => {
    const graph = parseFlowBenchAdjacency(
      { 'create_dir_1000genome-20200406T033822Z_0_condorpool': [] },
      { generation: 1 },
    );
    expect(() => graph.indexOf('create_dir_1000genome-20200518T045356Z_0_condorpool')).toThrow(/normalizeGen1JobName/);
  });

  it('cannot be changed through what it returns', () => {
    const graph = diamond();
    graph.jobNames().push('x');
    expect(graph.size).toBe(4);
    expect(() => {
      (graph.job('a') as { type: string }).type = 'x';
    }).toThrow(TypeError);
  });

  it('exports a graphology DirectedGraph copy with the same nodes, edges and attributes', () => {
    const graph = diamond();
    const g = graph.toGraphology();
    expect([g.type, g.order, g.size]).toEqual(['directed', 4, 4]);
    expect(g.nodes()).toEqual(['a', 'b', 'c', 'd']);
    expect(g.inNeighbors('d').sort()).toEqual(['b', 'c']);
    expect(g.getNodeAttributes('a')).toEqual({ name: 'a', type: 'compute', transformation: 'a' });
    expect(g.getAttributes()).toMatchObject({ workflow: 'diamond', format: 'flowbench-adjacency' });
    g.addNode('extra');
    expect(graph.size).toBe(4);
  });
});
