import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { isProteusError, ProteusError } from '@proteus-wf/core';
import { graphError, quote } from './internal/errors.js';
import { parseJsonText } from './internal/json.js';
import { parseDagman } from './parse-dagman.js';
import { parseDax } from './parse-dax.js';
import { parseFlowBenchAdjacency } from './parse-flowbench-adjacency.js';
import { parsePegasusYaml } from './parse-pegasus-yaml.js';
import { parseWfFormat } from './parse-wfformat.js';
import { detectWorkflowJson, parseWorkflowJson } from './parse-workflow-json.js';
import type { WorkflowGraph } from './workflow-graph.js';

/** The formats `parseWorkflow` and `loadWorkflowGraph` accept; `json` detects the JSON layout. */
export type WorkflowInputFormat =
  | 'json'
  | 'flowbench-adjacency'
  | 'wfformat'
  | 'node-link'
  | 'pegasus-yaml'
  | 'pegasus-dax'
  | 'dagman';

/** Options of `parseWorkflow` and `loadWorkflowGraph`. */
export interface LoadWorkflowGraphOptions {
  /** The input format; detected from the content, then the extension, when absent. */
  format?: WorkflowInputFormat;
  /** For Flow-Bench adjacency JSON: 1 applies the gen-1 create_dir_/cleanup_ truncation. Default 2. */
  generation?: 1 | 2;
  /** Workflow name; each format has its own default (file stem, `name`, `adag@name`). */
  workflow?: string;
}

/** Options of `parseWorkflow`: those of `loadWorkflowGraph` plus where the text came from. */
export interface ParseWorkflowOptions extends LoadWorkflowGraphOptions {
  /** A path or description; its extension is used to detect the format. */
  source?: string;
}

const FORMATS: ReadonlySet<string> = new Set([
  'json',
  'flowbench-adjacency',
  'wfformat',
  'node-link',
  'pegasus-yaml',
  'pegasus-dax',
  'dagman',
]);
const BY_EXTENSION: Readonly<Record<string, WorkflowInputFormat>> = {
  '.json': 'json',
  '.yml': 'pegasus-yaml',
  '.yaml': 'pegasus-yaml',
  '.xml': 'pegasus-dax',
  '.dax': 'pegasus-dax',
  '.dag': 'dagman',
};

const FORMAT_NAMES: Readonly<Record<WorkflowInputFormat, string>> = {
  json: 'JSON',
  'flowbench-adjacency': 'Flow-Bench adjacency JSON',
  wfformat: 'WfFormat JSON',
  'node-link': 'node-link JSON',
  'pegasus-yaml': 'Pegasus YAML',
  'pegasus-dax': 'Pegasus DAX (XML)',
  dagman: 'DAGMan',
};

/**
 * Detects a workflow file's format from its content — `{`/`[` JSON, `<` XML (DAX), a top-level `pegasus:`, `jobs:` or
 * `name:` key YAML, `JOB`/`PARENT`/`SUBDAG`/`SPLICE` lines DAGMan — and only when the content says nothing, from its
 * extension (`.json`, `.yml`/`.yaml`, `.xml`/`.dax`, `.dag`). Content first: `pegasus-plan` accepts a Pegasus 5 YAML
 * named `workflow.dax`.
 *
 * @example detectWorkflowFormat('workflow.dax', 'pegasus: "5.0"\nname: diamond\njobs: []\n'); // 'pegasus-yaml'
 */
export function detectWorkflowFormat(source: string | undefined, text: string): WorkflowInputFormat | undefined {
  return detectFromContent(text) ?? formatOfExtension(source);
}

function formatOfExtension(source: string | undefined): WorkflowInputFormat | undefined {
  return source === undefined ? undefined : BY_EXTENSION[extname(source).toLowerCase()];
}

function detectFromContent(text: string): WorkflowInputFormat | undefined {
  const head = text.replace(/^\uFEFF/, '').trimStart();
  if (head.startsWith('{') || head.startsWith('[')) return 'json';
  if (head.startsWith('<')) return 'pegasus-dax';
  if (/^(pegasus|jobs|name|x-pegasus|transformationCatalog|replicaCatalog|jobDependencies)\s*:/m.test(text)) {
    return 'pegasus-yaml';
  }
  if (/^\s*(JOB|PARENT|SUBDAG|SPLICE)\s/im.test(text)) return 'dagman';
  return undefined;
}

/** The first characters of a text, for "found ..." in messages. */
function headOf(text: string): string {
  const head = text
    .replace(/^\uFEFF/, '')
    .trimStart()
    .slice(0, 40)
    .replace(/\s+/g, ' ');
  return head === '' ? 'an empty file' : quote(head);
}

/**
 * Parses workflow text in any supported format (see `detectWorkflowFormat`). Synchronous; `loadWorkflowGraph` reads
 * a file first.
 *
 * @example const graph = parseWorkflow(text, { source: 'diamond.yml' });
 * @throws ProteusError PROTEUS_GRAPH_UNKNOWN_FORMAT when the format cannot be detected or is not supported
 * @throws ProteusError every code of the format's parser (PROTEUS_GRAPH_MALFORMED_*, PROTEUS_GRAPH_CYCLE, ...)
 */
