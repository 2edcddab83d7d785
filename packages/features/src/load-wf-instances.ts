/*
 * WfCommons WfFormat instances (1.4/1.5, github.com/wfcommons/WfFormat) with execution data -> job records -> a
 * dataset. An instance is one run: `workflow.specification` is the DAG (parseWfFormat), `workflow.execution.tasks`
 * says how each task ran (runtimeInSeconds, avgCPU, readBytes/writtenBytes, machines, and in 1.5 optionally
 * executedAt).
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import {
  type JobRecord,
  type LongOperationOptions,
  ProteusError,
  reportProgress,
  throwIfAborted,
} from '@proteus-wf/core';
import { parseWfFormat, topologicalOrder, type WorkflowGraph } from '@proteus-wf/workflow-graph';
import { buildDataset, type DatasetRun } from './build-dataset.js';
import type { FlowBenchDataset } from './load-flowbench.js';

/** One WfFormat instance read as a run. */
export interface WfInstanceRun {
  graph: WorkflowGraph;
  run: DatasetRun;
  /** True when the tasks carry their own start times (`executedAt`); else starts are scheduled from the DAG. */
  hasStartTimes: boolean;
}

/** Options of {@link loadWfInstances}. */
export interface LoadWfInstancesOptions extends LongOperationOptions {
  /** Align the runs to this DAG (e.g. a model's) instead of the instances' own; task ids must match job names. */
  adjacency?: WorkflowGraph;
  /** Throw at the first bad run instead of skipping it. Default false. */
  strict?: boolean;
}

const WHERE = 'features/loadWfInstances';
const RECORD_TYPES: ReadonlySet<string> = new Set(['auxiliary', 'compute', 'transfer', 'subwf']);

/**
 * Reads one WfFormat instance with execution data as one run of job records. A task's start is its `executedAt`
 * when the instance has one; otherwise (most WfInstances) it is scheduled as soon as its parents end, from the
 * workflow's `executedAt` — so `ready`, `submit` and `execute_start` coincide, the delays are 0, and only the
 * measured quantities (runtime, CPU time = runtime x avgCPU %, bytes read/written, machine) carry information.
 * Bytes default to the sizes of the task's input and output files when `readBytes`/`writtenBytes` are absent.
 * @example const { graph, run } = readWfInstance(await readFile('montage-chameleon-2mass-005d-001.json', 'utf8'));
 * @throws ProteusError PROTEUS_FEATURES_INSTANCE_INVALID (no `workflow.execution.tasks`), every PROTEUS_GRAPH_* code
 *   of parseWfFormat
 */
export function readWfInstance(
  input: string | object,
  options: { source?: string; runId?: string } = {},
): WfInstanceRun {
  const source = options.source ?? '<wfformat>';
  // parseWfFormat reports malformed JSON with its line and column, so it reads the text first.
  const graph = parseWfFormat(input, { source });
  const root = asRecord(typeof input === 'string' ? JSON.parse(input.replace(/^\uFEFF/, '')) : input);
  const workflow = asRecord(root.workflow);
  const execution = asRecord(workflow.execution);
  if (!Array.isArray(execution.tasks)) {
    throw new ProteusError(
      'PROTEUS_FEATURES_INSTANCE_INVALID',
      `${WHERE} (${source}): a WfFormat instance without execution data (no workflow.execution.tasks; keys: ${Object.keys(execution).join(', ') || 'none'}). It is a DAG, not a run: load it with loadWorkflowGraph, or pass an instance recorded from an execution.`,
      { details: { source } },
    );
  }
  const tasks = new Map<string, Record<string, unknown>>();
  for (const task of execution.tasks) {
    const record = asRecord(task);
    if (typeof record.id === 'string') tasks.set(record.id, record);
    else if (typeof record.name === 'string') tasks.set(record.name, record);
  }
  const specTasks = new Map<string, Record<string, unknown>>();
  const spec = asRecord(workflow.specification);
  for (const task of Array.isArray(spec.tasks) ? spec.tasks : Array.isArray(workflow.tasks) ? workflow.tasks : []) {
    const record = asRecord(task);
    const key = typeof record.id === 'string' ? record.id : typeof record.name === 'string' ? record.name : undefined;
    if (key !== undefined) specTasks.set(key, record);
  }
  const fileSizes = new Map<string, number>();
  for (const file of Array.isArray(spec.files) ? spec.files : []) {
    const record = asRecord(file);
    if (typeof record.id === 'string' && typeof record.sizeInBytes === 'number')
      fileSizes.set(record.id, record.sizeInBytes);
  }
  const sizeOf = (files: unknown): number =>
    Array.isArray(files) ? files.reduce((total: number, id) => total + (fileSizes.get(String(id)) ?? 0), 0) : 0;

  const workflowStart = parseTime(execution.executedAt) ?? 0;
  const ends = new Map<string, number>();
  const jobs: JobRecord[] = [];
  let hasStartTimes = false;
  for (const name of topologicalOrder(graph)) {
    const task = tasks.get(name);
    if (!task) continue;
    const parentEnds = graph.parents(name).flatMap((parent) => {
      const end = ends.get(parent);
      return end === undefined ? [] : [end];
    });
    const ready = parentEnds.length > 0 ? Math.max(...parentEnds) : workflowStart;
    const own = parseTime(task.executedAt);
    if (own !== undefined) hasStartTimes = true;
    const start = own ?? ready;
    const runtime = numberOr(task.runtimeInSeconds, 0);
    ends.set(name, start + runtime);
    const job = graph.job(name);
    const command = asRecord(task.command);
    const specTask = specTasks.get(name) ?? {};
    const machines = Array.isArray(task.machines) ? task.machines.map(String) : [];
    jobs.push({
      job: name,
      type: RECORD_TYPES.has(job.type) ? (job.type as JobRecord['type']) : 'compute',
      transformation: job.transformation,
      worker: machines[0] ?? '',
      ready: Math.min(ready, start),
      submit: start,
      executeStart: start,
      executeEnd: start + runtime,
      cpuTimeSeconds: (runtime * numberOr(task.avgCPU, 0)) / 100,
      bytesRead: numberOr(task.readBytes, sizeOf(specTask.inputFiles)),
      bytesWritten: numberOr(task.writtenBytes, sizeOf(specTask.outputFiles)),
      exitCode: 0,
      attempts: 1,
      executable: typeof command.program === 'string' ? command.program : job.transformation,
      argv: Array.isArray(command.arguments) ? command.arguments.map(String) : [],
    });
  }
  const runId = options.runId ?? stemOf(source);
  return { graph, run: { runId, jobs, startedAt: workflowStart }, hasStartTimes };
}

