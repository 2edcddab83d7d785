import { describe, expect, it } from 'vitest';
import { adjacencyHash } from './adjacency-hash.js';
import { parseFlowBenchAdjacency } from './parse-flowbench-adjacency.js';

describe('adjacencyHash', () => {
  it('is a sha256 hex that ignores edge listing order but not node order or edges', () => {
    const base = adjacencyHash(parseFlowBenchAdjacency({ a: ['b', 'c'], b: [], c: [] }));
    expect(base).toMatch(/^[0-9a-f]{64}$/);
    expect(adjacencyHash(parseFlowBenchAdjacency({ a: ['c', 'b'], b: [], c: [] }))).toBe(base);
    expect(adjacencyHash(parseFlowBenchAdjacency({ a: ['b'], b: [], c: [] }))).not.toBe(base);
    expect(adjacencyHash(parseFlowBenchAdjacency({ a: ['b', 'c'], c: [], b: [] }))).not.toBe(base);
  });
});
