import { execFile } from 'node:child_process';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type CommandRunner, createRedactor, type ErrorScope, isProteusError } from '@proteus-wf/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTempDir } from '../test/helpers.js';
import { type RunPegasusWorkflowOptions, runPegasusWorkflow } from './run-pegasus-workflow.js';

const scope: ErrorScope = { prefix: 'TEST', where: 'workflow-graph/test' };
const PEGASUS_BIN = join(import.meta.dirname, '../test/fixtures/pegasus-bin');

/** The "submit node" is this machine: real child processes with stand-in Pegasus programs first on PATH. */
function submitNode(binDirs: string[]): CommandRunner {
  const env = { ...process.env, PATH: [...binDirs, process.env.PATH].join(':') };
  return {
    target: 'local',
    run: (file, args, options = {}) =>
      new Promise((resolve, reject) => {
        const started = Date.now();
        const child = execFile(
          file,
          [...args],
          { env, timeout: options.timeoutMs ?? 30_000 },
          (error, stdout, stderr) => {
            const exitCode = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
            if (exitCode !== 0 && !options.allowFailure) reject(error);
            else resolve({ exitCode, stdout, stderr, durationMs: Date.now() - started });
          },
        );
        child.stdin?.on('error', () => undefined);
        child.stdin?.end(options.input ?? '');
      }),
  };
}

let dir: { path: string; dispose: () => Promise<void> };
beforeEach(async () => {
  dir = await createTempDir('proteus-pegasus-run-');
});
afterEach(async () => {
  await dir.dispose();
});

function options(overrides: Partial<RunPegasusWorkflowOptions> = {}): RunPegasusWorkflowOptions {
  return {
    scope,
    redactor: createRedactor(),
    runId: 'run-7',
    workDir: join(dir.path, 'work'),
    remoteRunsDir: join(dir.path, 'remote'),
    pollIntervalMs: 20,
    timeoutMs: 30_000,
    ...overrides,
  };
}

describe('runPegasusWorkflow', () => {
  it('plans and submits, polls jobstate.log until DAGMan finishes, and joins the files into job records', async () => {
    const workflow = join(dir.path, 'diamond.yml');
    await writeFile(workflow, 'pegasus: "5.0"\nname: diamond\njobs: []\n');
    const phases: string[] = [];
    const result = await runPegasusWorkflow(submitNode([PEGASUS_BIN]), workflow, {
      ...options(),
      onProgress: (event) => phases.push(event.phase),
    });
    expect(result).toMatchObject({
      runId: 'run-7',
      workflow: 'diamond',
      startedAt: 1709287198,
      endedAt: 1709287276,
      succeeded: true,
    });
    expect(result.jobs).toHaveLength(5);
    expect(result.jobs.find((j) => j.job === 'findrange_ID0000003')).toMatchObject({
      worker: 'worker2-container-4-7',
      attempts: 2,
      cpuTimeSeconds: 9,
      bytesWritten: 6000,
    });
    expect(phases[0]).toBe('submit');
    expect(await readFile(join(dir.path, 'work/submit/jobstate.log'), 'utf8')).toContain('DAGMAN_FINISHED');
    expect(await readFile(join(dir.path, 'work/submit/preprocess_ID0000001.out.000'), 'utf8')).toContain(
      'invocation: True',
    );
    expect(await readFile(join(dir.path, 'remote/run-7/workflow.yml'), 'utf8')).toContain('name: diamond');
  });

  it('throws PROTEUS_<prefix>_WORKFLOW_TIMEOUT and removes the run when DAGMan never finishes', async () => {
    const workflow = join(dir.path, 'w.yml');
    await writeFile(workflow, 'name: w\n');
    const stuck = submitNode([join(import.meta.dirname, '../test/fixtures/pegasus-bin-stuck')]);
    const error = await runPegasusWorkflow(stuck, workflow, options({ runId: 'r1', timeoutMs: 60 })).catch(
      (e: unknown) => e,
    );
    expect(isProteusError(error, 'PROTEUS_TEST_WORKFLOW_TIMEOUT')).toBe(true);
    expect(await readFile(join(dir.path, 'remote/r1/submit/run/REMOVED'), 'utf8')).toBe('removed\n');
  });

  it('throws PROTEUS_<prefix>_WORKFLOW_PLAN_FAILED with pegasus-plan output, and PROTEUS_<prefix>_INVALID_RUN_ID', async () => {
    const bin = join(dir.path, 'bin');
    await mkdir(bin);
    await writeFile(join(bin, 'pegasus-plan'), '#!/bin/sh\necho "ERROR: no site condorpool" >&2\nexit 3\n');
    await chmod(join(bin, 'pegasus-plan'), 0o755);
    const workflow = join(dir.path, 'w.yml');
    await writeFile(workflow, 'name: w\n');
    const failed = await runPegasusWorkflow(submitNode([bin]), workflow, options()).catch((e: unknown) => e);
    expect(isProteusError(failed, 'PROTEUS_TEST_WORKFLOW_PLAN_FAILED')).toBe(true);
    expect((failed as Error).message).toContain('no site condorpool');
    const invalid = await runPegasusWorkflow(submitNode([bin]), workflow, options({ runId: '../x' })).catch(
      (e: unknown) => e,
    );
    expect(isProteusError(invalid, 'PROTEUS_TEST_INVALID_RUN_ID')).toBe(true);
  });
});
