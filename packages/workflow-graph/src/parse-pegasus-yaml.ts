import { buildWorkflowGraph } from './build-workflow-graph.js';
import { graphError } from './internal/errors.js';
import { fileDependencies } from './internal/file-dependencies.js';
import { loadYaml, type YamlDocument } from './internal/libraries.js';
import { isRecord, type Locate, splitPath, ValueReader } from './internal/read.js';
import { lineColumnAt, stemOf } from './internal/source.js';
import type { JobAttributes, JobLink, JobUse, TransformationInfo, WorkflowGraph } from './workflow-graph.js';

/** Options of `parsePegasusYaml`. */
export interface ParsePegasusYamlOptions {
  /** Workflow name; defaults to the document's `name`. */
  workflow?: string;
  /** Where the input came from, for messages. */
  source?: string;
}

const WHERE = 'workflow-graph/parsePegasusYaml';
const LINKS: ReadonlySet<string> = new Set(['input', 'output', 'inout', 'checkpoint', 'none']);

/**
 * Parses a Pegasus 5.0 abstract workflow (YAML). Jobs are keyed by `id` in file order; the transformation is the
 * job's `name` (`namespace::name:version` when those are given), or the `file` of a `pegasusWorkflow` /
 * `condorWorkflow` job (type `subwf`). Edges are the explicit `jobDependencies` plus the file edges the planner
 * infers: a job with an `output` (or `inout`) use of an lfn precedes every other job with an `input` use of it.
 * `transformationCatalog.transformations[]` is kept in `graph.attributes.transformations`.
 *
 * @example const graph = parsePegasusYaml(readFileSync('workflow.yml', 'utf8'), { source: 'workflow.yml' });
 * @throws ProteusError PROTEUS_GRAPH_MALFORMED_YAML for YAML syntax errors or a wrong shape (with line, column and path)
 * @throws ProteusError PROTEUS_GRAPH_UNKNOWN_DEPENDENCY, PROTEUS_GRAPH_DUPLICATE_JOB, PROTEUS_GRAPH_CYCLE, PROTEUS_GRAPH_EMPTY
 */
export function parsePegasusYaml(text: string, options: ParsePegasusYamlOptions = {}): WorkflowGraph {
  const source = options.source ?? '<pegasus-yaml>';
  const where = `${WHERE} (${source})`;
  const yaml = loadYaml(where);
  const document = yaml.parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  const first = document.errors[0];
  if (first !== undefined) {
    const start = first.linePos?.[0] ?? lineColumnAt(text, first.pos?.[0] ?? 0);
    const line = start.line;
    const column = 'col' in start ? start.col : start.column;
    throw graphError(
      'PROTEUS_GRAPH_MALFORMED_YAML',
      `${where}: malformed YAML at line ${line}, column ${column}: ${first.message.split('\n')[0]}${
        document.errors.length > 1 ? ` (and ${document.errors.length - 1} more error(s))` : ''
      }`,
      { details: { line, column, code: first.code, errors: document.errors.length }, cause: first },
    );
  }
  let value: unknown;
  try {
    value = document.toJS({ maxAliasCount: 1000 });
  } catch (cause) {
    throw graphError(
      'PROTEUS_GRAPH_MALFORMED_YAML',
      `${where}: cannot expand the YAML document: ${(cause as Error).message}`,
      { cause },
    );
  }
  const read: ValueReader = new ValueReader('PROTEUS_GRAPH_MALFORMED_YAML', where, locator(document, text));
  const root = read.record(value, '$', 'A Pegasus workflow is a mapping with pegasus, name and jobs.');
  const jobsRaw = read.array(root.jobs, '$.jobs');

  const jobs: JobAttributes[] = jobsRaw.map((raw, i) => readJob(read, raw, `$.jobs[${i}]`));
  const edges: Array<[string, string]> = [];
  read.optionalArray(root.jobDependencies, '$.jobDependencies').forEach((raw, i) => {
    const path = `$.jobDependencies[${i}]`;
    const dependency = read.record(raw, path);
    const parent = read.scalar(dependency.id, `${path}.id`);
    for (const child of read.stringList(dependency.children, `${path}.children`)) edges.push([parent, child]);
  });
  edges.push(...fileDependencies(jobs));

  const transformations = readCatalog(read, root.transformationCatalog);
  const name = typeof root.name === 'string' && root.name !== '' ? root.name : undefined;
  return buildWorkflowGraph({
    workflow: options.workflow ?? name ?? stemOf(options.source) ?? 'workflow',
    source,
    format: 'pegasus-yaml',
    jobs,
    edges,
    ...(transformations === undefined ? {} : { transformations }),
  });
}

