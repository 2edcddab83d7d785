import { describe, expect, it } from 'vitest';
import { gcnAdjacency, meanAdjacency, toDenseAdjacency } from './gcn-adjacency.js';
import { parseFlowBenchAdjacency } from './parse-flowbench-adjacency.js';

// a -> b, a -> c, b -> d, c -> d
const diamond = () => parseFlowBenchAdjacency({ a: ['b', 'c'], b: ['d'], c: ['d'], d: [] });
const r2 = 1 / Math.sqrt(2);
const r6 = 1 / Math.sqrt(6);

function expectMatrix(actual: Float32Array, expected: number[][]): void {
  expect(actual.length).toBe(expected.length * expected.length);
  expected.flat().forEach((value, k) => {
    expect(actual[k]).toBeCloseTo(value, 6);
  });
}

describe('gcnAdjacency', () => {
  it('matches the hand-computed D^-1/2 (A+I) D^-1/2 of a diamond, rows aggregating from parents', () => {
    // in-degree + 1: a 1, b 2, c 2, d 3; entry (i, j) = 1 / sqrt(d_i d_j) for j in parents(i) and i itself.
    expectMatrix(toDenseAdjacency(gcnAdjacency(diamond())), [
      [1, 0, 0, 0],
      [r2, 0.5, 0, 0],
      [r2, 0, 0.5, 0],
      [0, r6, r6, 1 / 3],
    ]);
  });

  it('symmetrizes with undirected: true (every node has 2 neighbours + itself)', () => {
    const t = 1 / 3;
    expectMatrix(toDenseAdjacency(gcnAdjacency(diamond(), { undirected: true })), [
      [t, t, t, 0],
      [t, t, 0, t],
      [t, 0, t, t],
      [0, t, t, t],
    ]);
  });

  it('gives zero weight to messages from a node of degree 0 without self-loops, as PyG masks inf', () => {
    // degrees: a 0, b 1, c 1, d 2; a's messages get deg_a^-1/2 = inf -> 0.
    expectMatrix(toDenseAdjacency(gcnAdjacency(diamond(), { selfLoops: false })), [
      [0, 0, 0, 0],
      [0, 0, 0, 0],
      [0, 0, 0, 0],
      [0, r2, r2, 0],
    ]);
  });

  it('stores a CSR with ascending columns and indptr spanning every row', () => {
    const csr = gcnAdjacency(diamond());
    expect(Array.from(csr.indptr)).toEqual([0, 1, 3, 5, 8]);
    expect(Array.from(csr.indices)).toEqual([0, 0, 1, 0, 2, 1, 2, 3]);
    expect(csr.size).toBe(4);
  });

  it('has a symmetric matrix with eigenvalues in [-1, 1] when undirected (row sums bounded by sqrt ratios)', () => {
    const graph = parseFlowBenchAdjacency({ r: ['x', 'y', 'z'], x: ['w'], y: ['w'], z: [], w: [] });
    const n = graph.size;
    const dense = toDenseAdjacency(gcnAdjacency(graph, { undirected: true }));
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) expect(dense[i * n + j]).toBeCloseTo(dense[j * n + i] as number, 7);
    // Power iteration: the largest eigenvalue of a GCN-normalized matrix with self-loops is exactly 1.
    let v = new Float64Array(n).fill(1);
    let lambda = 0;
    for (let step = 0; step < 200; step++) {
      const next = new Float64Array(n);
      for (let i = 0; i < n; i++)
        for (let j = 0; j < n; j++) next[i] = (next[i] as number) + (dense[i * n + j] as number) * (v[j] as number);
      lambda = Math.hypot(...next) / Math.hypot(...v);
      v = next;
    }
    expect(lambda).toBeCloseTo(1, 4);
  });

  it('throws PROTEUS_GRAPH_INVALID_OPTION for a non-boolean option', () => {
    expect(() => gcnAdjacency(diamond(), { undirected: 'yes' as unknown as boolean })).toThrow(
      expect.objectContaining({ code: 'PROTEUS_GRAPH_INVALID_OPTION' }),
    );
  });
});

describe('meanAdjacency', () => {
  it('averages over parents, without self-loops, leaving roots with an empty row', () => {
    expectMatrix(toDenseAdjacency(meanAdjacency(diamond())), [
      [0, 0, 0, 0],
      [1, 0, 0, 0],
      [1, 0, 0, 0],
      [0, 0.5, 0.5, 0],
    ]);
  });

  it('averages over parents and children when undirected', () => {
    expectMatrix(toDenseAdjacency(meanAdjacency(diamond(), { undirected: true })), [
      [0, 0.5, 0.5, 0],
      [0.5, 0, 0, 0.5],
      [0.5, 0, 0, 0.5],
      [0, 0.5, 0.5, 0],
    ]);
  });

  it('has rows that sum to 1 or 0', () => {
    const graph = parseFlowBenchAdjacency({ a: ['c'], b: ['c'], c: [], d: [] });
    const dense = toDenseAdjacency(meanAdjacency(graph));
    const sums = [0, 1, 2, 3].map((i) => dense.slice(i * 4, i * 4 + 4).reduce((s, x) => s + x, 0));
    expect(sums).toEqual([0, 0, 1, 0]);
  });
});

describe('toDenseAdjacency', () => {
  it('throws PROTEUS_GRAPH_INVALID_OPTION for an inconsistent CSR', () => {
    const csr = gcnAdjacency(diamond());
    expect(() => toDenseAdjacency({ ...csr, indptr: csr.indptr.slice(0, 3) })).toThrow(
      expect.objectContaining({ code: 'PROTEUS_GRAPH_INVALID_OPTION' }),
    );
    expect(() => toDenseAdjacency({ ...csr, indices: Int32Array.from(csr.indices, () => 9) })).toThrow(
      expect.objectContaining({ code: 'PROTEUS_GRAPH_INVALID_OPTION' }),
    );
  });
});
