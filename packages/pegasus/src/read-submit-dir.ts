/*
 * A whole Pegasus submit directory -> one run's job records (testbeds.md §1.7): braindump.yml names the .dag,
 * jobstate.log gives the state times, the kickstart `.out.NNN` records give hosts, CPU time and I/O. Sub-workflows
 * (hierarchical workflows) are submit directories of their own below the parent's and are merged into its run.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, join, relative, resolve } from 'node:path';
import { isProteusError, type WorkflowRunResult } from '@proteus-wf/core';
import { buildWorkflowGraph, type JobAttributes, parseDagman, type WorkflowGraph } from '@proteus-wf/workflow-graph';
import { buildJobRecords } from './build-job-records.js';
import { pegasusError } from './internal/errors.js';
import { type Braindump, parseBraindump } from './parse-braindump.js';
import { type Jobstate, parseJobstateLog } from './parse-jobstate-log.js';
import { type KickstartRecord, parseKickstart } from './parse-kickstart.js';

/** One submit directory read back: the DAG, the raw jobstate, and the run's job records. */
export interface SubmitDirRun {
  /** The absolute path of the submit directory. */
  submitDir: string;
  /** `dax_label` of braindump.yml, else the DAG's name. */
  workflow: string;
  braindump: Braindump;
  /** The DAGMan DAG, sub-workflow jobs merged in as `<sub-workflow job>::<job>`. */
  graph: WorkflowGraph;
  /** The parsed jobstate.log of the top-level workflow (empty when the run has not started). */
  jobstate: Jobstate;
  /** `runId` is the folder name; `jobs` holds one record per job that reached EXECUTE, sub-workflows' included. */
  result: WorkflowRunResult;
  /** Absolute paths of the merged sub-workflow submit directories. */
  subWorkflows: string[];
}

/** Options of {@link readSubmitDir}. */
export interface ReadSubmitDirOptions {
  /** Merge sub-workflow submit directories found below this one. Default true. */
  subWorkflows?: boolean;
}

const WHERE = 'pegasus/readSubmitDir';
const KICKSTART_FILE = /^(.*)\.out\.(\d{3})$/;
const MAX_DEPTH = 8;

/**
 * Reads a Pegasus submit directory (Pegasus 4 or 5) into one run: braindump.yml, the DAGMan `.dag` it names,
 * jobstate.log and every kickstart record (`<job>.out.NNN`, the last attempt of each job), joined by
 * `buildJobRecords`. Sub-workflow submit directories below it (a `braindump.yml` of their own) are merged: their jobs
 * are named `<sub-workflow job>::<job>`, placed after the sub-workflow job and before its children.
 * @example
 * const run = await readSubmitDir('../shared/datasets/pegasus-submit-dirs/process_wf_failure');
 * run.result.jobs.map((j) => [j.job, j.exitCode]); // [['create_dir_process_0_local', 0], ['ls_ID0000001', 2]]
 * @throws ProteusError PROTEUS_PEGASUS_NOT_A_SUBMIT_DIR (no braindump.yml), PROTEUS_PEGASUS_READ_FAILED,
 *   PROTEUS_PEGASUS_DAG_INVALID (the .dag is missing or not DAGMan), PROTEUS_PEGASUS_MALFORMED_KICKSTART
 */
