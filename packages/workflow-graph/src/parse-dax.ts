import { buildWorkflowGraph } from './build-workflow-graph.js';
import { describeValue, graphError, quote } from './internal/errors.js';
import { fileDependencies } from './internal/file-dependencies.js';
import { loadXml } from './internal/libraries.js';
import { stemOf } from './internal/source.js';
import type { JobAttributes, JobLink, JobUse, TransformationInfo, WorkflowGraph } from './workflow-graph.js';

/** Options of `parseDax`. */
export interface ParseDaxOptions {
  /** Workflow name; defaults to `adag@name`. */
  workflow?: string;
  /** Where the input came from, for messages. */
  source?: string;
}

const WHERE = 'workflow-graph/parseDax';
const LINKS: ReadonlySet<string> = new Set(['input', 'output', 'inout', 'checkpoint', 'none']);
const PARSER_OPTIONS = {
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  removeNSPrefix: true,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  processEntities: true,
} as const;

/** One element of fast-xml-parser's `preserveOrder` output. */
interface XmlElement {
  tag: string;
  attributes: Record<string, string>;
  children: XmlNode[];
  path: string;
}
type XmlNode = XmlElement | { text: string };

/**
 * Parses a Pegasus DAX 3.x abstract workflow (XML). `<job id name namespace? version?>`, `<dax id file>` and
 * `<dag id file>` are jobs (the last two of type `subwf`), keyed by `id` in file order; `<argument>` text (with
 * `<file name>` / `<filename file>` references spelled out) becomes the argument list; `<uses>` accepts both `file=` (DAX 3.0) and
 * `name=` (3.2+); `<profile>` values are kept; `<child ref><parent ref/></child>` gives the edges, plus the
 * producer -> consumer file edges (as for Pegasus YAML). `<executable>` entries go to `attributes.transformations`.
 *
 * @example const graph = parseDax(readFileSync('diamond.dax', 'utf8'), { source: 'diamond.dax' });
 * @throws ProteusError PROTEUS_GRAPH_MALFORMED_XML for XML that is not well-formed (line/column) or is not a DAX (element path)
 * @throws ProteusError PROTEUS_GRAPH_UNKNOWN_DEPENDENCY, PROTEUS_GRAPH_DUPLICATE_JOB, PROTEUS_GRAPH_CYCLE, PROTEUS_GRAPH_EMPTY
 */
export function parseDax(text: string, options: ParseDaxOptions = {}): WorkflowGraph {
  const source = options.source ?? '<dax>';
  const where = `${WHERE} (${source})`;
  const xml = loadXml(where);
  let verdict: ReturnType<typeof xml.XMLValidator.validate>;
  try {
    verdict = xml.XMLValidator.validate(text, { allowBooleanAttributes: false });
  } catch (cause) {
    throw graphError('PROTEUS_GRAPH_MALFORMED_XML', `${where}: cannot validate the XML: ${(cause as Error).message}`, {
      cause,
    });
  }
  if (verdict !== true) {
    const { line, col: column, msg, code } = verdict.err;
    throw graphError(
      'PROTEUS_GRAPH_MALFORMED_XML',
      `${where}: malformed XML at line ${line}, column ${column}: ${msg}`,
      {
        details: { line, column, code },
      },
    );
  }
  let parsed: unknown;
  try {
    parsed = new xml.XMLParser(PARSER_OPTIONS).parse(text);
  } catch (cause) {
    throw graphError('PROTEUS_GRAPH_MALFORMED_XML', `${where}: cannot parse the XML: ${(cause as Error).message}`, {
      cause,
    });
  }
  const fail = (path: string, what: string): never => {
    throw graphError('PROTEUS_GRAPH_MALFORMED_XML', `${where}: ${what} at ${path}`, { details: { path } });
  };
  const top = toNodes(parsed, '').filter(isElement);
  const adag = top.find((node) => node.tag === 'adag');
  if (adag === undefined) {
    fail(
      '/',
      `expected a root element <adag> (a Pegasus DAX), got ${top.map((n) => `<${n.tag}>`).join(', ') || 'no element'}`,
    );
  }
  const root = adag as XmlElement;

  const jobs: JobAttributes[] = [];
  const edges: Array<[string, string]> = [];
  const transformations: Record<string, TransformationInfo> = {};
  for (const element of root.children.filter(isElement)) {
    if (element.tag === 'job' || element.tag === 'dax' || element.tag === 'dag') {
      jobs.push(readJob(element, fail));
    } else if (element.tag === 'child') {
      const child = element.attributes.ref ?? fail(element.path, '<child> needs a ref attribute');
      for (const parent of element.children.filter(isElement)) {
        if (parent.tag !== 'parent') continue;
        edges.push([parent.attributes.ref ?? fail(parent.path, '<parent> needs a ref attribute'), child]);
      }
    } else if (element.tag === 'executable') {
      const name = element.attributes.name ?? fail(element.path, '<executable> needs a name attribute');
      const info: TransformationInfo = {};
      if (element.attributes.namespace !== undefined) info.namespace = element.attributes.namespace;
      if (element.attributes.version !== undefined) info.version = element.attributes.version;
      const pfn = element.children.filter(isElement).find((node) => node.tag === 'pfn');
      if (pfn?.attributes.url !== undefined) info.pfn = pfn.attributes.url;
      if (pfn?.attributes.site !== undefined) info.site = pfn.attributes.site;
      transformations[name] = info;
    }
  }
  edges.push(...fileDependencies(jobs));
  return buildWorkflowGraph({
    workflow: options.workflow ?? root.attributes.name ?? stemOf(options.source) ?? 'workflow',
    source,
    format: 'pegasus-dax',
    jobs,
    edges,
    ...(Object.keys(transformations).length === 0 ? {} : { transformations }),
  });
}

