import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type CommandRunner,
  type JobRecord,
  type LongOperationOptions,
  ProteusError,
  reportProgress,
  type WorkflowRunResult,
} from '@proteus-wf/core';
import { sleep } from './backoff.js';
import type { ErrorScope } from './http.js';
import { parseYaml, type YamlValue } from './mini-yaml.js';
import type { Redactor } from './redactor.js';

/* Parsers for a Pegasus submit folder (testbeds.md §4.3–4.5): braindump.yml, the DAGMan .dag file,
 * jobstate.log (one event per line, last occurrence of a state wins) and kickstart 3.0 YAML records. */

export interface Braindump {
  wfUuid?: string;
  daxLabel?: string;
  dag?: string;
  submitDir?: string;
}

/** Reads braindump.yml, both the `key: "value"` form and the old `key value` form. */
export function parseBraindump(text: string): Braindump {
  const values = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const match = /^([\w-]+)(?::\s*|\s+)(.*)$/.exec(line.trim());
    if (match) values.set(match[1] as string, (match[2] as string).replace(/^"(.*)"$/, '$1'));
  }
  const out: Braindump = {};
  const set = (key: keyof Braindump, name: string): void => {
    const value = values.get(name);
    if (value) out[key] = value;
  };
  set('wfUuid', 'wf_uuid');
  set('daxLabel', 'dax_label');
  set('dag', 'dag');
  set('submitDir', 'submit_dir');
  return out;
}

export interface DagFile {
  jobs: string[];
  /** child -> parents */
  parents: Map<string, string[]>;
}

/** Reads the JOB and PARENT ... CHILD ... lines of a DAGMan file. */
export function parseDag(text: string): DagFile {
  const jobs: string[] = [];
  const parents = new Map<string, string[]>();
  for (const line of text.split(/\r?\n/)) {
    const fields = line.trim().split(/\s+/);
    if (fields[0] === 'JOB' && fields[1]) jobs.push(fields[1]);
    if (fields[0] === 'PARENT') {
      const childAt = fields.indexOf('CHILD');
      if (childAt === -1) continue;
      const from = fields.slice(1, childAt);
      for (const child of fields.slice(childAt + 1)) parents.set(child, [...(parents.get(child) ?? []), ...from]);
    }
  }
  return { jobs, parents };
}

export interface JobstateJob {
  /** Last timestamp of each state (retries overwrite earlier attempts). */
  states: Map<string, number>;
  submits: number;
  site?: string;
  exitCode?: number;
}

export interface Jobstate {
  dagmanStarted?: number;
  dagmanFinished?: number;
  /** DAGMan's exit status from the DAGMAN_FINISHED line. */
  dagmanStatus?: number;
  jobs: Map<string, JobstateJob>;
}

/** Reads jobstate.log: `<epoch> <job> <STATE> <condor_id|exitcode> <site> <walltime|-> <seq>` plus INTERNAL lines. */
export function parseJobstateLog(text: string): Jobstate {
  const out: Jobstate = { jobs: new Map() };
  for (const line of text.split(/\r?\n/)) {
    const fields = line.trim().split(/\s+/);
    const ts = Number(fields[0]);
    if (fields.length < 3 || !Number.isFinite(ts)) continue;
    const job = fields[1] as string;
    if (job === 'INTERNAL') {
      const event = fields[3];
      if (event === 'DAGMAN_STARTED') out.dagmanStarted = ts;
      if (event === 'DAGMAN_FINISHED') {
        out.dagmanFinished = ts;
        const status = Number(fields[4]);
        if (Number.isFinite(status)) out.dagmanStatus = status;
      }
      continue;
    }
    const state = fields[2] as string;
    const entry = out.jobs.get(job) ?? { states: new Map<string, number>(), submits: 0 };
    entry.states.set(state, ts);
    if (state === 'SUBMIT') entry.submits++;
    if (fields[4] && fields[4] !== '-' && fields[4] !== 'None') entry.site = fields[4];
    if (state === 'JOB_SUCCESS') entry.exitCode = 0;
    if (state === 'JOB_FAILURE' || state === 'POST_SCRIPT_FAILURE') {
      const code = Number(fields[3]);
      entry.exitCode = Number.isFinite(code) && code !== 0 ? code : 1;
    }
    if (state === 'POST_SCRIPT_SUCCESS') entry.exitCode = 0;
    out.jobs.set(job, entry);
  }
  return out;
}

export interface KickstartRecord {
  hostname: string;
  transformation: string;
  executable: string;
  argv: string[];
  userSeconds: number;
  systemSeconds: number;
  exitCode: number;
  bytesRead: number;
  bytesWritten: number;
  readSyscalls?: number;
  writeSyscalls?: number;
}