export async function readSubmitDir(path: string, options: ReadSubmitDirOptions = {}): Promise<SubmitDirRun> {
  const submitDir = resolve(path);
  const braindumpText = await readOptional(join(submitDir, 'braindump.yml'));
  if (braindumpText === undefined) {
    const below = await findSubmitDirs(submitDir).catch(() => [] as string[]);
    throw pegasusError(
      'PROTEUS_PEGASUS_NOT_A_SUBMIT_DIR',
      `${WHERE}: ${submitDir} has no braindump.yml, so it is not a Pegasus submit directory` +
        (below.length > 0
          ? `; it holds ${below.length} below it (${below
              .slice(0, 3)
              .map((dir) => relative(submitDir, dir))
              .join(', ')}${below.length > 3 ? ', ...' : ''}). Pass one of those, or use loadSubmitDirs for all.`
          : '. Pass the folder pegasus-plan printed ("submit directory"), the one holding braindump.yml and jobstate.log.'),
      { details: { path: submitDir, found: below } },
    );
  }
  const braindump = parseBraindump(braindumpText);
  const dagFile = await findDagFile(submitDir, braindump);
  const dagText = (await readOptional(join(submitDir, dagFile))) as string;
  let graph: WorkflowGraph;
  try {
    graph = parseDagman(dagText, { source: join(submitDir, dagFile) });
  } catch (cause) {
    throw pegasusError(
      'PROTEUS_PEGASUS_DAG_INVALID',
      `${WHERE}: cannot read the DAG ${join(submitDir, dagFile)} that braindump.yml names: ${(cause as Error).message}`,
      { details: { path: join(submitDir, dagFile) }, cause },
    );
  }
  const jobstateText = await readOptional(join(submitDir, 'jobstate.log'));
  const { kickstartFiles, nested } = await scanSubmitDir(submitDir);
  const kickstart = await readKickstartRecords(kickstartFiles);
  const jobstate = jobstateText === undefined ? jobstateFromKickstart(kickstart) : parseJobstateLog(jobstateText);
  let jobs = buildJobRecords(graph, jobstate, kickstart);
  const subWorkflows: string[] = [];
  if (options.subWorkflows !== false) {
    for (const dir of nested) {
      const sub = await readSubmitDir(dir, options);
      const parentJob = parentJobOf(graph, basename(dir));
      graph = mergeSubWorkflow(graph, sub.graph, parentJob ?? basename(dir), parentJob !== undefined);
      const prefix = `${parentJob ?? basename(dir)}${SUB_WORKFLOW_SEPARATOR}`;
      jobs = [...jobs, ...sub.result.jobs.map((job) => ({ ...job, job: `${prefix}${job.job}` }))];
      subWorkflows.push(sub.submitDir, ...sub.subWorkflows);
    }
    jobs.sort((a, b) => a.ready - b.ready || a.job.localeCompare(b.job));
  }
  const starts = jobs.map((job) => job.submit);
  const ends = jobs.map((job) => job.executeEnd);
  return {
    submitDir,
    workflow: braindump.daxLabel ?? graph.workflow,
    braindump,
    graph,
    jobstate,
    result: {
      runId: basename(submitDir),
      workflow: braindump.daxLabel ?? graph.workflow,
      startedAt: jobstate.dagmanStarted ?? (starts.length > 0 ? Math.min(...starts) : 0),
      endedAt: jobstate.dagmanFinished ?? (ends.length > 0 ? Math.max(...ends) : 0),
      succeeded: jobstate.dagmanStatus === 0 && jobs.every((job) => job.exitCode === 0),
      jobs,
    },
    subWorkflows,
  };
}

/**
 * The submit directories at or below `path`: `path` itself when it holds a braindump.yml, else every folder below it
 * that does (sub-workflow folders inside a found one are left out: they belong to its run), sorted.
 * @example await findSubmitDirs('../shared/datasets/pegasus-submit-dirs') // [.../hierarchical_wf_failure, ...]
 * @throws ProteusError PROTEUS_PEGASUS_READ_FAILED when `path` cannot be listed
 */
export async function findSubmitDirs(path: string): Promise<string[]> {
  const root = resolve(path);
  if ((await readOptional(join(root, 'braindump.yml'))) !== undefined) return [root];
  const found: string[] = [];
  const walk = async (dir: string, depth: number): Promise<void> => {
    let entries: import('node:fs').Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (cause) {
      if (dir === root) {
        throw pegasusError(
          'PROTEUS_PEGASUS_READ_FAILED',
          `pegasus/findSubmitDirs: cannot list ${root}: ${(cause as Error).message}`,
          {
            details: { path: root },
            cause,
          },
        );
      }
      return;
    }
    if (entries.some((entry) => entry.isFile() && entry.name === 'braindump.yml')) {
      found.push(dir);
      return;
    }
    if (depth >= MAX_DEPTH) return;
    for (const entry of entries) if (entry.isDirectory()) await walk(join(dir, entry.name), depth + 1);
  };
  await walk(root, 0);
  return found.sort();
}

/** True when `path` is a folder holding a braindump.yml. */
export async function isSubmitDir(path: string): Promise<boolean> {
  try {
    return (await stat(join(path, 'braindump.yml'))).isFile();
  } catch {
    return false;
  }
}

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw pegasusError('PROTEUS_PEGASUS_READ_FAILED', `${WHERE}: cannot read ${path}: ${(cause as Error).message}`, {
      details: { path, code },
      cause,
    });
  }
}

async function findDagFile(submitDir: string, braindump: Braindump): Promise<string> {
  const named = braindump.dag?.split('/').pop();
  if (named && (await readOptional(join(submitDir, named))) !== undefined) return named;
  const dags = (await readdir(submitDir)).filter((name) => name.endsWith('.dag')).sort();
  if (dags.length === 1) return dags[0] as string;
  throw pegasusError(
    'PROTEUS_PEGASUS_DAG_INVALID',
    `${WHERE}: ${submitDir}: braindump.yml names the DAG ${JSON.stringify(braindump.dag ?? null)}, which is not there, ` +
      `and the folder holds ${dags.length} .dag files (${dags.slice(0, 3).join(', ') || 'none'}). Is the submit directory complete?`,
    { details: { path: submitDir, dag: braindump.dag ?? null, found: dags } },
  );
}

