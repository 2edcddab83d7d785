/*
 * The other direction: a run that did not go through Pegasus (testbed-local, a simulator) written as a Pegasus 5
 * submit directory, so readSubmitDir, followSubmitDir and `proteus watch` treat it exactly like a real one.
 */
import { appendFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { type JobRecord, writeFileAtomic } from '@proteus-wf/core';
import * as yaml from 'yaml';
import { pegasusError } from './internal/errors.js';

/** One job of the DAG the writer declares. */
export interface SubmitDirJob {
  name: string;
  parents: readonly string[];
}

/** Options of {@link createSubmitDirWriter}. */
export interface CreateSubmitDirWriterOptions {
  /** The workflow name (`dax_label`); names the `.dag` `<workflow>-0.dag`. */
  workflow: string;
  /** Every job of the DAG with its parents. */
  jobs: readonly SubmitDirJob[];
  /** `user` of braindump.yml. Default `proteus`. */
  user?: string;
  /** `wf_uuid`; default derived from the folder. */
  wfUuid?: string;
}

/** Writes one run's submit directory as the run goes; see {@link createSubmitDirWriter}. */
export interface SubmitDirWriter {
  readonly dir: string;
  /** Writes braindump.yml and the .dag, and starts jobstate.log (DAGMAN_STARTED at `startedAt`, epoch seconds). */
  start(startedAt: number): Promise<void>;
  /** Records one finished attempt: its kickstart record `00/00/<job>.out.NNN` first, then its jobstate.log lines. */
  jobFinished(record: JobRecord): Promise<void>;
  /** Ends jobstate.log with DAGMAN_FINISHED (status 0 when the run succeeded, else 1). */
  finish(endedAt: number, succeeded: boolean): Promise<void>;
}

const WHERE = 'pegasus/createSubmitDirWriter';
// Kickstart records are named `<job>.out.NNN`: the name plus 8 characters must fit a 255-byte file name.
const NAME = /^[A-Za-z0-9_.+-]{1,240}$/;

/**
 * Creates a writer of a Pegasus-5-compatible submit directory for a run that executes elsewhere: `braindump.yml`, a
 * DAGMan `<workflow>-0.dag`, `jobstate.log` (one block of lines per finished attempt: SUBMIT, EXECUTE,
 * JOB_TERMINATED, JOB_SUCCESS or JOB_FAILURE, and the POST_SCRIPT states when the record has them) and one kickstart 3.0
 * record per attempt (`00/00/<job>.out.NNN`, YAML, written atomically before the job's jobstate lines). Reading it back
 * with `readSubmitDir` gives the records again; `followSubmitDir` and `proteus watch` follow it while it is written.
 * @example
 * const writer = createSubmitDirWriter('runs/run0001/submit', { workflow: 'diamond', jobs });
 * await writer.start(Date.now() / 1000);
 * await writer.jobFinished(record); // as each attempt ends
 * await writer.finish(Date.now() / 1000, true);
 * @throws ProteusError PROTEUS_PEGASUS_INVALID_OPTION for a job or workflow name DAGMan cannot take (spaces, quotes)
 */
export function createSubmitDirWriter(dir: string, options: CreateSubmitDirWriterOptions): SubmitDirWriter {
  const bad = [options.workflow, ...options.jobs.map((job) => job.name)].filter((name) => !NAME.test(name));
  if (bad.length > 0) {
    throw pegasusError(
      'PROTEUS_PEGASUS_INVALID_OPTION',
      `${WHERE}: DAGMan names take letters, digits and _ . + - only (at most 240 of them); got ${bad
        .slice(0, 5)
        .map((name) => JSON.stringify(name))
        .join(', ')}. Rename the jobs (or the workflow).`,
      { details: { names: bad } },
    );
  }
  const log = join(dir, 'jobstate.log');
  const records = join(dir, '00', '00');
  let sequence = 0;
  const append = (lines: string[]): Promise<void> => appendFile(log, `${lines.join('\n')}\n`);
  const line = (time: number, job: string, state: string, id: string | number, site = 'local'): string =>
    `${epoch(time)} ${job} ${state} ${id} ${site} - ${sequence}`;

  return {
    dir,
    async start(startedAt) {
      await mkdir(records, { recursive: true });
      const dag = `${options.workflow}-0.dag`;
      const braindump = {
        user: options.user ?? 'proteus',
        root_wf_uuid: options.wfUuid ?? `proteus-${options.workflow}`,
        wf_uuid: options.wfUuid ?? `proteus-${options.workflow}`,
        dax_label: options.workflow,
        dax_index: '0',
        pegasus_wf_name: `${options.workflow}-0`,
        submit_dir: dir,
        planner: 'proteus',
        jsd: 'jobstate.log',
        type: 'dag',
        dag,
      };
      await writeFileAtomic(
        join(dir, 'braindump.yml'),
        Object.entries(braindump)
          .map(([key, value]) => `${key}: ${JSON.stringify(value)}\n`)
          .join(''),
      );
      const dagLines = ['# DAG written by @proteus-wf/pegasus createSubmitDirWriter', ''];
      for (const job of options.jobs) dagLines.push(`JOB ${job.name} 00/00/${job.name}.sub`);
      dagLines.push('');
      for (const job of options.jobs)
        for (const parent of job.parents) dagLines.push(`PARENT ${parent} CHILD ${job.name}`);
      await writeFileAtomic(join(dir, dag), `${dagLines.join('\n')}\n`);
      await writeFileAtomic(log, '');
      await append([
        `${epoch(startedAt)} INTERNAL *** MONITORD_STARTED 0 ***`,
        `${epoch(startedAt)} INTERNAL *** DAGMAN_STARTED 1 ***`,
      ]);
    },
    async jobFinished(record) {
      sequence++;
      const attempt = String(Math.max(0, record.attempts - 1)).padStart(3, '0');
      await writeFileAtomic(join(records, `${record.job}.out.${attempt}`), kickstartYaml(record));
      const id = `${sequence}.0`;
      const site = record.worker || 'local';
      const lines = [
        ...(record.preScriptStart !== undefined
          ? [line(record.preScriptStart, record.job, 'PRE_SCRIPT_STARTED', '-', site)]
          : []),
        ...(record.preScriptEnd !== undefined
          ? [line(record.preScriptEnd, record.job, 'PRE_SCRIPT_SUCCESS', 0, site)]
          : []),
        line(record.submit, record.job, 'SUBMIT', id, site),
        line(record.executeStart, record.job, 'EXECUTE', id, site),
        line(record.executeEnd, record.job, 'JOB_TERMINATED', id, site),
        line(
          record.executeEnd,
          record.job,
          record.exitCode === 0 ? 'JOB_SUCCESS' : 'JOB_FAILURE',
          record.exitCode,
          site,
        ),
      ];
      if (record.postScriptStart !== undefined)
        lines.push(line(record.postScriptStart, record.job, 'POST_SCRIPT_STARTED', '-', site));
      if (record.postScriptEnd !== undefined) {
        lines.push(
          line(record.postScriptEnd, record.job, 'POST_SCRIPT_TERMINATED', id, site),
          line(
            record.postScriptEnd,
            record.job,
            record.exitCode === 0 ? 'POST_SCRIPT_SUCCESS' : 'POST_SCRIPT_FAILURE',
            record.exitCode === 0 ? '-' : 1,
            site,
          ),
        );
      }
      await append(lines);
    },
    async finish(endedAt, succeeded) {
      await append([
        `${epoch(endedAt)} INTERNAL *** DAGMAN_FINISHED ${succeeded ? 0 : 1} ***`,
        `${epoch(endedAt)} INTERNAL *** MONITORD_FINISHED 0 ***`,
      ]);
    },
  };
}

/** Pegasus writes whole seconds; local jobs last fractions of one, so milliseconds are kept (the reader takes both). */
function epoch(seconds: number): string {
  return Number.isInteger(seconds) ? String(seconds) : seconds.toFixed(3);
}

function kickstartYaml(record: JobRecord): string {
  const duration = Math.max(0, record.executeEnd - record.executeStart);
  const invocation = {
    invocation: true,
    version: 3.0,
    start: new Date(record.executeStart * 1000).toISOString(),
    duration,
    transformation: record.transformation,
    hostname: record.worker,
    mainjob: {
      start: new Date(record.executeStart * 1000).toISOString(),
      duration,
      usage: { utime: record.userSeconds ?? record.cpuTimeSeconds, stime: record.systemSeconds ?? 0 },
      status: {
        raw: record.exitCode === 0 ? 0 : (record.exitCode & 0xff) << 8 || 256,
        regular_exitcode: record.exitCode,
      },
      executable: { file_name: record.executable },
      argument_vector: record.argv,
      procs: [
        {
          rchar: record.bytesRead,
          wchar: record.bytesWritten,
          ...(record.readSyscalls !== undefined ? { syscr: record.readSyscalls } : {}),
          ...(record.writeSyscalls !== undefined ? { syscw: record.writeSyscalls } : {}),
        },
      ],
    },
  };
  return yaml.stringify([invocation]);
}
