/*
 * Following a running Pegasus workflow: jobstate.log grows line by line (pegasus-monitord appends, may leave a partial
 * last line, and starts a fresh file when a workflow is restarted), and each job's kickstart record `<job>.out.NNN`
 * appears when the attempt ends. A job is reported once both say it finished.
 */
import { open, readdir, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { type JobRecord, ProteusError, sleep, throwIfAborted, writeFileAtomic } from '@proteus-wf/core';
import { parseDagman, type WorkflowGraph } from '@proteus-wf/workflow-graph';
import { buildJobRecords } from './build-job-records.js';
import { pegasusError } from './internal/errors.js';
import { parseBraindump } from './parse-braindump.js';
import { type Jobstate, type JobstateJob, parseJobstateLog } from './parse-jobstate-log.js';
import { type KickstartRecord, parseKickstart } from './parse-kickstart.js';
import { findSubmitDirs } from './read-submit-dir.js';

/** What {@link followSubmitDir} yields. */
export type SubmitDirEvent =
  | {
      kind: 'job';
      record: JobRecord;
      /** Milliseconds (`Date.now()`) when the job's kickstart record was first seen, else when its end was read. */
      seenAt: number;
      /** True for a job handed out before a restart, yielded again because `replayHandled` was set. */
      replayed?: boolean;
    }
  | {
      kind: 'finished';
      /** DAGMan's exit status (0 = every job succeeded). */
      status: number | undefined;
      /** Jobs reported over the whole follow, resumed sessions included. */
      jobs: number;
    };

/** Options of {@link followSubmitDir}. */
export interface FollowSubmitDirOptions {
  /** Where to keep the follow's progress (written atomically after each event); a restart resumes from it. */
  stateFile?: string;
  /**
   * On resuming from `stateFile`, first yield the jobs handed out before (`replayed: true`), so a consumer that keeps
   * no state of its own (a running score) can rebuild it. Default false.
   */
  replayHandled?: boolean;
  /** How often jobstate.log and new kickstart records are checked. Default 200 ms. */
  pollIntervalMs?: number;
  /** How long to wait for a finished job's kickstart record before reporting it without one. Default 30 s. */
  kickstartWaitMs?: number;
  /** Stop after this long without DAGMAN_FINISHED (`PROTEUS_PEGASUS_FOLLOW_TIMEOUT`). Default: no limit. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** The follow's saved progress. */
interface FollowState {
  format: 'proteus-follow';
  version: 1;
  submitDir: string;
  /** Bytes of jobstate.log read up to the last complete line. */
  offset: number;
  /** Identity of the jobstate.log being read (inode and device); another one means the log was rotated. */
  file: string;
  jobstate: {
    dagmanStarted?: number;
    dagmanFinished?: number;
    dagmanStatus?: number;
    jobs: Record<string, { states: Record<string, number>; submits: number; site?: string; exitCode?: number }>;
  };
  /** Jobs already reported. */
  reported: string[];
}

const WHERE = 'pegasus/followSubmitDir';
const DEFAULTS = { pollIntervalMs: 200, kickstartWaitMs: 30_000 };
const END_STATES = ['JOB_SUCCESS', 'JOB_FAILURE', 'JOB_TERMINATED', 'JOB_ABORTED'];
const MAX_DEPTH = 8;

/**
 * Follows a Pegasus submit directory while DAGMan runs and yields each job once it has finished (an end state in
 * jobstate.log and its kickstart record of the last attempt, or `kickstartWaitMs` without one), then `finished` after
 * DAGMAN_FINISHED once every finished job is out. jobstate.log is read incrementally from the last complete line (a
 * partial last line waits for the next poll); a log that shrinks or is replaced (rotation, a restarted workflow) is
 * read again from its start, on top of what is known. With `stateFile`, progress is saved atomically after each event
 * is handled and a later call resumes there: jobs already handled are not yielded again. Sub-workflows are not
 * followed (their jobs are in their own submit directories). A finished workflow yields its jobs and `finished` at once.
 * @example
 * for await (const event of followSubmitDir(submitDir, { stateFile: 'watch.json', signal })) {
 *   if (event.kind === 'job') console.log(event.record.job);
 * }
 * @throws ProteusError PROTEUS_PEGASUS_NOT_A_SUBMIT_DIR, PROTEUS_PEGASUS_DAG_INVALID, PROTEUS_PEGASUS_STATE_INVALID
 *   (a state file of another submit dir, or not one of this function's), PROTEUS_PEGASUS_FOLLOW_TIMEOUT,
 *   PROTEUS_CORE_ABORTED
 */
export async function* followSubmitDir(
  path: string,
  options: FollowSubmitDirOptions = {},
): AsyncGenerator<SubmitDirEvent, void, undefined> {
  const submitDir = resolve(path);
  const pollIntervalMs = options.pollIntervalMs ?? DEFAULTS.pollIntervalMs;
  const kickstartWaitMs = options.kickstartWaitMs ?? DEFAULTS.kickstartWaitMs;
  if (!(pollIntervalMs > 0) || !(kickstartWaitMs >= 0)) {
    throw pegasusError(
      'PROTEUS_PEGASUS_INVALID_OPTION',
      `${WHERE}: pollIntervalMs must be > 0 and kickstartWaitMs >= 0 (got ${pollIntervalMs}, ${kickstartWaitMs}).`,
    );
  }
  const graph = await waitForDag(submitDir, pollIntervalMs, options.signal);
  const state = options.stateFile ? await readState(options.stateFile, submitDir) : undefined;
  let offset = state?.offset ?? 0;
  let file = state?.file ?? '';
  const jobstate = state ? restoreJobstate(state.jobstate) : { jobs: new Map<string, JobstateJob>() };
  const reported = new Set(state?.reported ?? []);
  const endSeenAt = new Map<string, number>();
  const kickstartSeenAt = new Map<string, number>();
  const started = Date.now();
  const logPath = join(submitDir, 'jobstate.log');
  if (options.replayHandled && reported.size > 0) {
    const kickstartFiles = await scanKickstartFiles(submitDir);
    const records = new Map<string, KickstartRecord[]>();
    for (const name of reported) {
      const attempt = String(Math.max(0, (jobstate.jobs.get(name)?.submits ?? 1) - 1)).padStart(3, '0');
      const path = kickstartFiles.get(`${name}.out.${attempt}`);
      const parsed = path ? await readKickstart(path) : undefined;
      if (parsed) records.set(name, parsed);
    }
    const now = Date.now();
    for (const record of buildJobRecords(graph, jobstate, records)) {
      if (reported.has(record.job)) yield { kind: 'job', record, seenAt: now, replayed: true };
    }
  }

  for (;;) {
    throwIfAborted(options.signal, WHERE);
    // 1. New complete lines of jobstate.log.
    const info = await stat(logPath).catch(() => undefined);
    if (info) {
      const identity = `${info.dev}:${info.ino}`;
      if (identity !== file || info.size < offset) {
        offset = 0;
        file = identity;
      }
      if (info.size > offset) {
        // Only complete lines are used; a partial last line is read again, whole, at the next poll.
        const chunk = await readFrom(logPath, offset, info.size);
        const lastNewline = chunk.lastIndexOf(0x0a);
        if (lastNewline >= 0) {
          mergeJobstate(jobstate, parseJobstateLog(chunk.subarray(0, lastNewline + 1).toString('utf8')));
          offset += lastNewline + 1;
        }
      }
    }
    // 2. Finished jobs whose kickstart record is there (or overdue).
    const now = Date.now();
    const waiting = [...jobstate.jobs].filter(
      ([name, job]) => !reported.has(name) && graph.hasJob(name) && END_STATES.some((s) => job.states.has(s)),
    );
    if (waiting.length > 0) {
      const kickstartFiles = await scanKickstartFiles(submitDir);
      for (const [name, job] of waiting) {
        if (!endSeenAt.has(name)) endSeenAt.set(name, now);
        const attempt = String(Math.max(0, job.submits - 1)).padStart(3, '0');
        const recordPath = kickstartFiles.get(`${name}.out.${attempt}`);
        let records: KickstartRecord[] | undefined;
        if (recordPath) {
          if (!kickstartSeenAt.has(name)) kickstartSeenAt.set(name, now);
          records = await readKickstart(recordPath);
        }
        const overdue =
          now - (endSeenAt.get(name) as number) >= kickstartWaitMs || jobstate.dagmanFinished !== undefined;
        if (records === undefined && !overdue) continue;
        const record = buildJobRecords(graph, jobstate, new Map(records ? [[name, records]] : [])).find(
          (r) => r.job === name,
        );
        if (!record) continue;
        reported.add(name);
        try {
          yield { kind: 'job', record, seenAt: kickstartSeenAt.get(name) ?? (endSeenAt.get(name) as number) };
        } finally {
          // Saved once the consumer is done with the job, also when it stops the follow there (return()).
          if (options.stateFile) await saveState(options.stateFile, submitDir, offset, file, jobstate, reported);
        }
      }
    }
    // 3. The end of the workflow.
    const unreported = [...jobstate.jobs].some(
      ([name, job]) => !reported.has(name) && graph.hasJob(name) && END_STATES.some((s) => job.states.has(s)),
    );
    if (jobstate.dagmanFinished !== undefined && !unreported) {
      if (options.stateFile) await saveState(options.stateFile, submitDir, offset, file, jobstate, reported);
      yield { kind: 'finished', status: jobstate.dagmanStatus, jobs: reported.size };
      return;
    }
    if (options.timeoutMs !== undefined && Date.now() - started >= options.timeoutMs) {
      throw new ProteusError(
        'PROTEUS_PEGASUS_FOLLOW_TIMEOUT',
        `${WHERE}: ${submitDir} did not finish within ${options.timeoutMs} ms (${reported.size} jobs reported). Is DAGMan still running (pegasus-status)?`,
        { details: { submitDir, reported: reported.size } },
      );
    }
    await sleep(pollIntervalMs, { where: WHERE, ...(options.signal ? { signal: options.signal } : {}) });
  }
}

/** The DAG of the submit directory; a run being planned may not have its braindump or .dag yet. */
async function waitForDag(
  submitDir: string,
  pollIntervalMs: number,
  signal: AbortSignal | undefined,
): Promise<WorkflowGraph> {
  for (let tries = 0; ; tries++) {
    const braindump = await readFile(join(submitDir, 'braindump.yml'), 'utf8').catch(() => undefined);
    if (braindump !== undefined) {
      const dag = parseBraindump(braindump).dag?.split('/').pop();
      const text = dag ? await readFile(join(submitDir, dag), 'utf8').catch(() => undefined) : undefined;
      if (text !== undefined) {
        try {
          return parseDagman(text, { source: join(submitDir, dag as string) });
        } catch (cause) {
          throw pegasusError(
            'PROTEUS_PEGASUS_DAG_INVALID',
            `${WHERE}: cannot read ${join(submitDir, dag as string)}: ${(cause as Error).message}`,
            {
              cause,
              details: { path: join(submitDir, dag as string) },
            },
          );
        }
      }
    }
    if (tries * pollIntervalMs >= 10_000) {
      const below = await findSubmitDirs(submitDir).catch(() => []);
      throw pegasusError(
        'PROTEUS_PEGASUS_NOT_A_SUBMIT_DIR',
        `${WHERE}: ${submitDir} has no braindump.yml naming a readable .dag after 10 s` +
          (below.length > 0 && below[0] !== submitDir
            ? `; submit directories below it: ${below.slice(0, 3).join(', ')}.`
            : '. Pass the submit directory pegasus-plan printed.'),
        { details: { path: submitDir } },
      );
    }
    await sleep(pollIntervalMs, { where: WHERE, ...(signal ? { signal } : {}) });
  }
}

async function readFrom(path: string, start: number, end: number): Promise<Buffer> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(end - start);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, start);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/** Later lines win, as in one log: a rotated log's replay or a retry overwrites earlier states. */
function mergeJobstate(into: Jobstate, next: Jobstate): void {
  if (next.dagmanStarted !== undefined) into.dagmanStarted ??= next.dagmanStarted;
  if (next.dagmanFinished !== undefined) into.dagmanFinished = next.dagmanFinished;
  if (next.dagmanStatus !== undefined) into.dagmanStatus = next.dagmanStatus;
  for (const [name, job] of next.jobs) {
    const known = into.jobs.get(name);
    if (!known) {
      into.jobs.set(name, job);
      continue;
    }
    if (job.states.has('SUBMIT')) for (const s of END_STATES) known.states.delete(s);
    for (const [s, t] of job.states) known.states.set(s, t);
    known.submits += job.submits;
    if (job.site !== undefined) known.site = job.site;
    if (job.exitCode !== undefined) known.exitCode = job.exitCode;
  }
}

async function scanKickstartFiles(submitDir: string): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  const walk = async (dir: string, depth: number): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      if (entry.isFile() && /\.out\.\d{3}$/.test(entry.name)) files.set(entry.name, join(dir, entry.name));
      else if (entry.isDirectory() && depth < MAX_DEPTH && /^\d+$/.test(entry.name))
        await walk(join(dir, entry.name), depth + 1);
    }
  };
  await walk(submitDir, 0);
  return files;
}

