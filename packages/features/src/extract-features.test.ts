import { hopDistances } from '@proteus-wf/workflow-graph';
import { beforeAll, describe, expect, it } from 'vitest';
import { EHT_IMAGING, hasSharedDatasets, WIND_GEN1 } from '../test/support.js';
import { extractFeatures } from './extract-features.js';
import { FEATURE_PIPELINES } from './feature-pipelines.js';
import { readFloatColumn, readTextColumn } from './internal/arrow-columns.js';
import { type FlowBenchDataset, loadFlowBench } from './load-flowbench.js';

describe.skipIf(!hasSharedDatasets)('extractFeatures', () => {
  let gen2: FlowBenchDataset;
  let gen1: FlowBenchDataset;
  beforeAll(async () => {
    [gen2, gen1] = await Promise.all([loadFlowBench(EHT_IMAGING), loadFlowBench(WIND_GEN1)]);
  });

  it('flowbench-v1: the six delays (missing -> 0) and the hop distance of each node', () => {
    const features = extractFeatures(gen2, { pipeline: 'flowbench-v1' });
    expect(features.featureNames).toEqual([
      'wms_delay',
      'queue_delay',
      'runtime',
      'post_script_delay',
      'stage_in_delay',
      'stage_out_delay',
      'node_hop',
    ]);
    expect(features.values).toHaveLength(501 * 12 * 7);
    const hops = hopDistances(gen2.graph);
    let wrong = 0;
    features.featureNames.slice(0, 6).forEach((name, f) => {
      const column = readFloatColumn(gen2.jobs, name) as Float64Array;
      for (let row = 0; row < column.length; row++) {
        if (
          features.values[row * 7 + f] !==
          Math.fround(Number.isNaN(column[row] as number) ? 0 : (column[row] as number))
        )
          wrong++;
      }
    });
    for (let row = 0; row < 501 * 12; row++) if (features.values[row * 7 + 6] !== hops[row % 12]) wrong++;
    expect(wrong).toBe(0);
  });

  it("works22: the paper's 24 features in order, type one-hot, timestamps as offsets from the run start", () => {
    const features = extractFeatures(gen1, { pipeline: 'works22' });
    expect(features.featureNames).toMatchInlineSnapshot(`
      [
        "auxiliary",
        "compute",
        "transfer",
        "is_clustered",
        "ready",
        "pre_script_start",
        "pre_script_end",
        "submit",
        "execute_start",
        "execute_end",
        "post_script_start",
        "post_script_end",
        "wms_delay",
        "pre_script_delay",
        "queue_delay",
        "runtime",
        "post_script_delay",
        "stage_in_delay",
        "stage_in_bytes",
        "stage_out_delay",
        "stage_out_bytes",
        "kickstart_executables_cpu_time",
        "kickstart_status",
        "kickstart_executables_exitcode",
      ]
    `);
    const width = 24;
    const types = readTextColumn(gen1.jobs, 'type') ?? [];
    const ready = readFloatColumn(gen1.jobs, 'ready') as Float64Array;
    const submit = readFloatColumn(gen1.jobs, 'submit') as Float64Array;
    const wrong: string[] = [];
    for (let run = 0; run < gen1.runs.length; run++) {
      const start = Math.min(...ready.subarray(run * 7, run * 7 + 7));
      for (let node = 0; node < 7; node++) {
        const row = run * 7 + node;
        const x = features.values.subarray(row * width, row * width + width);
        const oneHot = ['auxiliary', 'compute', 'transfer'].map((t) => (types[row] === t ? 1 : 0));
        if (x[0] !== oneHot[0] || x[1] !== oneHot[1] || x[2] !== oneHot[2]) wrong.push(`row ${row} type`);
        if (x[4] !== Math.fround((ready[row] as number) - start)) wrong.push(`row ${row} ready`);
        if (x[7] !== Math.fround((submit[row] as number) - start)) wrong.push(`row ${row} submit`);
        // pre_script_* are always missing in gen-1: 0 after the shift, never -1.6e9.
        if (x[5] !== 0 || x[6] !== 0) wrong.push(`row ${row} pre_script`);
      }
    }
    expect(wrong).toEqual([]);
    expect(features.values.every((v) => Number.isFinite(v) && v > -1e6)).toBe(true);
  });

  it('full: every numeric column of the generation, kickstart_online_* only in gen-2', () => {
    const two = FEATURE_PIPELINES.full.featureNames(2);
    const one = FEATURE_PIPELINES.full.featureNames(1);
    expect(two.filter((n) => n.startsWith('kickstart_online_'))).toHaveLength(9);
    expect(one.some((n) => n.startsWith('kickstart_online_'))).toBe(false);
    expect(two).toHaveLength(4 + 36 + 1);
    expect(one).toHaveLength(4 + 21 + 1);
    const features = extractFeatures(gen2, { pipeline: 'full' });
    expect(features.values).toHaveLength(501 * 12 * two.length);
    expect(features.values.every(Number.isFinite)).toBe(true);
  });

  it('keeps run labels, job labels and the DAG', () => {
    const features = extractFeatures(gen2);
    expect(features).toMatchObject({
      pipeline: 'flowbench-v1',
      pipelineVersion: 1,
      workflow: 'eht_imaging',
      generation: 2,
      jobsPerRun: 12,
    });
    expect(features.runs.map((r) => r.label)).toEqual(gen2.runs.map((r) => r.label));
    expect(features.jobLabels).toEqual(readTextColumn(gen2.jobs, 'job_label'));
    expect(features.graph).toBe(gen2.graph);
  });

  it('throws PROTEUS_FEATURES_PIPELINE_UNKNOWN for an unknown pipeline', () => {
    expect(() => extractFeatures(gen2, { pipeline: 'v9' as 'full' })).toThrow(
      expect.objectContaining({ code: 'PROTEUS_FEATURES_PIPELINE_UNKNOWN' }),
    );
    expect(() => extractFeatures(gen2, { pipeline: 'toString' as 'full' })).toThrow(
      expect.objectContaining({ code: 'PROTEUS_FEATURES_PIPELINE_UNKNOWN' }),
    );
  });
});
