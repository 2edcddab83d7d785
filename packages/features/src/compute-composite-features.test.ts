import { parseFlowBenchAdjacency } from '@proteus-wf/workflow-graph';
import { describe, expect, it } from 'vitest';
import { computeCompositeFeatures } from './compute-composite-features.js';

// a -> c, b -> c; c -> d
const graph = parseFlowBenchAdjacency({ a: ['c'], b: ['c'], c: ['d'], d: [] }, { workflow: 'toy' });

describe('computeCompositeFeatures', () => {
  it('derives ready from the parents (post-script end, else execute end) and the Listing 1 delays', () => {
    const out = computeCompositeFeatures(
      [
        { job: 'a', submit: 101, execute_start: 103, execute_end: 110, post_script_start: 110, post_script_end: 115 },
        { job: 'b', submit: 102, execute_start: 104, execute_end: 120 },
        {
          job: 'c',
          submit: 121,
          stage_in_start: 122,
          stage_in_end: 125,
          execute_start: 124,
          execute_end: 130,
          stage_out_start: 128,
          stage_out_end: 129,
        },
        { job: 'd', pre_script_start: 131, pre_script_end: 133, submit: 134, execute_start: 135, execute_end: 136 },
      ],
      graph,
      { workflowStart: 100 },
    );
    expect(out).toEqual([
      {
        job: 'a',
        ready: 100,
        wms_delay: 1,
        pre_script_delay: null,
        queue_delay: 2,
        runtime: 7,
        post_script_delay: 5,
        stage_in_delay: null,
        stage_out_delay: null,
      },
      {
        job: 'b',
        ready: 100,
        wms_delay: 2,
        pre_script_delay: null,
        queue_delay: 2,
        runtime: 16,
        post_script_delay: null,
        stage_in_delay: null,
        stage_out_delay: null,
      },
      {
        job: 'c',
        ready: 120,
        wms_delay: 1,
        pre_script_delay: null,
        queue_delay: 3,
        runtime: 6,
        post_script_delay: null,
        stage_in_delay: 3,
        stage_out_delay: 1,
      },
      // With a pre script, the WMS delay ends when the pre script starts.
      {
        job: 'd',
        ready: 130,
        wms_delay: 1,
        pre_script_delay: 2,
        queue_delay: 1,
        runtime: 1,
        post_script_delay: null,
        stage_in_delay: null,
        stage_out_delay: null,
      },
    ]);
  });

  it('takes the workflow start from the earliest ready, else the earliest submit', () => {
    const withReady = computeCompositeFeatures(
      [
        { job: 'a', ready: 50, submit: 60 },
        { job: 'b', ready: 55, submit: 58 },
      ],
      graph,
    );
    expect(withReady.map((j) => j.ready)).toEqual([50, 50]);
    const withoutReady = computeCompositeFeatures(
      [
        { job: 'a', submit: 60 },
        { job: 'b', submit: 58 },
      ],
      graph,
    );
    expect(withoutReady.map((j) => j.ready)).toEqual([58, 58]);
  });

  it('gives null where a phase or a parent end is missing', () => {
    const [c] = computeCompositeFeatures([{ job: 'c', submit: 10 }], graph);
    expect(c).toMatchObject({ ready: null, wms_delay: null, queue_delay: null, runtime: null });
  });

  it('does not make a sub-workflow job ready before its subwf job starts', () => {
    const nested = parseFlowBenchAdjacency(
      { root: ['plan_1', 'create_dir_x_plan_1'], plan_1: [], create_dir_x_plan_1: [] },
      { workflow: 'nested' },
    );
    const out = computeCompositeFeatures(
      [
        { job: 'root', submit: 1, execute_start: 2, execute_end: 10 },
        { job: 'plan_1', type: 'subwf', submit: 12, execute_start: 15, execute_end: 40 },
        { job: 'create_dir_x_plan_1', submit: 17, execute_start: 18, execute_end: 19 },
      ],
      nested,
      { workflowStart: 0 },
    );
    expect(out.map((j) => j.ready)).toEqual([0, 10, 15]);
  });

  it('throws PROTEUS_FEATURES_JOB_NOT_IN_DAG and PROTEUS_FEATURES_JOB_DUPLICATE', () => {
    expect(() => computeCompositeFeatures([{ job: 'zz' }], graph)).toThrow(
      expect.objectContaining({ code: 'PROTEUS_FEATURES_JOB_NOT_IN_DAG' }),
    );
    expect(() => computeCompositeFeatures([{ job: 'a' }, { job: 'a' }], graph)).toThrow(
      expect.objectContaining({ code: 'PROTEUS_FEATURES_JOB_DUPLICATE' }),
    );
  });
});