/** A record being written is not YAML yet: it counts as absent until it parses. */
async function readKickstart(path: string): Promise<KickstartRecord[] | undefined> {
  const text = await readFile(path, 'utf8').catch(() => '');
  if (text.trim() === '') return undefined;
  try {
    const records = parseKickstart(text, { source: path });
    return records.length > 0 ? records : undefined;
  } catch {
    return undefined;
  }
}

async function readState(stateFile: string, submitDir: string): Promise<FollowState | undefined> {
  let text: string;
  try {
    text = await readFile(stateFile, 'utf8');
  } catch {
    return undefined;
  }
  let state: FollowState;
  try {
    state = JSON.parse(text) as FollowState;
  } catch (cause) {
    throw pegasusError(
      'PROTEUS_PEGASUS_STATE_INVALID',
      `${WHERE}: ${stateFile} is not JSON. Delete it to follow from the start.`,
      {
        cause,
        details: { stateFile },
      },
    );
  }
  if (state?.format !== 'proteus-follow' || state.version !== 1 || typeof state.offset !== 'number') {
    throw pegasusError(
      'PROTEUS_PEGASUS_STATE_INVALID',
      `${WHERE}: ${stateFile} is not a follow state written by followSubmitDir (format "proteus-follow", version 1). Pass another --state file, or delete it to follow from the start.`,
      { details: { stateFile } },
    );
  }
  if (state.submitDir !== submitDir) {
    throw pegasusError(
      'PROTEUS_PEGASUS_STATE_INVALID',
      `${WHERE}: ${stateFile} follows ${state.submitDir}, not ${submitDir}. Use one state file per submit directory.`,
      { details: { stateFile, expected: submitDir, found: state.submitDir } },
    );
  }
  return state;
}