function readJob(element: XmlElement, fail: (path: string, what: string) => never): JobAttributes {
  const { attributes, path } = element;
  const id = attributes.id ?? fail(path, `<${element.tag}> needs an id attribute`);
  let job: JobAttributes;
  if (element.tag === 'job') {
    const name = attributes.name ?? fail(path, `<job id=${quote(id)}> needs a name attribute (the transformation)`);
    const namespace = attributes.namespace === undefined ? '' : `${attributes.namespace}::`;
    const version = attributes.version === undefined ? '' : `:${attributes.version}`;
    job = { name: id, type: 'compute', transformation: `${namespace}${name}${version}` };
  } else {
    const file =
      attributes.file ?? attributes.name ?? fail(path, `<${element.tag} id=${quote(id)}> needs a file attribute`);
    job = { name: id, type: 'subwf', transformation: file };
  }
  const uses: JobUse[] = [];
  const profiles: Record<string, Record<string, string>> = {};
  for (const child of element.children.filter(isElement)) {
    if (child.tag === 'argument') {
      job.arguments = argumentText(child)
        .split(/\s+/)
        .filter((token) => token !== '');
    } else if (child.tag === 'uses') {
      const lfn =
        child.attributes.name ??
        child.attributes.file ??
        fail(child.path, '<uses> needs a name (DAX 3.2+) or file (DAX 3.0) attribute');
      const link =
        child.attributes.link ?? fail(child.path, `<uses ${quote(lfn)}> needs a link attribute (input, output, inout)`);
      if (!LINKS.has(link))
        fail(
          child.path,
          `<uses ${quote(lfn)}> has link=${quote(link)}; expected input, output, inout, checkpoint or none`,
        );
      if (link !== 'none') uses.push({ lfn, link: link as JobLink });
    } else if (child.tag === 'profile') {
      const namespace = child.attributes.namespace ?? fail(child.path, '<profile> needs a namespace attribute');
      const key = child.attributes.key ?? fail(child.path, '<profile> needs a key attribute');
      const entries = profiles[namespace] ?? {};
      entries[key] = argumentText(child).trim();
      profiles[namespace] = entries;
    }
  }
  if (uses.length > 0) job.uses = uses;
  if (Object.keys(profiles).length > 0) job.profiles = profiles;
  return job;
}

/** Text content with `<file name="x"/>` (DAX 3.2+) and `<filename file="x"/>` (DAX 3.0) written as `x`. */
function argumentText(element: XmlElement): string {
  return element.children
    .map((node) =>
      isElement(node)
        ? node.tag === 'file' || node.tag === 'filename'
          ? ` ${node.attributes.name ?? node.attributes.file ?? ''} `
          : argumentText(node)
        : node.text,
    )
    .join('');
}

function isElement(node: XmlNode): node is XmlElement {
  return 'tag' in node;
}

/** Converts fast-xml-parser's preserveOrder arrays into typed nodes with an element path for messages. */
function toNodes(value: unknown, parentPath: string): XmlNode[] {
  if (!Array.isArray(value)) {
    throw graphError(
      'PROTEUS_GRAPH_MALFORMED_XML',
      `${WHERE}: unexpected parser output ${describeValue(value)} at ${parentPath || '/'}`,
    );
  }
  const counts = new Map<string, number>();
  const out: XmlNode[] = [];
  for (const entry of value) {
    if (typeof entry !== 'object' || entry === null) continue;
    const record = entry as Record<string, unknown>;
    if ('#text' in record) {
      out.push({ text: String(record['#text']) });
      continue;
    }
    const tag = Object.keys(record).find((key) => key !== ':@');
    if (tag === undefined) continue;
    const position = (counts.get(tag) ?? 0) + 1;
    counts.set(tag, position);
    const path = `${parentPath}/${tag}[${position}]`;
    const rawAttributes = (record[':@'] ?? {}) as Record<string, unknown>;
    const attributes: Record<string, string> = {};
    for (const [key, attribute] of Object.entries(rawAttributes)) attributes[key] = String(attribute);
    out.push({ tag, attributes, children: toNodes(record[tag], path), path });
  }
  return out;
}
