import { buildWorkflowGraph } from './build-workflow-graph.js';
import { inferJobType } from './infer-job-type.js';
import { describeValue, graphError, quote } from './internal/errors.js';
import { parseJsonText } from './internal/json.js';
import { stemOf } from './internal/source.js';
import type { JobAttributes, WorkflowGraph } from './workflow-graph.js';

/** Options of `parseFlowBenchAdjacency`. */
export interface ParseFlowBenchAdjacencyOptions {
  /**
   * 2 (default): Flow-Bench 2022–2024, names are used exactly as written. 1: the 2019–2020 ExoGENI traces of the
   * GNN paper, whose `create_dir_*`/`cleanup_*` names carry a run timestamp; they are cut at the first `-`.
   */
  generation?: 1 | 2;
  /** Workflow name; defaults to `source`'s file stem or `"workflow"`. */
  workflow?: string;
  /** Where the input came from, for messages and `graph.attributes.source`. */
  source?: string;
}

const WHERE = 'workflow-graph/parseFlowBenchAdjacency';
const GEN1_PREFIX = /^(create_dir_|cleanup_)/;

/**
 * The gen-1 (exogeni-2020) job-name rule: `create_dir_*` and `cleanup_*` names are cut at their first `-`, so the
 * per-run timestamp disappears (`create_dir_1000genome-20200518T045356Z_0_condorpool` -> `create_dir_1000genome`).
 * Every other name is returned unchanged. Apply it to both the adjacency JSON and the trace CSV names.
 *
 * @example normalizeGen1JobName('cleanup_1000genome-20200406T033822Z_0_condorpool'); // 'cleanup_1000genome'
 */
export function normalizeGen1JobName(name: string): string {
  if (!GEN1_PREFIX.test(name)) return name;
  const dash = name.indexOf('-');
  return dash === -1 ? name : name.slice(0, dash);
}

/**
 * Parses a Flow-Bench adjacency list `{ "parentJob": ["childJob", ...] }` (every job a key, sinks map to `[]`).
 * Node index = key order (the order Flow-Bench's `parse_adj` uses for `edge_index`); edges run parent -> child.
 *
 * @example
 * const graph = parseFlowBenchAdjacency(readFileSync('montage.json', 'utf8'), { workflow: 'montage' });
 * graph.size; // 539
 * @throws ProteusError PROTEUS_GRAPH_MALFORMED_JSON for text that is not JSON or not an object of string arrays (with line/column or JSON path)
 * @throws ProteusError PROTEUS_GRAPH_DUPLICATE_JOB when gen-1 truncation makes two names collide (use generation 2)
 * @throws ProteusError PROTEUS_GRAPH_UNKNOWN_DEPENDENCY when a child is not a key
 * @throws ProteusError PROTEUS_GRAPH_DUPLICATE_EDGE when a parent lists the same child twice (every repeat in
 * `details.edges`): Flow-Bench writes each edge once, so a repeat means an altered file, and merging it silently would
 * hide that
 * @throws ProteusError PROTEUS_GRAPH_INVALID_JOB_NAME as `buildWorkflowGraph`
 * @throws ProteusError PROTEUS_GRAPH_CYCLE, PROTEUS_GRAPH_EMPTY as `buildWorkflowGraph`
 */
export function parseFlowBenchAdjacency(
  input: string | object,
  options: ParseFlowBenchAdjacencyOptions = {},
): WorkflowGraph {
  const source = options.source ?? '<adjacency>';
  const generation = options.generation ?? 2;
  if (generation !== 1 && generation !== 2) {
    throw graphError('PROTEUS_GRAPH_INVALID_OPTION', `${WHERE}: generation must be 1 or 2, got ${quote(generation)}`);
  }
  const value = typeof input === 'string' ? parseJsonText(input, `${WHERE} (${source})`) : input;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw graphError(
      'PROTEUS_GRAPH_MALFORMED_JSON',
      `${WHERE} (${source}): expected an object { "parentJob": ["childJob", ...] } at $, got ${describeValue(value)}`,
      { details: { path: '$' } },
    );
  }
  const rename = generation === 1 ? normalizeGen1JobName : (name: string) => name;
  const jobs: JobAttributes[] = [];
  const edges: Array<[string, string]> = [];
  const originalOf = new Map<string, string>();
  const repeated: Array<{ parent: string; child: string; path: string }> = [];
  for (const [key, children] of Object.entries(value)) {
    const path = `$[${JSON.stringify(key)}]`;
    if (!Array.isArray(children)) {
      throw graphError(
        'PROTEUS_GRAPH_MALFORMED_JSON',
        `${WHERE} (${source}): expected an array of child job names at ${path}, got ${describeValue(children)}. Sinks map to [].`,
        { details: { path } },
      );
    }
    const name = rename(key);
    const earlier = originalOf.get(name);
    if (earlier !== undefined) {
      throw graphError(
        'PROTEUS_GRAPH_DUPLICATE_JOB',
        `${WHERE} (${source}): keys ${quote(earlier)} and ${quote(key)} both become job ${quote(name)}${
          generation === 1
            ? ' after the gen-1 create_dir_/cleanup_ truncation. This looks like a gen-2 DAG: pass { generation: 2 }.'
            : '.'
        }`,
        { details: { duplicates: [{ job: name, keys: [earlier, key] }] } },
      );
    }
    originalOf.set(name, key);
    jobs.push({ name, ...inferJobType(name) });
    const seenChildren = new Set<string>();
    children.forEach((child, k) => {
      if (typeof child !== 'string') {
        throw graphError(
          'PROTEUS_GRAPH_MALFORMED_JSON',
          `${WHERE} (${source}): expected a job name (string) at ${path}[${k}], got ${describeValue(child)}`,
          { details: { path: `${path}[${k}]` } },
        );
      }
      const renamed = rename(child);
      if (seenChildren.has(renamed)) repeated.push({ parent: name, child: renamed, path: `${path}[${k}]` });
      seenChildren.add(renamed);
      edges.push([name, renamed]);
    });
  }
  if (repeated.length > 0) {
    throw graphError(
      'PROTEUS_GRAPH_DUPLICATE_EDGE',
      `${WHERE} (${source}): ${repeated.length} child job(s) listed twice under the same parent: ${repeated
        .slice(0, 10)
        .map((edge) => `${quote(edge.child)} at ${edge.path}`)
        .join('; ')}. Flow-Bench writes each edge once, so this file was altered or corrupted; remove the repeats.`,
      { details: { edges: repeated } },
    );
  }
  return buildWorkflowGraph({
    workflow: options.workflow ?? stemOf(options.source) ?? 'workflow',
    source,
    format: 'flowbench-adjacency',
    jobs,
    edges,
  });
}
