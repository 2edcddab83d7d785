import { buildWorkflowGraph } from './build-workflow-graph.js';
import { inferJobType } from './infer-job-type.js';
import { graphError } from './internal/errors.js';
import { parseJsonText } from './internal/json.js';
import { isRecord, ValueReader } from './internal/read.js';
import { stemOf } from './internal/source.js';
import { parseFlowBenchAdjacency } from './parse-flowbench-adjacency.js';
import { parseWfFormat } from './parse-wfformat.js';
import type { JobAttributes, JobUse, TransformationInfo, WorkflowGraph } from './workflow-graph.js';

/** Options of `parseWorkflowJson`. */
export interface ParseWorkflowJsonOptions {
  /** For Flow-Bench adjacency JSON: 1 applies the gen-1 name truncation. Default 2. */
  generation?: 1 | 2;
  workflow?: string;
  source?: string;
}

/** The JSON layouts `parseWorkflowJson` recognizes. */
export type WorkflowJsonKind = 'node-link' | 'wfformat' | 'flowbench-adjacency';

const WHERE = 'workflow-graph/parseWorkflowJson';

/**
 * Tells which workflow JSON layout a parsed value has, or `undefined`: node-link (`nodes` of objects plus `links`
 * or `edges`), WfFormat (an object under `workflow`), or a Flow-Bench adjacency list (an object of arrays).
 *
 * @example detectWorkflowJson({ a: ['b'], b: [] }); // 'flowbench-adjacency'
 */
export function detectWorkflowJson(value: unknown): WorkflowJsonKind | undefined {
  if (!isRecord(value)) return undefined;
  if (
    Array.isArray(value.nodes) &&
    (Array.isArray(value.links) || Array.isArray(value.edges)) &&
    value.nodes.every(isRecord)
  ) {
    return 'node-link';
  }
  if (isRecord(value.workflow)) return 'wfformat';
  if (Object.values(value).every(Array.isArray)) return 'flowbench-adjacency';
  return undefined;
}

/**
 * Parses any workflow JSON this package knows: node-link JSON written by `toJson` (or networkx `node_link_data`),
 * WfCommons WfFormat, or a Flow-Bench adjacency list; the layout is detected with `detectWorkflowJson`.
 *
 * @example const graph = parseWorkflowJson(JSON.stringify(toJson(original)));
 * @throws ProteusError PROTEUS_GRAPH_MALFORMED_JSON for malformed JSON (line/column) or a wrong shape (JSON path)
 * @throws ProteusError PROTEUS_GRAPH_UNKNOWN_FORMAT when the JSON is none of the three layouts
 * @throws ProteusError PROTEUS_GRAPH_UNKNOWN_DEPENDENCY, PROTEUS_GRAPH_DUPLICATE_JOB, PROTEUS_GRAPH_CYCLE, PROTEUS_GRAPH_EMPTY
 */
export function parseWorkflowJson(input: string | object, options: ParseWorkflowJsonOptions = {}): WorkflowGraph {
  const source = options.source ?? '<json>';
  const value = typeof input === 'string' ? parseJsonText(input, `${WHERE} (${source})`) : input;
  const kind = detectWorkflowJson(value);
  const named = { source, ...(options.workflow === undefined ? {} : { workflow: options.workflow }) };
  if (kind === 'wfformat') return parseWfFormat(value as object, named);
  if (kind === 'flowbench-adjacency') {
    return parseFlowBenchAdjacency(value as object, {
      ...named,
      ...(options.generation === undefined ? {} : { generation: options.generation }),
    });
  }
  if (kind === 'node-link') return parseNodeLink(value as Record<string, unknown>, options, source);
  throw graphError(
    'PROTEUS_GRAPH_UNKNOWN_FORMAT',
    `${WHERE} (${source}): the JSON is not a workflow this package reads. Expected node-link JSON ({ nodes, links }), WfFormat ({ workflow: { specification: { tasks } } }) or a Flow-Bench adjacency list ({ "job": ["child", ...] }).`,
    { details: { keys: isRecord(value) ? Object.keys(value).slice(0, 20) : [] } },
  );
}