/** Reads a kickstart 3.0 `.out.NNN` file: one record, or a list of records for a clustered job. */
export function parseKickstart(text: string): KickstartRecord[] {
  const document = parseYaml(text);
  const records = Array.isArray(document) ? document : document === null ? [] : [document];
  return records.filter(isMap).map((record) => {
    const main = asMap(record.mainjob);
    const usage = asMap(main.usage);
    const status = asMap(main.status);
    const executable = asMap(main.executable);
    const procs = main.procs;
    const procList = Array.isArray(procs)
      ? procs.filter(isMap)
      : isMap(procs)
        ? Object.values(procs).filter(isMap)
        : [];
    const sum = (key: string): number | undefined =>
      procList.length === 0 ? undefined : procList.reduce((total, proc) => total + num(proc[key]), 0);
    const regular = status.regular_exitcode;
    const raw = num(status.raw);
    return {
      hostname: str(record.hostname),
      transformation: str(record.transformation),
      executable: str(executable.file_name),
      argv: Array.isArray(main.argument_vector) ? main.argument_vector.map((arg) => String(arg)) : [],
      userSeconds: num(usage.utime),
      systemSeconds: num(usage.stime),
      exitCode: typeof regular === 'number' ? regular : raw === 0 ? 0 : raw >> 8 || 1,
      bytesRead: sum('rchar') ?? 0,
      bytesWritten: sum('wchar') ?? 0,
      ...(sum('syscr') === undefined ? {} : { readSyscalls: sum('syscr') as number }),
      ...(sum('syscw') === undefined ? {} : { writeSyscalls: sum('syscw') as number }),
    };
  });
}

/** Job type by DAG node name, as Poseidon-X classifies it (§1.7 step 6). */
export function classifyJob(name: string): JobRecord['type'] {
  if (/^(stage_in|stage_out|stage_inter|stage_worker)/.test(name)) return 'transfer';
  if (/^(create_dir|create|cleanup|register|chmod)/.test(name)) return 'auxiliary';
  if (/^pegasus-plan/.test(name)) return 'subwf';
  return 'compute';
}

/**
 * Joins the DAG, jobstate.log and kickstart records into JobRecords (GNN paper Listing 1, Poseidon-X definitions):
 * ready = max over parents of (post-script end, else execute end), the workflow start for roots;
 * execute end = JOB_SUCCESS (JOB_FAILURE / JOB_TERMINATED for failed jobs).
 * Jobs that never reached EXECUTE are left out: they have no runtime to learn from.
 */
export function buildJobRecords(
  dag: DagFile,
  jobstate: Jobstate,
  kickstart: Map<string, KickstartRecord[]>,
): JobRecord[] {
  const workflowStart =
    jobstate.dagmanStarted ?? Math.min(...[...jobstate.jobs.values()].flatMap((j) => [...j.states.values()]));
  const names = dag.jobs.length > 0 ? dag.jobs : [...jobstate.jobs.keys()];
  const finishOf = (name: string): number | undefined => {
    const states = jobstate.jobs.get(name)?.states;
    if (!states) return undefined;
    return states.get('POST_SCRIPT_SUCCESS') ?? states.get('POST_SCRIPT_TERMINATED') ?? executeEndOf(states);
  };
  const records: JobRecord[] = [];
  for (const name of names) {
    const entry = jobstate.jobs.get(name);
    if (!entry) continue;
    const s = entry.states;
    const submit = s.get('SUBMIT');
    const executeStart = s.get('EXECUTE');
    const executeEnd = executeEndOf(s);
    if (submit === undefined || executeStart === undefined || executeEnd === undefined) continue;
    const parentEnds = (dag.parents.get(name) ?? []).map(finishOf).filter((t): t is number => t !== undefined);
    const tasks = kickstart.get(name) ?? [];
    const first = tasks[0];
    const record: JobRecord = {
      job: name,
      type: classifyJob(name),
      transformation: tasks.map((t) => t.transformation).join(';'),
      worker: first?.hostname || entry.site || '',
      ready: parentEnds.length > 0 ? Math.max(...parentEnds) : workflowStart,
      submit,
      executeStart,
      executeEnd,
      cpuTimeSeconds: tasks.reduce((total, t) => total + t.userSeconds + t.systemSeconds, 0),
      bytesRead: tasks.reduce((total, t) => total + t.bytesRead, 0),
      bytesWritten: tasks.reduce((total, t) => total + t.bytesWritten, 0),
      exitCode: entry.exitCode ?? Math.max(0, ...tasks.map((t) => t.exitCode)),
      attempts: Math.max(1, entry.submits),
      executable: tasks.map((t) => t.executable).join(';'),
      argv: tasks.flatMap((t) => t.argv),
    };
    const optional: Array<[keyof JobRecord, number | undefined]> = [
      ['preScriptStart', s.get('PRE_SCRIPT_STARTED')],
      ['preScriptEnd', s.get('PRE_SCRIPT_SUCCESS') ?? s.get('PRE_SCRIPT_TERMINATED')],
      ['postScriptStart', s.get('POST_SCRIPT_STARTED')],
      ['postScriptEnd', s.get('POST_SCRIPT_SUCCESS') ?? s.get('POST_SCRIPT_TERMINATED')],
    ];
    for (const [key, value] of optional) if (value !== undefined) Object.assign(record, { [key]: value });
    const sumOptional = (pick: (t: KickstartRecord) => number | undefined): number | undefined =>
      tasks.some((t) => pick(t) !== undefined) ? tasks.reduce((total, t) => total + (pick(t) ?? 0), 0) : undefined;
    const extra: Array<[keyof JobRecord, number | undefined]> = [
      ['readSyscalls', sumOptional((t) => t.readSyscalls)],
      ['writeSyscalls', sumOptional((t) => t.writeSyscalls)],
      ['userSeconds', tasks.length > 0 ? sumOptional((t) => t.userSeconds) : undefined],
      ['systemSeconds', tasks.length > 0 ? sumOptional((t) => t.systemSeconds) : undefined],
    ];
    for (const [key, value] of extra) if (value !== undefined) Object.assign(record, { [key]: value });
    records.push(record);
  }
  return records.sort((a, b) => a.ready - b.ready || a.job.localeCompare(b.job));
}

