import { describe, expect, it } from 'vitest';
import { normalizeGen1JobName, parseFlowBenchAdjacency } from './parse-flowbench-adjacency.js';

describe('normalizeGen1JobName', () => {
  it('cuts create_dir_ and cleanup_ names at the first dash and leaves the rest alone', () => {
    expect(normalizeGen1JobName('create_dir_1000genome-20200518T045356Z_0_condorpool')).toBe('create_dir_1000genome');
    expect(normalizeGen1JobName('cleanup_casa_wind_wf-20200817T053229Z_0_condorpool')).toBe('cleanup_casa_wind_wf');
    expect(normalizeGen1JobName('create_dir_montage_0_insidecontainer')).toBe('create_dir_montage_0_insidecontainer');
    expect(normalizeGen1JobName('individuals_ID0000001')).toBe('individuals_ID0000001');
    expect(normalizeGen1JobName('stage_out_local-condorpool')).toBe('stage_out_local-condorpool');
  });
});

describe('parseFlowBenchAdjacency', () => {
  it('truncates keys and children in gen-1 only', () => {
    const input = { 'create_dir_w-2020_0_x': ['job_ID1'], job_ID1: ['cleanup_w-2020_0_x'], 'cleanup_w-2020_0_x': [] };
    expect(parseFlowBenchAdjacency(input, { generation: 1 }).jobNames()).toEqual([
      'create_dir_w',
      'job_ID1',
      'cleanup_w',
    ]);
    expect(parseFlowBenchAdjacency(input).jobNames()).toEqual(Object.keys(input));
  });

  it('infers job types and transformations from the names', () => {
    const graph = parseFlowBenchAdjacency({
      create_dir_x: ['mDiffFit_ID0000012'],
      mDiffFit_ID0000012: ['stage_out_local_0_0'],
      stage_out_local_0_0: [],
    });
    expect(graph.jobs().map((job) => [job.type, job.transformation])).toEqual([
      ['auxiliary', 'create_dir'],
      ['compute', 'mDiffFit'],
      ['transfer', 'stage_out'],
    ]);
  });

  it('names the workflow after the source file', () => {
    expect(parseFlowBenchAdjacency('{"a": []}', { source: '/data/dags/montage.json' }).workflow).toBe('montage');
  });

  it('throws PROTEUS_GRAPH_MALFORMED_JSON with line and column for broken JSON', () => {
    expect(() => parseFlowBenchAdjacency('{\n  "a": ["b",]\n}')).toThrow(
      expect.objectContaining({
        code: 'PROTEUS_GRAPH_MALFORMED_JSON',
        details: expect.objectContaining({ line: 2, column: 13 }),
      }),
    );
    expect(() => parseFlowBenchAdjacency('{\n  "a": [')).toThrow(
      expect.objectContaining({
        code: 'PROTEUS_GRAPH_MALFORMED_JSON',
        details: expect.objectContaining({ line: 2, column: 9 }),
      }),
    );
  });

  it('throws PROTEUS_GRAPH_MALFORMED_JSON with the JSON path of a wrong value', () => {
    expect(() => parseFlowBenchAdjacency({ a: 'b' })).toThrow(expect.objectContaining({ details: { path: '$["a"]' } }));
    expect(() => parseFlowBenchAdjacency({ a: ['b', 3], b: [] })).toThrow(
      expect.objectContaining({ details: { path: '$["a"][1]' } }),
    );
    expect(() => parseFlowBenchAdjacency('[]')).toThrow(
      expect.objectContaining({ code: 'PROTEUS_GRAPH_MALFORMED_JSON', details: { path: '$' } }),
    );
  });

  it('throws PROTEUS_GRAPH_UNKNOWN_DEPENDENCY for a child that is not a key, PROTEUS_GRAPH_EMPTY for {}', () => {
    expect(() => parseFlowBenchAdjacency({ a: ['b'] })).toThrow(
      expect.objectContaining({ code: 'PROTEUS_GRAPH_UNKNOWN_DEPENDENCY' }),
    );
    expect(() => parseFlowBenchAdjacency({})).toThrow(expect.objectContaining({ code: 'PROTEUS_GRAPH_EMPTY' }));
  });

  it('throws PROTEUS_GRAPH_DUPLICATE_JOB when gen-1 truncation merges two keys', () => {
    expect(() =>
      parseFlowBenchAdjacency({ 'create_dir_a-1_local': [], 'create_dir_a-2_condorpool': [] }, { generation: 1 }),
    ).toThrow(expect.objectContaining({ code: 'PROTEUS_GRAPH_DUPLICATE_JOB' }));
  });

  it('throws PROTEUS_GRAPH_INVALID_OPTION for an unknown generation', () => {
    expect(() => parseFlowBenchAdjacency({ a: [] }, { generation: 3 as never })).toThrow(
      expect.objectContaining({ code: 'PROTEUS_GRAPH_INVALID_OPTION' }),
    );
  });
});
