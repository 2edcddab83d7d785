import { buildWorkflowGraph } from './build-workflow-graph.js';
import { inferJobType } from './infer-job-type.js';
import { graphError, quote } from './internal/errors.js';
import { parseJsonText } from './internal/json.js';
import { isRecord, ValueReader } from './internal/read.js';
import { stemOf } from './internal/source.js';
import type { JobAttributes, JobUse, WorkflowGraph } from './workflow-graph.js';

/** Options of `parseWfFormat`. */
export interface ParseWfFormatOptions {
  /** Workflow name; defaults to the instance's `name`. */
  workflow?: string;
  /** Where the input came from, for messages. */
  source?: string;
}

const WHERE = 'workflow-graph/parseWfFormat';

/**
 * Parses a WfCommons WfFormat instance. Accepted layouts: 1.5 `workflow.specification.tasks[{id, name, parents,
 * children, inputFiles, outputFiles}]` (with `workflow.execution.tasks[].command` for transformation and
 * arguments), 1.4 `workflow.tasks[]`, and the older `workflow.jobs[{name, type, parents, files}]`.
 * The node key is the task `id` (the schema's unique key; Proteus exports use the DAG job name there), or `name`
 * when there is no id. `parents` and `children` may name either ids or names; both directions are merged.
 *
 * @example const graph = parseWfFormat(readFileSync('blast-wfcommons.json', 'utf8'));
 * @throws ProteusError PROTEUS_GRAPH_MALFORMED_JSON for malformed JSON (line/column) or a wrong shape (JSON path)
 * @throws ProteusError PROTEUS_GRAPH_UNKNOWN_DEPENDENCY, PROTEUS_GRAPH_DUPLICATE_JOB, PROTEUS_GRAPH_CYCLE, PROTEUS_GRAPH_EMPTY
 */
export function parseWfFormat(input: string | object, options: ParseWfFormatOptions = {}): WorkflowGraph {
  const source = options.source ?? '<wfformat>';
  const read: ValueReader = new ValueReader('PROTEUS_GRAPH_MALFORMED_JSON', `${WHERE} (${source})`);
  const root = read.record(typeof input === 'string' ? parseJsonText(input, read.where) : input, '$');
  const workflow = read.record(root.workflow, '$.workflow', 'Is this a WfFormat instance?');

  let tasks: unknown[];
  let basePath: string;
  if (isRecord(workflow.specification)) {
    basePath = '$.workflow.specification.tasks';
    tasks = read.array(workflow.specification.tasks, basePath);
  } else if (workflow.tasks !== undefined) {
    basePath = '$.workflow.tasks';
    tasks = read.array(workflow.tasks, basePath);
  } else if (workflow.jobs !== undefined) {
    basePath = '$.workflow.jobs';
    tasks = read.array(workflow.jobs, basePath);
  } else {
    throw graphError(
      'PROTEUS_GRAPH_MALFORMED_JSON',
      `${read.where}: found none of workflow.specification.tasks (WfFormat 1.5), workflow.tasks (1.4) or workflow.jobs (older) at $.workflow (keys: ${Object.keys(workflow).join(', ') || 'none'}).`,
      { details: { path: '$.workflow' } },
    );
  }

  const execution = new Map<string, Record<string, unknown>>();
  if (isRecord(workflow.execution) && Array.isArray(workflow.execution.tasks)) {
    for (const task of workflow.execution.tasks) {
      if (isRecord(task) && typeof task.id === 'string') execution.set(task.id, task);
    }
  }

  const keys: string[] = [];
  const byName = new Map<string, string>();
  const parsed = tasks.map((raw, i) => {
    const path = `${basePath}[${i}]`;
    const task = read.record(raw, path);
    const id = read.optionalString(task.id, `${path}.id`);
    const name = read.optionalString(task.name, `${path}.name`);
    const key = id ?? name;
    if (key === undefined) read.fail(path, 'a task with an "id" or a "name"', task);
    keys.push(key);
    if (name !== undefined && !byName.has(name)) byName.set(name, key);
    return { task, key, name, path };
  });
  const idSet = new Set(keys);
  const resolve = (reference: string) => (idSet.has(reference) ? reference : (byName.get(reference) ?? reference));

  const jobs: JobAttributes[] = [];
  const edges: Array<[string, string]> = [];
  for (const { task, key, name, path } of parsed) {
    const executed = execution.get(key);
    const command = isRecord(executed?.command) ? executed.command : isRecord(task.command) ? task.command : undefined;
    // WfCommons names tasks `<category>_<id>`; without the id suffix the name is the transformation.
    const stem = name?.endsWith(`_${key}`) && name.length > key.length + 1 ? name.slice(0, -key.length - 1) : undefined;
    const inferred = inferJobType(name ?? key);
    const program = typeof command?.program === 'string' && command.program !== '' ? command.program : undefined;
    const category = typeof task.category === 'string' && task.category !== '' ? task.category : undefined;
    const job: JobAttributes = {
      name: key,
      type: typeof task.type === 'string' && task.type !== '' ? task.type : inferred.type,
      transformation: program ?? category ?? stem ?? inferred.transformation,
    };
    const args = command?.arguments ?? task.arguments;
    if (args !== undefined) job.arguments = read.stringList(args, `${path}.arguments`);
    const uses = readUses(read, task, path);
    if (uses.length > 0) job.uses = uses;
    jobs.push(job);
    for (const parent of read.stringList(task.parents, `${path}.parents`)) edges.push([resolve(parent), key]);
    for (const child of read.stringList(task.children, `${path}.children`)) edges.push([key, resolve(child)]);
  }

  const instanceName = typeof root.name === 'string' && root.name !== '' ? root.name : undefined;
  return buildWorkflowGraph({
    workflow: options.workflow ?? instanceName ?? stemOf(options.source) ?? 'workflow',
    source,
    format: 'wfformat',
    jobs,
    edges,
  });
}

function readUses(read: ValueReader, task: Record<string, unknown>, path: string): JobUse[] {
  const uses: JobUse[] = [];
  for (const lfn of read.stringList(task.inputFiles, `${path}.inputFiles`)) uses.push({ lfn, link: 'input' });
  for (const lfn of read.stringList(task.outputFiles, `${path}.outputFiles`)) uses.push({ lfn, link: 'output' });
  read.optionalArray(task.files, `${path}.files`).forEach((file, i) => {
    const filePath = `${path}.files[${i}]`;
    const record = read.record(file, filePath);
    const lfn = read.string(record.name ?? record.id, `${filePath}.name`);
    const link = record.link;
    if (link !== 'input' && link !== 'output' && link !== 'inout' && link !== 'checkpoint') {
      read.fail(`${filePath}.link`, '"input" or "output"', link, `File ${quote(lfn)} has no valid link.`);
    }
    uses.push({ lfn, link });
  });
  return uses;
}