function executeEndOf(states: Map<string, number>): number | undefined {
  return (
    states.get('JOB_SUCCESS') ?? states.get('JOB_FAILURE') ?? states.get('JOB_TERMINATED') ?? states.get('JOB_ABORTED')
  );
}

/** Splits `tail -v -n +1 -- a b` output into files. */
export function splitTailOutput(text: string): Map<string, string> {
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

export interface RunPegasusOptions extends LongOperationOptions {
  scope: ErrorScope;
  redactor: Redactor;
  runId: string;
  /** Local folder where the collected submit-folder files are kept. */
  workDir: string;
  /** Folder for runs on the submit node (relative to the login's home, or absolute). */
  remoteRunsDir: string;
  pollIntervalMs: number;
  timeoutMs: number;
  /** Extra pegasus-plan arguments (e.g. `--conf pegasus.properties`). */
  planArgs?: string[];
}

const COMMAND_TIMEOUT_MS = 5 * 60_000;
const BATCH = 200;

/**
 * Submits a Pegasus YAML 5.0 workflow on the submit node (`pegasus-plan --submit`), polls jobstate.log until
 * DAGMan finishes, then reads braindump.yml, the .dag, jobstate.log and every kickstart record back over the runner.
 * @throws ProteusError PROTEUS_<P>_WORKFLOW_PLAN_FAILED, PROTEUS_<P>_WORKFLOW_TIMEOUT, PROTEUS_<P>_WORKFLOW_COLLECT_FAILED
 */
export async function runPegasusWorkflow(
  runner: CommandRunner,
  workflowPath: string,
  options: RunPegasusOptions,
): Promise<WorkflowRunResult> {
  const { scope, redactor } = options;
  const where = `${scope.where}/runWorkflow`;
  if (!/^[-\w.]+$/.test(options.runId)) {
    throw new ProteusError(
      `PROTEUS_${scope.prefix}_INVALID_RUN_ID`,
      `${where}: runId must use letters, digits, "-", "_" or "." (got ${JSON.stringify(options.runId)}).`,
    );
  }
  const exec = async (file: string, args: string[], input?: string, allowFailure = true) =>
    runner.run(file, args, { timeoutMs: COMMAND_TIMEOUT_MS, signal: options.signal, input, allowFailure });
  const fail = (what: Uppercase<string>, message: string, details?: unknown): ProteusError =>
    new ProteusError(`PROTEUS_${scope.prefix}_${what}`, redactor.redact(`${where}: ${message}`), { details });

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
    await sleep(options.pollIntervalMs, options.signal, where);
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
  const dagText = await read(`${submitDir}/${dagName.split('/').pop()}`);
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
  await writeFile(join(local, dagName.split('/').pop() as string), dagText);
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
      records = parseKickstart(text);
    } catch (error) {
      throw fail('WORKFLOW_COLLECT_FAILED', `cannot parse kickstart record ${path}: ${(error as Error).message}`, {
        path,
      });
    }
    kickstart.set(job, { attempt, records });
  }

  const jobstate = parseJobstateLog(jobstateText);
  const jobs = buildJobRecords(
    parseDag(dagText),
    jobstate,
    new Map([...kickstart].map(([job, value]) => [job, value.records])),
  );
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

function isMap(value: YamlValue | undefined): value is { [key: string]: YamlValue } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function asMap(value: YamlValue | undefined): { [key: string]: YamlValue } {
  return isMap(value) ? value : {};
}

function num(value: YamlValue | undefined): number {
  return typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) || 0 : 0;
}

function str(value: YamlValue | undefined): string {
  return value === undefined || value === null ? '' : String(value);
}
