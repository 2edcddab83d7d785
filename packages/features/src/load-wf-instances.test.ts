import { copyFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isProteusError } from '@proteus-wf/core';
import { describe, expect, it } from 'vitest';
import { createTempDir } from '../test/support.js';
import { extractFeatures } from './extract-features.js';
import { loadWfInstances, readWfInstance } from './load-wf-instances.js';

const FIXTURE = join(import.meta.dirname, '../test/fixtures/diamond-wfinstance-1.5.json');

async function codeOf(promise: Promise<unknown>): Promise<string> {
  return promise.then(
    () => 'no error',
    (error: unknown) => (isProteusError(error) ? error.code : String(error)),
  );
}

describe('readWfInstance', () => {
  it('turns execution data into job records scheduled from the DAG when tasks carry no start time', async () => {
    const { graph, run, hasStartTimes } = readWfInstance(await readFile(FIXTURE, 'utf8'), { source: FIXTURE });
    expect(hasStartTimes).toBe(false);
    const start = Date.UTC(2021, 2, 23, 6, 4, 36) / 1000;
    const byName = new Map(run.jobs.map((job) => [job.job, job]));
    expect(byName.get('ID0000001')).toMatchObject({ executeStart: start, executeEnd: start + 4, cpuTimeSeconds: 2 });
    expect(byName.get('ID0000004')).toMatchObject({ ready: start + 13, executeStart: start + 13, worker: 'worker-2' });
    expect(byName.get('ID0000002')).toMatchObject({ bytesRead: 4096, bytesWritten: 512, transformation: 'findrange' });
    expect(byName.get('ID0000003')).toMatchObject({ bytesRead: 600, bytesWritten: 60 });
    expect(graph.size).toBe(4);
  });

  it('throws PROTEUS_FEATURES_INSTANCE_INVALID for an instance without execution data', () => {
    const spec = {
      name: 'x',
      schemaVersion: '1.5',
      workflow: { specification: { tasks: [{ id: 'a', parents: [], children: [] }] } },
    };
    try {
      readWfInstance(spec);
      expect.unreachable();
    } catch (error) {
      expect(isProteusError(error, 'PROTEUS_FEATURES_INSTANCE_INVALID')).toBe(true);
    }
  });
});

describe('loadWfInstances', () => {
  it('loads one instance as one run, and a folder of instances of one DAG as many runs', async () => {
    const one = await loadWfInstances(FIXTURE);
    expect(one.runs.map((run) => run.runId)).toEqual(['diamond-wfinstance-1.5']);
    const runtime = one.jobs.getChild('runtime')?.toArray() as Float64Array;
    expect(runtime[one.graph.indexOf('ID0000003')]).toBe(9);
    expect(extractFeatures(one, { pipeline: 'flowbench-v1' }).values.length).toBeGreaterThan(0);
    const temp = await createTempDir();
    try {
      await copyFile(FIXTURE, join(temp.path, 'a.json'));
      await copyFile(FIXTURE, join(temp.path, 'b.json'));
      expect((await loadWfInstances(temp.path)).runs.map((run) => run.runId)).toEqual(['a', 'b']);
      const other = JSON.parse(await readFile(FIXTURE, 'utf8'));
      other.workflow.specification.tasks.pop();
      other.workflow.specification.tasks[1].children = [];
      other.workflow.specification.tasks[2].children = [];
      await writeFile(join(temp.path, 'c.json'), JSON.stringify(other));
      expect(await codeOf(loadWfInstances(temp.path))).toBe('PROTEUS_FEATURES_WORKFLOW_MISMATCH');
      expect(await codeOf(loadWfInstances(join(temp.path, 'none.json')))).toBe('PROTEUS_FEATURES_PATH_NOT_FOUND');
    } finally {
      await temp.dispose();
    }
  });
});