/** Kickstart records of this submit directory (not of nested ones) and the nested submit directories. */
async function scanSubmitDir(submitDir: string): Promise<{ kickstartFiles: string[]; nested: string[] }> {
  const kickstartFiles: string[] = [];
  const nested: string[] = [];
  const walk = async (dir: string, depth: number): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    if (dir !== submitDir && entries.some((entry) => entry.isFile() && entry.name === 'braindump.yml')) {
      nested.push(dir);
      return;
    }
    for (const entry of entries) {
      if (entry.isFile() && KICKSTART_FILE.test(entry.name)) kickstartFiles.push(join(dir, entry.name));
      else if (entry.isDirectory() && depth < MAX_DEPTH) await walk(join(dir, entry.name), depth + 1);
    }
  };
  await walk(submitDir, 0);
  return { kickstartFiles: kickstartFiles.sort(), nested: nested.sort() };
}

/** The last attempt's records of each job (jobstate.log's final states describe that attempt). */
async function readKickstartRecords(files: readonly string[]): Promise<Map<string, KickstartRecord[]>> {
  const latest = new Map<string, { attempt: number; file: string }>();
  for (const file of files) {
    const match = KICKSTART_FILE.exec(basename(file)) as RegExpExecArray;
    const job = match[1] as string;
    const attempt = Number(match[2]);
    const previous = latest.get(job);
    if (!previous || previous.attempt < attempt) latest.set(job, { attempt, file });
  }
  const records = new Map<string, KickstartRecord[]>();
  for (const [job, { file }] of latest) {
    const text = (await readOptional(file)) ?? '';
    // An empty record is a job still running (kickstart writes at exit) or one killed before it wrote.
    if (text.trim() === '') continue;
    try {
      records.set(job, parseKickstart(text, { source: file }));
    } catch (error) {
      if (isProteusError(error)) throw error;
      throw pegasusError(
        'PROTEUS_PEGASUS_MALFORMED_KICKSTART',
        `${WHERE}: cannot read ${file}: ${(error as Error).message}`,
        {
          details: { path: file },
          cause: error,
        },
      );
    }
  }
  return records;
}

/**
 * A submit directory without jobstate.log (copied without it, or pruned) still has its kickstart records: each says
 * when the job started and how long it ran, which is the execute phase; submit and ready are then unknown and taken
 * as the execute start.
 */
function jobstateFromKickstart(kickstart: ReadonlyMap<string, KickstartRecord[]>): Jobstate {
  const jobstate: Jobstate = { jobs: new Map() };
  for (const [job, records] of kickstart) {
    const first = records[0];
    if (first?.start === undefined) continue;
    const end = Math.max(...records.map((r) => (r.start ?? (first.start as number)) + (r.duration ?? 0)));
    const failed = records.some((r) => r.exitCode !== 0);
    jobstate.jobs.set(job, {
      states: new Map([
        ['SUBMIT', first.start],
        ['EXECUTE', first.start],
        [failed ? 'JOB_FAILURE' : 'JOB_SUCCESS', end],
      ]),
      submits: 1,
      exitCode: failed ? Math.max(...records.map((r) => r.exitCode)) || 1 : 0,
    });
    jobstate.dagmanStarted = Math.min(jobstate.dagmanStarted ?? first.start, first.start);
  }
  return jobstate;
}

/**
 * The DAG job that planned a sub-workflow folder: Pegasus 5 names the folder `<label>_<job id>` for a job
 * `pegasus-plan_<job id>` (or `subdax_<job id>`); with one sub-workflow job that one.
 */
function parentJobOf(graph: WorkflowGraph, directory: string): string | undefined {
  // A re-planned sub-workflow's folder carries the attempt: `<label>_<job id>.000`.
  const folder = directory.replace(/\.\d{3}$/, '');
  const candidates = graph.jobs().filter((job) => job.type === 'subwf');
  const byId = candidates.find((job) => {
    const id = job.name.replace(/^(pegasus-plan|subdax|subdag)_/, '');
    return folder === id || folder.endsWith(`_${id}`);
  });
  if (byId) return byId.name;
  return candidates.length === 1 ? (candidates[0] as JobAttributes).name : undefined;
}

// Job names never hold a path separator (testbeds name folders after them), so `::` joins the two names.
const SUB_WORKFLOW_SEPARATOR = '::';

function mergeSubWorkflow(graph: WorkflowGraph, sub: WorkflowGraph, prefix: string, linked: boolean): WorkflowGraph {
  const rename = (name: string): string => `${prefix}${SUB_WORKFLOW_SEPARATOR}${name}`;
  const jobs: JobAttributes[] = [...graph.jobs(), ...sub.jobs().map((job) => ({ ...job, name: rename(job.name) }))];
  const names = graph.jobNames();
  const edges: Array<[string, string]> = graph.edges().map(([p, c]) => [names[p] as string, names[c] as string]);
  const subNames = sub.jobNames();
  for (const [p, c] of sub.edges()) edges.push([rename(subNames[p] as string), rename(subNames[c] as string)]);
  if (linked) {
    for (const root of sub.roots()) edges.push([prefix, rename(root)]);
    for (const sink of sub.sinks()) for (const child of graph.children(prefix)) edges.push([rename(sink), child]);
  }
  return buildWorkflowGraph({
    workflow: graph.workflow,
    source: graph.attributes.source,
    format: graph.attributes.format,
    jobs,
    edges,
  });
}
