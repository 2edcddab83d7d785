import { describe, expect, it } from 'vitest';
import { parseFlowBenchAdjacency } from './parse-flowbench-adjacency.js';
import { findCycle, hasCycle, hopDistances, levels, topologicalOrder } from './traversal.js';

// Two roots; e is reached in 1 hop from r2 but lies 3 levels deep through r1 -> a -> b -> e.
const twoRoots = () => parseFlowBenchAdjacency({ e: [], b: ['e'], a: ['b'], r1: ['a'], r2: ['e'] });

describe('hopDistances', () => {
  it('counts hops from the nearest root, in node-index order', () => {
    expect(Array.from(hopDistances(twoRoots()))).toEqual([1, 2, 1, 0, 0]);
  });
});

describe('levels', () => {
  it('gives the longest-path depth from the roots', () => {
    expect(Array.from(levels(twoRoots()))).toEqual([3, 2, 1, 0, 0]);
  });
});

describe('topologicalOrder', () => {
  it('puts parents first and takes the ready job with the lowest node index next', () => {
    // indices: e 0, b 1, a 2, r1 3, r2 4. After r1, a (2) is ready and beats r2 (4); then b (1); e waits for r2.
    expect(topologicalOrder(twoRoots())).toEqual(['r1', 'a', 'b', 'r2', 'e']);
  });

  it('orders every edge forward on a larger random DAG', () => {
    const adjacency: Record<string, string[]> = {};
    for (let i = 0; i < 200; i++) adjacency[`j${i}`] = [];
    for (let i = 0; i < 200; i++)
      for (let k = 1; k <= 3; k++)
        if ((i * 7 + k * 13) % 5 !== 0 && i + k * 11 < 200) adjacency[`j${i + k * 11}`]?.push(`j${i}`);
    const graph = parseFlowBenchAdjacency(adjacency);
    const position = new Map(topologicalOrder(graph).map((name, i) => [name, i]));
    expect(position.size).toBe(200);
    for (const [p, c] of graph.edges())
      expect(position.get(graph.nameAt(p))).toBeLessThan(position.get(graph.nameAt(c)) as number);
  });
});

describe('hasCycle and findCycle', () => {
  it('finds a cycle in a raw adjacency list, and none in a DAG or a WorkflowGraph', () => {
    expect(hasCycle({ a: ['b'], b: ['c'], c: ['a'] })).toBe(true);
    expect(findCycle({ x: ['a'], a: ['b'], b: ['a'] })?.sort()).toEqual(['a', 'b']);
    expect(hasCycle({ a: ['b'], b: [] })).toBe(false);
    expect(hasCycle({ a: ['missing-key'] })).toBe(false);
    expect(hasCycle(twoRoots())).toBe(false);
  });

  it('throws PROTEUS_GRAPH_MALFORMED_JSON for a non-array value', () => {
    expect(() => hasCycle({ a: 'b' } as never)).toThrow(
      expect.objectContaining({ code: 'PROTEUS_GRAPH_MALFORMED_JSON' }),
    );
  });
});
