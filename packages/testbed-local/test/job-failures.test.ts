import { chmodSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalTestbed } from '../src/index.js';
import { writeTestWorkflow, yamlUnavailable } from './helpers.js';

const noYaml = yamlUnavailable();
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'proteus-job-failures-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe.skipIf(noYaml)('runWorkflow failures', () => {
  it('names a job that cannot start with the errno, and the jobs skipped after it', async () => {
    const folder = join(dir, 'eacces');
    const yaml = await writeTestWorkflow(folder, 'eacces', [
      { id: 'first', script: 'process.exit(0);\n' },
      { id: 'second', script: 'process.exit(0);\n', parents: ['first'] },
    ]);
    // Make `first` a shell script without the execute bit: sh exits 126 and says nothing we can parse.
    writeFileSync(join(folder, 'bin', 'first.sh'), '#!/bin/sh\nexit 0\n');
    chmodSync(join(folder, 'bin', 'first.sh'), 0o644);
    writeFileSync(yaml, readFileSync(yaml, 'utf8').replace('bin/first.mjs', 'bin/first.sh'));
    await using testbed = createLocalTestbed({ workers: 1, isolation: 'process-group', workDir: join(dir, 'tb1') });
    const run = await testbed.runWorkflow(yaml, { runId: 'run0001', workDir: join(dir, 'run0001') });
    expect(run.succeeded).toBe(false);
    expect(run.failures).toEqual([{ job: 'first', attempts: 1, reason: expect.stringMatching(/EACCES/) }]);
    expect(run.skipped).toEqual(['second']);
  });

  it('names the errno of a job whose scratch folder cannot be made', async () => {
    const yaml = await writeTestWorkflow(join(dir, 'enotdir'), 'enotdir', [
      { id: 'only', script: 'process.exit(0);\n' },
    ]);
    const runDir = join(dir, 'run0002');
    await mkdir(runDir, { recursive: true });
    writeFileSync(join(runDir, 'scratch'), 'a file where the scratch folder goes');
    await using testbed = createLocalTestbed({ workers: 1, isolation: 'process-group', workDir: join(dir, 'tb2') });
    const run = await testbed.runWorkflow(yaml, { runId: 'run0002', workDir: runDir });
    expect(run.succeeded).toBe(false);
    expect(run.jobs).toEqual([]);
    expect(run.failures).toEqual([{ job: 'only', attempts: 1, reason: expect.stringMatching(/ENOTDIR|EEXIST/) }]);
  });

  it('runs a job whose 250-byte name is too long for its log file names, under a hashed short name', async () => {
    const name = `j${'x'.repeat(249)}`;
    const yaml = await writeTestWorkflow(join(dir, 'long'), 'long', [{ id: name, script: 'process.exit(0);\n' }]);
    await using testbed = createLocalTestbed({ workers: 1, isolation: 'process-group', workDir: join(dir, 'tb3') });
    const runDir = join(dir, 'run0003');
    const run = await testbed.runWorkflow(yaml, { runId: 'run0003', workDir: runDir });
    expect(run.failures).toBeUndefined();
    expect(run.succeeded).toBe(true);
    expect(run.jobs.map((job) => job.job)).toEqual([name]);
    expect(readdirSync(join(runDir, 'logs')).every((file) => file.length < 100)).toBe(true);
  });
});