function restoreJobstate(saved: FollowState['jobstate']): Jobstate {
  const jobstate: Jobstate = { jobs: new Map() };
  if (saved.dagmanStarted !== undefined) jobstate.dagmanStarted = saved.dagmanStarted;
  if (saved.dagmanFinished !== undefined) jobstate.dagmanFinished = saved.dagmanFinished;
  if (saved.dagmanStatus !== undefined) jobstate.dagmanStatus = saved.dagmanStatus;
  for (const [name, job] of Object.entries(saved.jobs)) {
    jobstate.jobs.set(name, {
      states: new Map(Object.entries(job.states)),
      submits: job.submits,
      ...(job.site !== undefined ? { site: job.site } : {}),
      ...(job.exitCode !== undefined ? { exitCode: job.exitCode } : {}),
    });
  }
  return jobstate;
}

async function saveState(
  stateFile: string,
  submitDir: string,
  offset: number,
  file: string,
  jobstate: Jobstate,
  reported: ReadonlySet<string>,
): Promise<void> {
  const state: FollowState = {
    format: 'proteus-follow',
    version: 1,
    submitDir,
    offset,
    file,
    jobstate: {
      ...(jobstate.dagmanStarted !== undefined ? { dagmanStarted: jobstate.dagmanStarted } : {}),
      ...(jobstate.dagmanFinished !== undefined ? { dagmanFinished: jobstate.dagmanFinished } : {}),
      ...(jobstate.dagmanStatus !== undefined ? { dagmanStatus: jobstate.dagmanStatus } : {}),
      jobs: Object.fromEntries(
        [...jobstate.jobs].map(([name, job]) => [
          name,
          {
            states: Object.fromEntries(job.states),
            submits: job.submits,
            ...(job.site !== undefined ? { site: job.site } : {}),
            ...(job.exitCode !== undefined ? { exitCode: job.exitCode } : {}),
          },
        ]),
      ),
    },
    reported: [...reported],
  };
  await writeFileAtomic(stateFile, `${JSON.stringify(state)}\n`);
}