function readJob(read: ValueReader, raw: unknown, path: string): JobAttributes {
  const job = read.record(raw, path);
  const id = read.scalar(job.id, `${path}.id`);
  const kind = job.type === undefined ? 'job' : read.string(job.type, `${path}.type`);
  let type: string;
  let transformation: string;
  if (kind === 'job') {
    const name = read.string(job.name, `${path}.name`);
    const namespace = read.optionalString(job.namespace, `${path}.namespace`);
    const version = job.version === undefined ? undefined : read.scalar(job.version, `${path}.version`);
    type = 'compute';
    transformation = `${namespace === undefined ? '' : `${namespace}::`}${name}${version === undefined ? '' : `:${version}`}`;
  } else if (kind === 'pegasusWorkflow' || kind === 'condorWorkflow') {
    type = 'subwf';
    transformation = read.string(job.file, `${path}.file`);
  } else {
    return read.fail(`${path}.type`, '"job", "pegasusWorkflow" or "condorWorkflow"', kind);
  }
  const out: JobAttributes = { name: id, type, transformation };
  if (job.arguments !== undefined) out.arguments = read.stringList(job.arguments, `${path}.arguments`);
  const uses: JobUse[] = [];
  read.optionalArray(job.uses, `${path}.uses`).forEach((rawUse, k) => {
    const usePath = `${path}.uses[${k}]`;
    const use = read.record(rawUse, usePath);
    const lfn = read.scalar(use.lfn, `${usePath}.lfn`);
    const link = read.string(use.type, `${usePath}.type`);
    if (!LINKS.has(link)) read.fail(`${usePath}.type`, 'one of input, output, inout, checkpoint, none', link);
    if (link !== 'none') uses.push({ lfn, link: link as JobLink });
  });
  if (uses.length > 0) out.uses = uses;
  if (job.profiles !== undefined) out.profiles = readProfiles(read, job.profiles, `${path}.profiles`);
  return out;
}

function readProfiles(read: ValueReader, value: unknown, path: string): Record<string, Record<string, string>> {
  const profiles: Record<string, Record<string, string>> = {};
  for (const [namespace, entries] of Object.entries(read.record(value, path))) {
    const inner: Record<string, string> = {};
    for (const [key, entry] of Object.entries(read.record(entries, `${path}.${namespace}`))) {
      inner[key] = typeof entry === 'string' ? entry : JSON.stringify(entry);
    }
    profiles[namespace] = inner;
  }
  return profiles;
}

function readCatalog(read: ValueReader, value: unknown): Record<string, TransformationInfo> | undefined {
  if (value === undefined || value === null) return undefined;
  const catalog = read.record(value, '$.transformationCatalog');
  const out: Record<string, TransformationInfo> = {};
  read.optionalArray(catalog.transformations, '$.transformationCatalog.transformations').forEach((raw, i) => {
    const path = `$.transformationCatalog.transformations[${i}]`;
    const entry = read.record(raw, path);
    const name = read.string(entry.name, `${path}.name`);
    const info: TransformationInfo = {};
    const namespace = read.optionalString(entry.namespace, `${path}.namespace`);
    if (namespace !== undefined) info.namespace = namespace;
    if (entry.version !== undefined) info.version = read.scalar(entry.version, `${path}.version`);
    const site = read.optionalArray(entry.sites, `${path}.sites`)[0];
    if (isRecord(site)) {
      if (typeof site.name === 'string') info.site = site.name;
      if (typeof site.pfn === 'string') info.pfn = site.pfn;
      if (typeof site.container === 'string') info.container = site.container;
    }
    out[name] = info;
  });
  return out;
}

/** Line and column of the deepest existing node on a path, from the YAML node ranges. */
function locator(document: YamlDocument, text: string): Locate {
  return (path) => {
    const keys = splitPath(path);
    for (let depth = keys.length; depth >= 0; depth--) {
      const node = depth === 0 ? undefined : document.getIn(keys.slice(0, depth), true);
      const range = isRecord(node) && Array.isArray(node.range) ? (node.range as number[]) : undefined;
      if (range?.[0] !== undefined) return lineColumnAt(text, range[0]);
    }
    return undefined;
  };
}