/**
 * Loads WfFormat instances with execution data as a dataset: one run per instance file. `paths` is a file, a folder
 * of `.json` files, or a list; many files must be instances of one DAG (the same task ids — e.g. repeated executions
 * of one workflow instance); instances of different sizes are different DAGs and load one at a time.
 * @example const dataset = await loadWfInstances('WfInstances/pegasus/montage/montage-chameleon-2mass-005d-001.json');
 * @throws ProteusError PROTEUS_FEATURES_PATH_NOT_FOUND, PROTEUS_FEATURES_INSTANCE_INVALID,
 *   PROTEUS_FEATURES_WORKFLOW_MISMATCH (files of different DAGs), PROTEUS_GRAPH_* of parseWfFormat, the codes of
 *   buildDataset, PROTEUS_CORE_ABORTED
 */
export async function loadWfInstances(
  paths: string | readonly string[],
  options: LoadWfInstancesOptions = {},
): Promise<FlowBenchDataset> {
  const files: string[] = [];
  for (const path of typeof paths === 'string' ? [paths] : paths) files.push(...(await instanceFiles(path)));
  const runs: WfInstanceRun[] = [];
  for (const [i, file] of files.entries()) {
    throwIfAborted(options.signal, WHERE);
    runs.push(readWfInstance(await readFile(file, 'utf8'), { source: file }));
    reportProgress(options.onProgress, { phase: 'load', ratio: (i + 1) / files.length, data: { runs: i + 1 } });
  }
  const first = runs[0] as WfInstanceRun;
  const names = first.graph.jobNames().sort().join('\n');
  const other = runs.find((run) => run.graph.jobNames().sort().join('\n') !== names);
  if (other && options.adjacency === undefined) {
    throw new ProteusError(
      'PROTEUS_FEATURES_WORKFLOW_MISMATCH',
      `${WHERE}: a dataset holds runs of one DAG, but ${other.graph.attributes.source} (${other.graph.size} tasks) and ${first.graph.attributes.source} (${first.graph.size} tasks) are instances of different DAGs. Load each instance on its own.`,
      { details: { files } },
    );
  }
  const ids = runs.map((run) => run.run.runId);
  return buildDataset(
    runs.map((run, i) => ({
      ...run.run,
      runId: ids.indexOf(ids[i] as string) === i ? (ids[i] as string) : `${ids[i]}-${i}`,
    })),
    {
      graph: options.adjacency ?? first.graph,
      source: typeof paths === 'string' ? paths : paths.join(', '),
      ...(options.strict ? { strict: true } : {}),
    },
  );
}

async function instanceFiles(path: string): Promise<string[]> {
  let isFolder: boolean;
  try {
    isFolder = (await stat(path)).isDirectory();
  } catch (cause) {
    throw new ProteusError('PROTEUS_FEATURES_PATH_NOT_FOUND', `${WHERE}: ${path} does not exist.`, { cause });
  }
  if (!isFolder) return [path];
  const files = (await readdir(path)).filter((name) => name.toLowerCase().endsWith('.json')).sort();
  if (files.length === 0) {
    throw new ProteusError(
      'PROTEUS_FEATURES_DATASET_EMPTY',
      `${WHERE}: no .json file in ${path}; expected WfFormat instances.`,
    );
  }
  return files.map((name) => join(path, name));
}

/** Seconds since the epoch of an ISO 8601 time, or of WfInstances' `MM-DD-YYTHH:MM:SSZ`. */
function parseTime(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value !== 'string') return undefined;
  const short = /^(\d\d)-(\d\d)-(\d\d)T(\d\d:\d\d:\d\d(?:\.\d+)?)(Z|[+-]\d\d:?\d\d)?$/.exec(value);
  const text = short ? `20${short[3]}-${short[1]}-${short[2]}T${short[4]}${short[5] ?? 'Z'}` : value;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms / 1000;
}

function asRecord(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function numberOr(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
}

function stemOf(source: string): string {
  return basename(source).replace(/\.json$/i, '');
}
