import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type CommandRunner,
  type Deployment,
  type JobRecord,
  ProteusError,
  type RunWorkflowOptions,
  type Testbed,
  type WorkerInfo,
  type WorkflowRunResult,
} from '@proteus-wf/core';
import { loadWorkflowDag } from '../../src/internal/load-workflow-dag.js';

export interface ProcessTestbedOptions {
  workers: string[];
  /** Milliseconds each job runs (a real `sleep` process). */
  jobMs?: number;
  /** Injector target of every worker (default `local`). */
  target?: string;
  /** Job names that exit 1 (to test failed runs). */
  failingJobs?: string[];
}

/**
 * A small real testbed for the controller's own tests: every job is a `sh -c 'sleep …'` child process,
 * workers have one slot each, jobs go to free workers in name order, and timestamps are taken around the processes.
 * It follows the core `Testbed` contract (provision is idempotent, abort kills running jobs).
 */
export function createProcessTestbed(options: ProcessTestbedOptions): Testbed & { provisions: number } {
  const workers: WorkerInfo[] = options.workers.map((name) => ({
    name,
    cores: 1,
    memoryMb: 256,
    site: 'test-site',
    target: options.target ?? 'local',
    slots: 1,
  }));
  const deployment: Deployment = { testbed: 'process', workers, resources: [] };
  const testbed = {
    name: 'process',
    provisions: 0,
    async provision() {
      testbed.provisions++;
      return deployment;
    },
    runnerFor(): CommandRunner {
      throw new ProteusError('PROTEUS_TEST_NO_RUNNER', 'the process testbed has no command runner');
    },
    async runWorkflow(workflowPath: string, run: RunWorkflowOptions): Promise<WorkflowRunResult> {
      const dag = await loadWorkflowDag(workflowPath);
      const parents = new Map<string, string[]>(Object.keys(dag).map((name) => [name, []]));
      for (const [parent, children] of Object.entries(dag)) {
        for (const child of children) parents.get(child)?.push(parent);
      }
      const startedAt = Date.now() / 1000;
      const records = new Map<string, JobRecord>();
      const readyAt = new Map<string, number>();
      const free = workers.map((worker) => worker.name);
      const running = new Set<Promise<void>>();
      let failed = false;
      const isReady = (name: string) => (parents.get(name) ?? []).every((parent) => records.has(parent));
      const pending = new Set(Object.keys(dag));
      while (pending.size > 0 || running.size > 0) {
        if (run.signal?.aborted) throw new ProteusError('PROTEUS_CORE_ABORTED', 'process testbed: aborted');
        for (const name of [...pending]) {
          if (!isReady(name) || free.length === 0 || failed) continue;
          pending.delete(name);
          if (!readyAt.has(name)) readyAt.set(name, Date.now() / 1000);
          const worker = free.shift() as string;
          const task = runJob(name, worker, readyAt.get(name) as number, run, options).then((record) => {
            records.set(name, record);
            if (record.exitCode !== 0) failed = true;
            free.push(worker);
            free.sort();
            running.delete(task);
          });
          running.add(task);
        }
        if (failed && running.size === 0) break;
        if (running.size > 0) await Promise.race(running);
      }
      return {
        runId: run.runId,
        workflow: workflowPath,
        startedAt,
        endedAt: Date.now() / 1000,
        succeeded: !failed && records.size === Object.keys(dag).length,
        jobs: [...records.values()],
      };
    },
    async release() {},
    async [Symbol.asyncDispose]() {},
  };
  return testbed;
}

function runJob(
  name: string,
  worker: string,
  ready: number,
  run: RunWorkflowOptions,
  options: ProcessTestbedOptions,
): Promise<JobRecord> {
  const ms = options.jobMs ?? 20;
  const code = options.failingJobs?.includes(name) ? 1 : 0;
  const argv = ['-c', `sleep ${ms / 1000}; exit ${code}`];
  const submit = Date.now() / 1000;
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', argv, { stdio: 'ignore', signal: run.signal });
    const executeStart = Date.now() / 1000;
    child.on('error', reject);
    child.on('exit', (exitCode) => {
      const executeEnd = Date.now() / 1000;
      writeFile(join(run.workDir, `${name}.done`), String(exitCode)).then(
        () =>
          resolve({
            job: name,
            type: 'compute',
            transformation: name.replace(/_ID\d+$/, ''),
            worker,
            ready,
            submit,
            executeStart,
            executeEnd,
            cpuTimeSeconds: 0,
            bytesRead: 0,
            bytesWritten: 0,
            exitCode: exitCode ?? 1,
            attempts: 1,
            executable: '/bin/sh',
            argv,
          }),
        reject,
      );
    });
  });
}
