import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readSubmitDir } from '@proteus-wf/pegasus';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalTestbed } from '../src/index.js';
import { generateExample, yamlUnavailable } from './helpers.js';

const noYaml = yamlUnavailable();
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'proteus-testbed-local-submit-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe.skipIf(noYaml)('testbed-local runs as Pegasus submit directories', () => {
  it('writes <workDir>/submit, which the Pegasus reader reads back as the run the testbed returned', async () => {
    const yaml = generateExample('1000genome-like', join(dir, 'g1k'));
    await using testbed = createLocalTestbed({ workers: 2, isolation: 'process-group', workDir: join(dir, 'tb') });
    const run = await testbed.runWorkflow(yaml, { runId: 'run0001', workDir: join(dir, 'run0001') });
    const read = await readSubmitDir(join(dir, 'run0001', 'submit'));
    expect(read.workflow).toBe(run.workflow);
    expect(read.result.succeeded).toBe(run.succeeded);
    expect(read.result.jobs.map((job) => job.job).sort()).toEqual(run.jobs.map((job) => job.job).sort());
    const back = new Map(read.result.jobs.map((job) => [job.job, job]));
    for (const job of run.jobs) {
      const other = back.get(job.job);
      expect(other, job.job).toBeDefined();
      expect(other?.executeStart).toBeCloseTo(job.executeStart, 3);
      expect(other?.executeEnd).toBeCloseTo(job.executeEnd, 3);
      expect(other?.submit).toBeCloseTo(job.submit, 3);
      expect(other).toMatchObject({
        worker: job.worker,
        exitCode: job.exitCode,
        attempts: job.attempts,
        bytesRead: job.bytesRead,
        bytesWritten: job.bytesWritten,
        executable: job.executable,
        argv: job.argv,
      });
      expect(other?.cpuTimeSeconds).toBeCloseTo(job.cpuTimeSeconds, 6);
    }
  });
});