function parseNodeLink(
  root: Record<string, unknown>,
  options: ParseWorkflowJsonOptions,
  source: string,
): WorkflowGraph {
  const read: ValueReader = new ValueReader('PROTEUS_GRAPH_MALFORMED_JSON', `${WHERE} (${source})`);
  const meta = root.graph === undefined ? {} : read.record(root.graph, '$.graph');
  const jobs = read.array(root.nodes, '$.nodes').map((raw, i): JobAttributes => {
    const path = `$.nodes[${i}]`;
    const node = read.record(raw, path);
    const name = read.scalar(node.id, `${path}.id`);
    const inferred = inferJobType(name);
    const job: JobAttributes = {
      name,
      type: read.optionalString(node.type, `${path}.type`) ?? inferred.type,
      transformation: read.optionalString(node.transformation, `${path}.transformation`) ?? inferred.transformation,
    };
    if (node.arguments !== undefined) job.arguments = read.stringList(node.arguments, `${path}.arguments`);
    if (node.uses !== undefined) job.uses = readUses(read, node.uses, `${path}.uses`);
    if (node.profiles !== undefined) job.profiles = readProfiles(read, node.profiles, `${path}.profiles`);
    return job;
  });
  const linksKey = Array.isArray(root.links) ? 'links' : 'edges';
  const edges = read.array(root[linksKey], `$.${linksKey}`).map((raw, i): [string, string] => {
    const path = `$.${linksKey}[${i}]`;
    const link = read.record(raw, path);
    return [read.scalar(link.source, `${path}.source`), read.scalar(link.target, `${path}.target`)];
  });
  const transformations =
    meta.transformations === undefined ? undefined : readTransformations(read, meta.transformations);
  const workflow =
    options.workflow ??
    read.optionalString(meta.workflow ?? meta.name, '$.graph.workflow') ??
    stemOf(source) ??
    'workflow';
  return buildWorkflowGraph({
    workflow,
    source,
    format: 'node-link',
    jobs,
    edges,
    ...(transformations === undefined ? {} : { transformations }),
  });
}

function readUses(read: ValueReader, value: unknown, path: string): JobUse[] {
  return read.array(value, path).map((raw, i) => {
    const use = read.record(raw, `${path}[${i}]`);
    const link = use.link;
    if (link !== 'input' && link !== 'output' && link !== 'inout' && link !== 'checkpoint') {
      return read.fail(`${path}[${i}].link`, 'one of "input", "output", "inout", "checkpoint"', link);
    }
    return { lfn: read.string(use.lfn, `${path}[${i}].lfn`), link };
  });
}

function readProfiles(read: ValueReader, value: unknown, path: string): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  for (const [namespace, entries] of Object.entries(read.record(value, path))) {
    const inner: Record<string, string> = {};
    for (const [key, entry] of Object.entries(read.record(entries, `${path}.${namespace}`))) {
      inner[key] = read.scalar(entry, `${path}.${namespace}.${key}`);
    }
    out[namespace] = inner;
  }
  return out;
}

function readTransformations(read: ValueReader, value: unknown): Record<string, TransformationInfo> {
  const out: Record<string, TransformationInfo> = {};
  for (const [name, raw] of Object.entries(read.record(value, '$.graph.transformations'))) {
    const entry = read.record(raw, `$.graph.transformations.${name}`);
    const info: TransformationInfo = {};
    for (const key of ['pfn', 'site', 'namespace', 'version', 'container'] as const) {
      const field = read.optionalString(entry[key], `$.graph.transformations.${name}.${key}`);
      if (field !== undefined) info[key] = field;
    }
    out[name] = info;
  }
  return out;
}
