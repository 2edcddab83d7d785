// Placement (issue 14 §3): testbed-local calls the placement's `enter` before a target job starts on its worker and
// `leave` after it ended. The jobs themselves check the order through a marker file the hooks write and remove.
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isProteusError, type JobPlacement } from '@proteus-wf/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalTestbed } from '../src/index.js';
import { writeTestWorkflow, yamlUnavailable } from './helpers.js';

const noYaml = yamlUnavailable();
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'proteus-placement-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** a and b in parallel, c after both; b exits 3 unless the marker exists, c exits 4 if it still does. */
async function writeMarkerWorkflow(folder: string, marker: string): Promise<string> {
  const m = JSON.stringify(marker);
  return writeTestWorkflow(folder, 'placed', [
    { id: 'a', script: 'process.exit(0);\n' },
    { id: 'b', script: `import { existsSync } from 'node:fs';\nprocess.exit(existsSync(${m}) ? 0 : 3);\n` },
    {
      id: 'c',
      script: `import { existsSync } from 'node:fs';\nprocess.exit(existsSync(${m}) ? 4 : 0);\n`,
      parents: ['a', 'b'],
    },
  ]);
}

describe.skipIf(noYaml)('runWorkflow with a placement', () => {
  it('awaits enter on the worker of each target job before it starts, and leave after it ends', async () => {
    const marker = join(dir, 'marker-1');
    const yaml = await writeMarkerWorkflow(join(dir, 'wf1'), marker);
    const calls: string[] = [];
    const placement: JobPlacement = {
      jobs: ['b'],
      enter: async (worker, job) => {
        calls.push(`enter ${worker} ${job}`);
        await writeFile(marker, worker);
      },
      leave: async (worker, job) => {
        calls.push(`leave ${worker} ${job}`);
        await rm(marker);
      },
    };
    await using testbed = createLocalTestbed({ workers: 2, isolation: 'process-group', workDir: join(dir, 'tb1') });
    expect(testbed.supportsPlacement).toBe(true);
    const run = await testbed.runWorkflow(yaml, { runId: 'run0001', workDir: join(dir, 'run0001'), placement });
    expect(run.failures).toBeUndefined();
    expect(run.succeeded).toBe(true);
    const worker = run.jobs.find((job) => job.job === 'b')?.worker;
    expect(calls).toEqual([`enter ${worker} b`, `leave ${worker} b`]);
    expect(existsSync(marker)).toBe(false);
  });

  it('throws PROTEUS_TESTBED_LOCAL_INVALID_OPTIONS for a placement on a job the workflow does not have', async () => {
    const yaml = await writeMarkerWorkflow(join(dir, 'wf2'), join(dir, 'marker-2'));
    const placement: JobPlacement = { jobs: ['nope'], enter: async () => {}, leave: async () => {} };
    await using testbed = createLocalTestbed({ workers: 1, isolation: 'process-group', workDir: join(dir, 'tb2') });
    const error = await testbed
      .runWorkflow(yaml, { runId: 'run0002', workDir: join(dir, 'run0002'), placement })
      .catch((caught: unknown) => caught);
    expect(isProteusError(error, 'PROTEUS_TESTBED_LOCAL_INVALID_OPTIONS')).toBe(true);
  });

  it('throws PROTEUS_TESTBED_LOCAL_PLACEMENT_FAILED when enter fails, without starting the target job', async () => {
    const yaml = await writeMarkerWorkflow(join(dir, 'wf3'), join(dir, 'marker-3'));
    const left: string[] = [];
    const placement: JobPlacement = {
      jobs: ['b'],
      enter: async () => {
        throw new Error('cgroup gone');
      },
      leave: async (_worker, job) => {
        left.push(job);
      },
    };
    await using testbed = createLocalTestbed({ workers: 2, isolation: 'process-group', workDir: join(dir, 'tb3') });
    const error = await testbed
      .runWorkflow(yaml, { runId: 'run0003', workDir: join(dir, 'run0003'), placement })
      .catch((caught: unknown) => caught);
    expect(isProteusError(error, 'PROTEUS_TESTBED_LOCAL_PLACEMENT_FAILED')).toBe(true);
    expect(left).toEqual([]);
  });
});
