import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type CommandRunner,
  type ErrorScope,
  type LongOperationOptions,
  ProteusError,
  type Redactor,
  reportProgress,
  scopedCode,
  sleep,
  type WorkflowRunResult,
} from '@proteus-wf/core';
import type { WorkflowGraph } from '@proteus-wf/workflow-graph';
import { parseDagman } from '@proteus-wf/workflow-graph';
import { buildJobRecords } from './build-job-records.js';
import { parseBraindump } from './parse-braindump.js';
import { parseJobstateLog } from './parse-jobstate-log.js';
import { type KickstartRecord, parseKickstart } from './parse-kickstart.js';

/*
 * One Pegasus run on a remote submit node, driven over a CommandRunner (testbeds.md §4.3-4.5): the cloud testbeds
 * share it, and it lives beside the parsers of the files it reads back. See docs/decisions/testbeds-cloud.md.
 */

/** Options of {@link runPegasusWorkflow}. */
export interface RunPegasusWorkflowOptions extends LongOperationOptions {
  /** Whose codes it throws: `PROTEUS_<prefix>_WORKFLOW_PLAN_FAILED` and friends (the testbed's). */
  scope: ErrorScope;
  /** Masks secrets in messages (command output can echo them). */
  redactor: Redactor;
  /** Names the run's folder on the submit node; letters, digits, `-`, `_`, `.`. */
  runId: string;
  /** Local folder where the collected submit-folder files are kept. */
  workDir: string;
  /** Folder for runs on the submit node (relative to the login's home, or absolute); the pool plan makes it. */
  remoteRunsDir: string;
  /** How often jobstate.log is checked for DAGMAN_FINISHED. */
  pollIntervalMs: number;
  /** After this long the run is removed with `pegasus-remove`. */
  timeoutMs: number;
  /** Extra pegasus-plan arguments (e.g. `--conf pegasus.properties`). */
  planArgs?: string[];
}

const COMMAND_TIMEOUT_MS = 5 * 60_000;
const BATCH = 200;

/**
 * Submits a Pegasus YAML 5.0 workflow on a submit node (`pegasus-plan --submit` on site `condorpool`) over its
 * CommandRunner, polls jobstate.log until DAGMan finishes, then reads braindump.yml, the .dag, jobstate.log and every
 * kickstart record back (`tail -v`, 200 files a call), keeps copies under `<workDir>/submit` and joins them into
 * JobRecords with {@link buildJobRecords}. A run that times out or is aborted is removed with `pegasus-remove`.
 * @example
 * const run = await runPegasusWorkflow(runnerFor('submit'), 'workflow.yml', {
 *   scope, redactor, runId: 'run0001', workDir: 'out/run0001', remoteRunsDir: 'proteus/runs',
 *   pollIntervalMs: 15_000, timeoutMs: 12 * 3_600_000, signal,
 * });
 * @throws ProteusError PROTEUS_<prefix>_INVALID_RUN_ID, PROTEUS_<prefix>_WORKFLOW_PLAN_FAILED,
 *   PROTEUS_<prefix>_WORKFLOW_TIMEOUT, PROTEUS_<prefix>_WORKFLOW_COLLECT_FAILED (a file that cannot be read or
 *   parsed), PROTEUS_CORE_ABORTED
 */
