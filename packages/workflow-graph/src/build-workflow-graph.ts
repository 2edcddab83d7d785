import { checkJobName, describeJobNameProblem, type JobNameProblem } from './check-job-name.js';
import { graphError, quote } from './internal/errors.js';
import { type JobAttributes, WorkflowGraph, type WorkflowGraphInput } from './workflow-graph.js';

const WHERE = 'workflow-graph/buildWorkflowGraph';
const MAX_LISTED = 10;

/**
 * Validates jobs and edges and builds an immutable `WorkflowGraph`. Parsers call it; use it directly for DAGs that
 * come from elsewhere. Duplicate edges are merged (as PyG's `coalesce` does).
 *
 * @example
 * const graph = buildWorkflowGraph({
 *   workflow: 'diamond', format: 'node-link',
 *   jobs: ['a', 'b', 'c', 'd'].map((name) => ({ name, type: 'compute', transformation: 'x' })),
 *   edges: [['a', 'b'], ['a', 'c'], ['b', 'd'], ['c', 'd']],
 * });
 * @throws ProteusError PROTEUS_GRAPH_EMPTY when there are no jobs
 * @throws ProteusError PROTEUS_GRAPH_INVALID_JOB_NAME when a job name is not a safe file-name component (see
 * `checkJobName`; every bad name in `details.jobs`)
 * @throws ProteusError PROTEUS_GRAPH_DUPLICATE_JOB when two jobs share a name (all duplicates in `details`)
 * @throws ProteusError PROTEUS_GRAPH_UNKNOWN_DEPENDENCY when an edge names a job that does not exist (all in `details`)
 * @throws ProteusError PROTEUS_GRAPH_CYCLE when the edges form a cycle (the jobs on one cycle in `details.cycle`)
 */
export function buildWorkflowGraph(input: WorkflowGraphInput): WorkflowGraph {
  const source = input.source ?? `<${input.format}>`;
  const where = `${WHERE} (${source})`;
  if (input.jobs.length === 0) {
    throw graphError(
      'PROTEUS_GRAPH_EMPTY',
      `${where}: workflow ${quote(input.workflow)} has no jobs. A workflow needs at least one job.`,
      {
        details: { workflow: input.workflow, source },
      },
    );
  }

  const badNames: Array<{ job: string; position: number; problem: JobNameProblem }> = [];
  input.jobs.forEach((job, position) => {
    const problem = typeof job.name === 'string' ? checkJobName(job.name) : 'empty';
    if (problem !== undefined) badNames.push({ job: String(job.name), position, problem });
  });
  if (badNames.length > 0) {
    throw graphError(
      'PROTEUS_GRAPH_INVALID_JOB_NAME',
      `${where}: ${badNames.length} job name(s) cannot be used as file names: ${badNames
        .slice(0, MAX_LISTED)
        .map((bad) => `${quote(bad.job)} at position ${bad.position} ${describeJobNameProblem(bad.problem)}`)
        .join(
          '; ',
        )}. Testbeds name each job's folder and logs after the job: rename these jobs (no "/", "\\", NUL, control characters, "." or "..").`,
      { details: { jobs: badNames } },
    );
  }

  const index = new Map<string, number>();
  const duplicates = new Map<string, number[]>();
  input.jobs.forEach((job, i) => {
    const seen = index.get(job.name);
    if (seen === undefined) index.set(job.name, i);
    else duplicates.set(job.name, [...(duplicates.get(job.name) ?? [seen]), i]);
  });
  if (duplicates.size > 0) {
    const list = [...duplicates].map(([job, positions]) => ({ job, positions }));
    throw graphError(
      'PROTEUS_GRAPH_DUPLICATE_JOB',
      `${where}: ${list.length} job name(s) appear more than once: ${list
        .slice(0, MAX_LISTED)
        .map((d) => `${quote(d.job)} at positions ${d.positions.join(', ')}`)
        .join('; ')}. Job names must be unique; rename or remove the repeats.`,
      { details: { duplicates: list } },
    );
  }

  const size = input.jobs.length;
  const unknown: Array<{ parent: string; child: string; missing: string[] }> = [];
  const childSets: Array<Set<number>> = Array.from({ length: size }, () => new Set<number>());
  for (const [parent, child] of input.edges) {
    const p = index.get(parent);
    const c = index.get(child);
    if (p === undefined || c === undefined) {
      const missing = [p === undefined ? parent : undefined, c === undefined ? child : undefined].filter(
        (name): name is string => name !== undefined,
      );
      unknown.push({ parent, child, missing });
      continue;
    }
    (childSets[p] as Set<number>).add(c);
  }
  if (unknown.length > 0) {
    throw graphError(
      'PROTEUS_GRAPH_UNKNOWN_DEPENDENCY',
      `${where}: ${unknown.length} dependenc${unknown.length === 1 ? 'y names a job' : 'ies name jobs'} that ${
        unknown.length === 1 ? 'does' : 'do'
      } not exist: ${unknown
        .slice(0, MAX_LISTED)
        .map((u) => `${quote(u.parent)} -> ${quote(u.child)} (unknown ${u.missing.map((m) => quote(m)).join(', ')})`)
        .join('; ')}. Declare every job before using it in a dependency.`,
      { details: { dependencies: unknown } },
    );
  }

  const children = childSets.map((set) => Int32Array.from(set).sort());
  const parentLists: number[][] = Array.from({ length: size }, () => []);
  children.forEach((list, p) => {
    for (const c of list) (parentLists[c] as number[]).push(p);
  });

  const cycle = findCycleIndices(children, parentLists);
  if (cycle !== undefined) {
    const names = cycle.map((i) => (input.jobs[i] as JobAttributes).name);
    throw graphError(
      'PROTEUS_GRAPH_CYCLE',
      `${where}: the dependencies form a cycle: ${[...names, names[0]].map((n) => quote(n)).join(' -> ')}. A workflow must be a DAG; remove one of these edges.`,
      { details: { cycle: names } },
    );
  }

  const jobs = input.jobs.map((job) => freezeJob(job));
  return new WorkflowGraph(
    {
      workflow: input.workflow,
      source,
      format: input.format,
      ...(input.transformations === undefined ? {} : { transformations: input.transformations }),
    },
    Object.freeze(jobs),
    Object.freeze(parentLists.map((list) => Object.freeze(list))),
    Object.freeze(children.map((list) => Object.freeze(Array.from(list)))),
  );
}

