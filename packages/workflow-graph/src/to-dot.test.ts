import { describe, expect, it } from 'vitest';
import { parseFlowBenchAdjacency } from './parse-flowbench-adjacency.js';
import { toDot } from './to-dot.js';

describe('toDot', () => {
  it('writes one node per job with an escaped label and one edge per dependency', () => {
    const graph = parseFlowBenchAdjacency({ 'create_dir_"x"': ['job_ID1'], job_ID1: [] }, { workflow: 'w' });
    expect(toDot(graph, { rankdir: 'LR' })).toBe(
      [
        'digraph "w" {',
        '  rankdir=LR;',
        '  node [fontsize=10];',
        '  n0 [label="create_dir_\\"x\\"", shape=ellipse, tooltip="create_dir (auxiliary)"];',
        '  n1 [label="job_ID1", shape=box, tooltip="job (compute)"];',
        '  n0 -> n1;',
        '}',
        '',
      ].join('\n'),
    );
  });
});