export function parseWorkflow(text: string, options: ParseWorkflowOptions = {}): WorkflowGraph {
  const source = options.source ?? '<text>';
  if (options.format !== undefined && !FORMATS.has(options.format)) {
    throw graphError(
      'PROTEUS_GRAPH_UNKNOWN_FORMAT',
      `workflow-graph/parseWorkflow (${source}): unknown format ${quote(options.format)}. Use one of ${[...FORMATS].join(', ')}.`,
    );
  }
  const byContent = detectFromContent(text);
  const format = options.format ?? byContent ?? formatOfExtension(options.source);
  try {
    return parseAs(format, text, source, options);
  } catch (error) {
    // Say which format was expected and why, and what the text looks like, when the two may disagree.
    if (!isProteusError(error) || format === undefined || error.code === 'PROTEUS_GRAPH_UNKNOWN_FORMAT') throw error;
    const family = (f: WorkflowInputFormat | undefined) =>
      f === 'flowbench-adjacency' || f === 'wfformat' || f === 'node-link' ? 'json' : f;
    if (byContent !== undefined && family(byContent) === family(format)) throw error;
    const why =
      options.format !== undefined ? 'as { format } asked' : `from the ${extname(source) || 'missing'} extension`;
    const found =
      byContent === undefined
        ? `content starting ${headOf(text)}`
        : `content that looks like ${FORMAT_NAMES[byContent]}`;
    throw new ProteusError(
      error.code,
      `${error.message} (read as ${FORMAT_NAMES[format]} ${why}; found ${found}.${byContent === undefined ? '' : ` Pass { format: '${byContent}' }.`})`,
      { details: error.details, cause: error },
    );
  }
}

function parseAs(
  format: WorkflowInputFormat | undefined,
  text: string,
  source: string,
  options: ParseWorkflowOptions,
): WorkflowGraph {
  const named = { source, ...(options.workflow === undefined ? {} : { workflow: options.workflow }) };
  switch (format) {
    case 'json':
      return parseWorkflowJson(text, {
        ...named,
        ...(options.generation === undefined ? {} : { generation: options.generation }),
      });
    case 'flowbench-adjacency':
      return parseFlowBenchAdjacency(text, {
        ...named,
        ...(options.generation === undefined ? {} : { generation: options.generation }),
      });
    case 'wfformat':
      return parseWfFormat(text, named);
    case 'node-link': {
      const value = parseJsonText(text, `workflow-graph/parseWorkflow (${source})`);
      if (detectWorkflowJson(value) !== 'node-link') {
        throw graphError(
          'PROTEUS_GRAPH_MALFORMED_JSON',
          `workflow-graph/parseWorkflow (${source}): expected node-link JSON { nodes: [{ id }], links: [{ source, target }] } at $. Use format 'json' to detect the layout.`,
          { details: { path: '$' } },
        );
      }
      return parseWorkflowJson(value as object, named);
    }
    case 'pegasus-yaml':
      return parsePegasusYaml(text, named);
    case 'pegasus-dax':
      return parseDax(text, named);
    case 'dagman':
      return parseDagman(text, named);
    default:
      throw graphError(
        'PROTEUS_GRAPH_UNKNOWN_FORMAT',
        `workflow-graph/parseWorkflow (${source}): cannot tell the workflow format: expected JSON ({ or [), XML (<adag>), Pegasus YAML (pegasus:/jobs: keys) or DAGMan (JOB lines), found ${headOf(text)} with ${extname(source) ? `the unknown extension ${extname(source)}` : 'no extension'}. Pass { format } (one of ${[...FORMATS].join(', ')}).`,
      );
  }
}

/**
 * Reads a workflow file and parses it: Flow-Bench adjacency / WfFormat / node-link JSON, Pegasus YAML, DAX, DAGMan.
 *
 * @example const graph = await loadWorkflowGraph('../shared/datasets/flowbench/adjacency_list_dags/montage.json');
 * @example const gen1 = await loadWorkflowGraph('exogeni-2020/adjacency_list_dags/1000genome.json', { generation: 1 });
 * @throws ProteusError PROTEUS_GRAPH_READ_FAILED when the file cannot be read (missing, a folder, no permission)
 * @throws ProteusError every code of `parseWorkflow`
 */
export async function loadWorkflowGraph(path: string, options: LoadWorkflowGraphOptions = {}): Promise<WorkflowGraph> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    const reason =
      code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a folder, not a file' : (cause as Error).message;
    throw graphError(
      'PROTEUS_GRAPH_READ_FAILED',
      `workflow-graph/loadWorkflowGraph: cannot read ${quote(path)}: ${reason}.`,
      {
        details: { path, code },
        cause,
      },
    );
  }
  return parseWorkflow(text, { ...options, source: path });
}
