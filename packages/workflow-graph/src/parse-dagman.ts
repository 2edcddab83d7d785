import { buildWorkflowGraph } from './build-workflow-graph.js';
import { inferJobType } from './infer-job-type.js';
import { graphError, quote } from './internal/errors.js';
import { stemOf } from './internal/source.js';
import type { JobAttributes, WorkflowGraph } from './workflow-graph.js';

/** Options of `parseDagman`. */
export interface ParseDagmanOptions {
  /** Workflow name; defaults to the file stem without Pegasus's `-0` suffix. */
  workflow?: string;
  /** Where the input came from, for messages. */
  source?: string;
}

const WHERE = 'workflow-graph/parseDagman';

/**
 * Parses an HTCondor DAGMan input file: `JOB <name> <submit file> [DIR d] [NOOP] [DONE]`,
 * `SUBDAG EXTERNAL <name> <dag file>` and `SPLICE <name> <dag file>` (kept as one `subwf` job each), and
 * `PARENT <p...> CHILD <c...>` (every parent to every child). Keywords are case-insensitive; `#` comments, blank
 * lines and the other keywords (`SCRIPT`, `RETRY`, `VARS`, `PRIORITY`, `CATEGORY`, `MAXJOBS`, `FINAL`, ...) are
 * ignored. Job types and transformations are inferred from Pegasus job names.
 *
 * @example const graph = parseDagman('JOB a a.sub\nJOB b b.sub\nPARENT a CHILD b\n');
 * @throws ProteusError PROTEUS_GRAPH_MALFORMED_DAG for a `JOB` or `PARENT` line that is incomplete (with line and column)
 * @throws ProteusError PROTEUS_GRAPH_UNKNOWN_DEPENDENCY, PROTEUS_GRAPH_DUPLICATE_JOB, PROTEUS_GRAPH_CYCLE, PROTEUS_GRAPH_EMPTY
 */
export function parseDagman(text: string, options: ParseDagmanOptions = {}): WorkflowGraph {
  const source = options.source ?? '<dagman>';
  const where = `${WHERE} (${source})`;
  const jobs: JobAttributes[] = [];
  const edges: Array<[string, string]> = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, i) => {
    const line = i + 1;
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const tokens = trimmed.split(/\s+/);
    const keyword = (tokens[0] as string).toUpperCase();
    const fail = (what: string, token = tokens.length): never => {
      const column = columnOfToken(raw, token);
      throw graphError(
        'PROTEUS_GRAPH_MALFORMED_DAG',
        `${where}: line ${line}, column ${column}: ${what}. Got ${quote(trimmed)}.`,
        {
          details: { line, column, text: trimmed },
        },
      );
    };
    if (keyword === 'JOB') {
      const name = tokens[1];
      if (name === undefined) fail('JOB needs a node name and a submit file (JOB <name> <submit file>)');
      if (tokens[2] === undefined) fail(`JOB ${name} needs a submit file (JOB <name> <submit file>)`);
      jobs.push({ name: name as string, ...inferJobType(name as string) });
    } else if (keyword === 'SUBDAG' || keyword === 'SPLICE') {
      const offset = keyword === 'SUBDAG' ? 1 : 0;
      if (keyword === 'SUBDAG' && tokens[1]?.toUpperCase() !== 'EXTERNAL')
        fail('SUBDAG must be followed by EXTERNAL', 1);
      const name = tokens[1 + offset];
      if (name === undefined || tokens[2 + offset] === undefined) fail(`${keyword} needs a node name and a DAG file`);
      jobs.push({ name: name as string, type: 'subwf', transformation: keyword.toLowerCase() });
    } else if (keyword === 'PARENT') {
      const childAt = tokens.findIndex((token, k) => k > 0 && token.toUpperCase() === 'CHILD');
      if (childAt === -1) fail('PARENT needs CHILD (PARENT <parents...> CHILD <children...>)');
      if (childAt === 1) fail('PARENT lists no parent before CHILD', 1);
      if (childAt === tokens.length - 1) fail('CHILD lists no child');
      const parents = tokens.slice(1, childAt);
      const children = tokens.slice(childAt + 1);
      for (const parent of parents) for (const child of children) edges.push([parent, child]);
    }
  });
  const stem = stemOf(options.source)?.replace(/-\d+$/, '');
  return buildWorkflowGraph({
    workflow: options.workflow ?? stem ?? 'workflow',
    source,
    format: 'dagman',
    jobs,
    edges,
  });
}

/** 1-based column where token `index` starts, or just after the last character when the token is missing. */
function columnOfToken(line: string, index: number): number {
  const pattern = /\S+/g;
  let match: RegExpExecArray | null = pattern.exec(line);
  for (let k = 0; match !== null; k++) {
    if (k === index) return match.index + 1;
    match = pattern.exec(line);
  }
  return line.trimEnd().length + 1;
}