/**
 * Finds one directed cycle, as node indices in edge order, or `undefined` for a DAG. Kahn's algorithm removes
 * every node not on or downstream of a cycle; walking parents among the rest must revisit a node.
 */
export function findCycleIndices(
  children: ReadonlyArray<ArrayLike<number>>,
  parents: ReadonlyArray<ArrayLike<number>>,
): number[] | undefined {
  const size = children.length;
  const inDegree = new Int32Array(size);
  for (let p = 0; p < size; p++) {
    const list = children[p] as ArrayLike<number>;
    for (let k = 0; k < list.length; k++) {
      const child = list[k] as number;
      inDegree[child] = (inDegree[child] as number) + 1;
    }
  }
  const queue: number[] = [];
  for (let i = 0; i < size; i++) if (inDegree[i] === 0) queue.push(i);
  let removed = 0;
  while (queue.length > 0) {
    const node = queue.pop() as number;
    removed++;
    const list = children[node] as ArrayLike<number>;
    for (let k = 0; k < list.length; k++) {
      const child = list[k] as number;
      inDegree[child] = (inDegree[child] as number) - 1;
      if (inDegree[child] === 0) queue.push(child);
    }
  }
  if (removed === size) return undefined;

  // Every remaining node keeps a remaining parent; follow them until one repeats.
  let node = inDegree.findIndex((d) => d > 0);
  const seenAt = new Map<number, number>();
  const path: number[] = [];
  while (!seenAt.has(node)) {
    seenAt.set(node, path.length);
    path.push(node);
    const list = parents[node] as ArrayLike<number>;
    let next = -1;
    for (let k = 0; k < list.length; k++) {
      if ((inDegree[list[k] as number] as number) > 0) {
        next = list[k] as number;
        break;
      }
    }
    node = next;
  }
  // path walks child -> parent; reverse the loop so it reads parent -> child.
  return path.slice(seenAt.get(node)).reverse();
}

function freezeJob(job: JobAttributes): Readonly<JobAttributes> {
  const out: JobAttributes = { name: job.name, type: job.type, transformation: job.transformation };
  if (job.arguments !== undefined) out.arguments = Object.freeze(job.arguments.slice()) as string[];
  if (job.uses !== undefined)
    out.uses = Object.freeze(job.uses.map((use) => Object.freeze({ ...use }))) as JobAttributes['uses'];
  if (job.profiles !== undefined) {
    const profiles: Record<string, Record<string, string>> = {};
    for (const [namespace, entries] of Object.entries(job.profiles))
      profiles[namespace] = Object.freeze({ ...entries });
    out.profiles = Object.freeze(profiles);
  }
  return Object.freeze(out);
}