export async function runPegasusWorkflow(
  runner: CommandRunner,
  workflowPath: string,
  options: RunPegasusWorkflowOptions,
): Promise<WorkflowRunResult> {
  const { scope, redactor } = options;
  const where = `${scope.where}/runWorkflow`;
  if (!/^[-\w.]+$/.test(options.runId)) {
    throw new ProteusError(
      scopedCode(scope, 'INVALID_RUN_ID'),
      `${where}: runId must use letters, digits, "-", "_" or "." (got ${JSON.stringify(options.runId)}).`,
    );
  }
  const exec = async (file: string, args: string[], input?: string, allowFailure = true) =>
    runner.run(file, args, { timeoutMs: COMMAND_TIMEOUT_MS, signal: options.signal, input, allowFailure });
  const fail = (what: Uppercase<string>, message: string, details?: unknown, cause?: unknown): ProteusError =>
    new ProteusError(scopedCode(scope, what), redactor.redact(`${where}: ${message}`), { details, cause });

  const workflowText = await readFile(workflowPath, 'utf8');
  const remoteDir = `${options.remoteRunsDir}/${options.runId}`;
  const submitDir = `${remoteDir}/submit/run`;
  await exec('mkdir', ['-p', remoteDir], undefined, false);
  await exec('/bin/sh', ['-c', 'cat > "$1"', 'write', `${remoteDir}/workflow.yml`], workflowText, false);
  reportProgress(options.onProgress, { phase: 'submit', ratio: 0, message: options.runId });
  const plan = await exec('pegasus-plan', [
    '--dir',
    `${remoteDir}/submit`,
    '--relative-dir',
    'run',
    '--sites',
    'condorpool',
    '--output-sites',
    'local',
    ...(options.planArgs ?? []),
    '--submit',
    `${remoteDir}/workflow.yml`,
  ]);
  if (plan.exitCode !== 0) {
    throw fail(
      'WORKFLOW_PLAN_FAILED',
      `pegasus-plan exited ${plan.exitCode} for ${workflowPath} on ${runner.target}: ${(plan.stderr || plan.stdout).trim().slice(-600)}`,
      { exitCode: plan.exitCode },
    );
  }

  const started = Date.now();
  for (;;) {
    const finished = await exec('grep', ['-q', '-F', 'DAGMAN_FINISHED', `${submitDir}/jobstate.log`]);
    if (finished.exitCode === 0) break;
    const elapsed = Date.now() - started;
    if (elapsed >= options.timeoutMs || options.signal?.aborted) {
      // Leave nothing running on the pool: a stopped run must not disturb the next experiment.
      await runner.run('pegasus-remove', [submitDir], { timeoutMs: COMMAND_TIMEOUT_MS, allowFailure: true });
      if (options.signal?.aborted) {
        throw new ProteusError('PROTEUS_CORE_ABORTED', `${where}: aborted; run ${options.runId} was removed`, {
          cause: options.signal.reason,
        });
      }
      throw fail(
        'WORKFLOW_TIMEOUT',
        `run ${options.runId} did not finish within ${options.timeoutMs} ms; it was removed with pegasus-remove. ` +
          'Raise { workflowTimeoutMs } for long workflows.',
        { submitDir },
      );
    }
    reportProgress(options.onProgress, { phase: 'run', ratio: Math.min(0.95, elapsed / options.timeoutMs) });
    await sleep(options.pollIntervalMs, { signal: options.signal, where });
  }

  const read = async (path: string): Promise<string> => {
    const result = await exec('cat', ['--', path]);
    if (result.exitCode !== 0) {
      throw fail('WORKFLOW_COLLECT_FAILED', `cannot read ${path} on ${runner.target}: ${result.stderr.trim()}`, {
        path,
      });
    }
    return result.stdout;
  };
  const braindumpText = await read(`${submitDir}/braindump.yml`);
  const braindump = parseBraindump(braindumpText);
  const jobstateText = await read(`${submitDir}/jobstate.log`);
  const dagName = braindump.dag ?? `${braindump.daxLabel ?? 'workflow'}-0.dag`;
  const dagFile = dagName.split('/').pop() as string;
  const dagText = await read(`${submitDir}/${dagFile}`);
  const found = await exec('find', [submitDir, '-type', 'f', '-name', '*.out.[0-9][0-9][0-9]']);
  const outFiles = found.stdout
    .split('\n')
    .filter((line) => line.trim() !== '')
    .sort();
  const kickstartTexts = new Map<string, string>();
  for (let i = 0; i < outFiles.length; i += BATCH) {
    const batch = outFiles.slice(i, i + BATCH);
    const result = await exec('tail', ['-v', '-n', '+1', '--', ...batch]);
    for (const [path, text] of splitTailOutput(result.stdout)) kickstartTexts.set(path, text);
  }

  const local = join(options.workDir, 'submit');
  await mkdir(local, { recursive: true });
  await writeFile(join(local, 'braindump.yml'), braindumpText);
  await writeFile(join(local, 'jobstate.log'), jobstateText);
  await writeFile(join(local, dagFile), dagText);
  const kickstart = new Map<string, { attempt: number; records: KickstartRecord[] }>();
  for (const [path, text] of kickstartTexts) {
    const base = path.split('/').pop() as string;
    const match = /^(.*)\.out\.(\d{3})$/.exec(base);
    if (!match) continue;
    await writeFile(join(local, base), text);
    const job = match[1] as string;
    const attempt = Number(match[2]);
    const previous = kickstart.get(job);
    // The last attempt describes the execution that jobstate.log's final states refer to.
    if (previous && previous.attempt > attempt) continue;
    let records: KickstartRecord[];
    try {
      records = parseKickstart(text, { source: path });
    } catch (error) {
      throw fail(
        'WORKFLOW_COLLECT_FAILED',
        `cannot parse kickstart record ${path}: ${(error as Error).message}`,
        { path },
        error,
      );
    }
    kickstart.set(job, { attempt, records });
  }

  const jobstate = parseJobstateLog(jobstateText);
  let graph: WorkflowGraph;
  try {
    graph = parseDagman(dagText, { source: `${submitDir}/${dagFile}` });
  } catch (error) {
    throw fail(
      'WORKFLOW_COLLECT_FAILED',
      `cannot read the DAG ${dagFile}: ${(error as Error).message}`,
      { path: dagFile },
      error,
    );
  }
  const jobs = buildJobRecords(graph, jobstate, new Map([...kickstart].map(([job, value]) => [job, value.records])));
  reportProgress(options.onProgress, { phase: 'run', ratio: 1, data: { jobs: jobs.length } });
  return {
    runId: options.runId,
    workflow: braindump.daxLabel ?? workflowNameOf(workflowText) ?? 'workflow',
    startedAt: jobstate.dagmanStarted ?? Math.min(...jobs.map((j) => j.submit)),
    endedAt: jobstate.dagmanFinished ?? Math.max(...jobs.map((j) => j.executeEnd)),
    succeeded: jobstate.dagmanStatus === 0 && jobs.every((j) => j.exitCode === 0),
    jobs,
  };
}

function workflowNameOf(text: string): string | undefined {
  return /^name:\s*["']?([^"'\n]+?)["']?\s*$/m.exec(text)?.[1];
}

/** Splits `tail -v -n +1 -- a b` output into files. */
function splitTailOutput(text: string): Map<string, string> {
  const files = new Map<string, string>();
  let current: string | undefined;
  let body: string[] = [];
  const flush = (): void => {
    if (current !== undefined) files.set(current, body.join('\n'));
  };
  for (const line of text.split('\n')) {
    const header = /^==> (.*) <==$/.exec(line);
    if (header) {
      flush();
      current = header[1] as string;
      body = [];
    } else body.push(line);
  }
  flush();
  return files;
}
