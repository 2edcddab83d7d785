import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isProteusError, type JobRecord } from '@proteus-wf/core';
import { parseFlowBenchAdjacency } from '@proteus-wf/workflow-graph';
import { describe, expect, it } from 'vitest';
import { createTempDir } from '../test/support.js';
import { buildDataset, type DatasetRun } from './build-dataset.js';
import { extractFeatures } from './extract-features.js';
import { formatFlowBenchCsv } from './format-flowbench-csv.js';
import { loadFlowBench } from './load-flowbench.js';
import { toFlowBenchRows } from './to-flowbench-rows.js';

const graph = parseFlowBenchAdjacency({ a: ['b', 'c'], b: ['d'], c: ['d'], d: [] }, { workflow: 'diamond' });

function record(job: string, start: number, seconds: number, extra: Partial<JobRecord> = {}): JobRecord {
  return {
    job,
    type: 'compute',
    transformation: `tr_${job}`,
    worker: 'worker-1',
    ready: start - 1,
    submit: start - 0.5,
    executeStart: start,
    executeEnd: start + seconds,
    cpuTimeSeconds: seconds * 0.9,
    bytesRead: 1000 * seconds,
    bytesWritten: 10.5 * seconds,
    exitCode: 0,
    attempts: 1,
    executable: `/bin/${job}`,
    argv: ['-x', job],
    postScriptStart: start + seconds + 0.25,
    postScriptEnd: start + seconds + 1.125,
    ...extra,
  };
}

function run(runId: string, slow = 1, labels?: Map<string, string>): DatasetRun {
  return {
    runId,
    startedAt: 100,
    jobs: [record('a', 101, 2), record('b', 105, 3 * slow), record('c', 105.5, 1.7), record('d', 112, 0.3)],
    ...(labels ? { labels } : {}),
  };
}

describe('buildDataset', () => {
  it('builds the same table as loadFlowBench reading the same runs written as CSV', async () => {
    const runs = [run('r1'), run('r2', 4, new Map([['b', 'cpu_3']]))];
    const built = buildDataset(runs, { graph });
    const temp = await createTempDir();
    try {
      await mkdir(join(temp.path, 'diamond'));
      for (const r of runs) {
        const rows = toFlowBenchRows(r.jobs, {
          parents: (job) => graph.parents(job),
          workflowStart: r.startedAt as number,
          ...(r.labels ? { labels: r.labels } : {}),
        });
        await writeFile(join(temp.path, 'diamond', `${r.runId}.csv`), formatFlowBenchCsv(rows));
      }
      const loaded = await loadFlowBench(join(temp.path, 'diamond'), { adjacency: graph, generation: 2 });
      expect(built.runs.map((r) => [r.runId, r.label, r.anomalousJobs])).toEqual([
        ['r1', 'normal', 0],
        ['r2', 'cpu_3', 1],
      ]);
      expect(built.jobs.numRows).toBe(8);
      for (const field of loaded.jobs.schema.fields) {
        if (field.name === 'run_id') continue;
        expect(built.jobs.getChild(field.name)?.toArray(), field.name).toEqual(
          loaded.jobs.getChild(field.name)?.toArray(),
        );
      }
      const features = extractFeatures(built, { pipeline: 'flowbench-v1' });
      expect(features.values.length).toBe(2 * 4 * features.featureNames.length);
    } finally {
      await temp.dispose();
    }
  });

  it('masks the jobs a run lacks (empty cells, label normal) unless maskMissingJobs is false', () => {
    const partial: DatasetRun = { runId: 'failed', startedAt: 100, jobs: [record('a', 101, 2), record('b', 105, 3)] };
    const built = buildDataset([run('r1'), partial], { graph });
    expect(built.runs.length).toBe(2);
    const runtime = built.jobs.getChild('runtime')?.toArray() as Float64Array;
    expect(Number.isNaN(runtime[4 + graph.indexOf('c')])).toBe(true);
    expect(runtime[4 + graph.indexOf('b')]).toBe(3);
    const strict = buildDataset([run('r1'), partial], { graph, maskMissingJobs: false });
    expect(strict.skipped.map((s) => s.code)).toEqual(['PROTEUS_FEATURES_JOB_MISSING']);
  });

  it('throws PROTEUS_FEATURES_INVALID_OPTION for repeated run ids and PROTEUS_FEATURES_DATASET_EMPTY when nothing is left', () => {
    const codeOf = (f: () => unknown) => {
      try {
        f();
      } catch (error) {
        return isProteusError(error) ? error.code : String(error);
      }
      return 'no error';
    };
    expect(codeOf(() => buildDataset([run('x'), run('x')], { graph }))).toBe('PROTEUS_FEATURES_INVALID_OPTION');
    expect(codeOf(() => buildDataset([], { graph }))).toBe('PROTEUS_FEATURES_DATASET_EMPTY');
    const alien: DatasetRun = { runId: 'alien', jobs: [record('zz', 1, 1)] };
    expect(codeOf(() => buildDataset([alien], { graph }))).toBe('PROTEUS_FEATURES_DATASET_EMPTY');
    expect(codeOf(() => buildDataset([alien], { graph, strict: true }))).toBe('PROTEUS_FEATURES_JOB_NOT_IN_DAG');
  });
});
