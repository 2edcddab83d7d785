import { graphError, quote } from './internal/errors.js';
import { DirectedGraph, type GraphologyGraph } from './internal/libraries.js';

/** How a job uses a file, as Pegasus writes it (`none` uses are dropped: they create no dependency). */
export type JobLink = 'input' | 'output' | 'inout' | 'checkpoint';

/** One file a job reads or writes. */
export interface JobUse {
  lfn: string;
  link: JobLink;
}

/**
 * The attributes of one job (one node of the DAG).
 * `type` follows the trace CSVs: `compute`, `auxiliary` (create_dir, cleanup, register), `transfer` (stage_*),
 * `subwf` (pegasus-plan); formats that do not say are inferred from the job name.
 */
export interface JobAttributes {
  /** The job name: the node key, unique in the workflow (Pegasus job id, DAGMan node name). */
  name: string;
  type: string;
  /** The transformation (executable) the job runs. */
  transformation: string;
  arguments?: string[];
  uses?: JobUse[];
  /** Pegasus profiles: namespace -> key -> value. */
  profiles?: Record<string, Record<string, string>>;
}

/** Where a graph came from. */
export type WorkflowFormat =
  | 'flowbench-adjacency'
  | 'pegasus-yaml'
  | 'pegasus-dax'
  | 'wfformat'
  | 'dagman'
  | 'node-link';

/** One transformation catalog entry (Pegasus YAML `transformationCatalog`, DAX `<executable>`). */
export interface TransformationInfo {
  pfn?: string;
  site?: string;
  namespace?: string;
  version?: string;
  container?: string;
}

/** Graph-level attributes. */
export interface WorkflowAttributes {
  /** The workflow name (Pegasus `name`, DAX `adag@name`, file stem for adjacency JSON). */
  workflow: string;
  /** A path, or a short description of an in-memory input. */
  source: string;
  format: WorkflowFormat;
  transformations?: Record<string, TransformationInfo>;
}

/** The data a `WorkflowGraph` is made of; validated by `buildWorkflowGraph`. */
export interface WorkflowGraphInput {
  workflow: string;
  source?: string;
  format: WorkflowFormat;
  /** Jobs in node-index order. */
  jobs: readonly JobAttributes[];
  /** `[parent, child]` job names; duplicates are merged. */
  edges: ReadonlyArray<readonly [string, string]>;
  transformations?: Record<string, TransformationInfo>;
}

const WHERE = 'workflow-graph';

/**
 * A workflow DAG with a stable node index: jobs are numbered in input order (adjacency JSON key order, file order),
 * and every matrix this package builds uses that numbering. Immutable once built; always acyclic and non-empty.
 * Build one with a parser (`parseFlowBenchAdjacency`, `loadWorkflowGraph`, ...) or `buildWorkflowGraph`.
 *
 * @example
 * const graph = parseFlowBenchAdjacency({ a: ['b'], b: [] });
 * graph.indexOf('b'); // 1
 * graph.edges(); // [[0, 1]]
 */
export class WorkflowGraph {
  /** Graph-level attributes (workflow name, source, format, transformation catalog). */
  readonly attributes: Readonly<WorkflowAttributes>;
  readonly #names: readonly string[];
  readonly #index: ReadonlyMap<string, number>;
  readonly #jobs: readonly Readonly<JobAttributes>[];
  readonly #parents: readonly (readonly number[])[];
  readonly #children: readonly (readonly number[])[];
  readonly #edgeCount: number;

  /** @internal Use `buildWorkflowGraph` or a parser; this constructor trusts its input. */
  constructor(
    attributes: WorkflowAttributes,
    jobs: readonly Readonly<JobAttributes>[],
    parents: readonly (readonly number[])[],
    children: readonly (readonly number[])[],
  ) {
    this.attributes = Object.freeze({ ...attributes });
    this.#jobs = jobs;
    this.#names = Object.freeze(jobs.map((job) => job.name));
    this.#index = new Map(this.#names.map((name, i) => [name, i]));
    this.#parents = parents;
    this.#children = children;
    this.#edgeCount = children.reduce((sum, list) => sum + list.length, 0);
  }

  /** Number of jobs. */
  get size(): number {
    return this.#names.length;
  }

  /** Number of distinct directed edges. */
  get edgeCount(): number {
    return this.#edgeCount;
  }

  /** The workflow name. */
  get workflow(): string {
    return this.attributes.workflow;
  }

  /** Job names in node-index order (a copy). */
  jobNames(): string[] {
    return this.#names.slice();
  }

  /** True when a job of that name exists. */
  hasJob(name: string): boolean {
    return this.#index.has(name);
  }

  /**
   * The node index of a job.
   * @throws ProteusError PROTEUS_GRAPH_UNKNOWN_JOB when no job has that name
   */
  indexOf(name: string): number {
    const index = this.#index.get(name);
    if (index === undefined) throw this.#unknownJob(name);
    return index;
  }

  /**
   * The name of the job at a node index.
   * @throws ProteusError PROTEUS_GRAPH_UNKNOWN_JOB when the index is out of range
   */
  nameAt(index: number): string {
    const name = this.#names[index];
    if (name === undefined) {
      throw graphError(
        'PROTEUS_GRAPH_UNKNOWN_JOB',
        `${WHERE}/nameAt: index ${index} is out of range for ${quote(this.workflow)} (${this.size} jobs, indices 0..${this.size - 1})`,
        { details: { index, size: this.size } },
      );
    }
    return name;
  }

  /**
   * The attributes of a job, by name or node index.
   * @throws ProteusError PROTEUS_GRAPH_UNKNOWN_JOB for an unknown name or index
   */
  job(nameOrIndex: string | number): Readonly<JobAttributes> {
    const index = typeof nameOrIndex === 'number' ? this.#checkIndex(nameOrIndex) : this.indexOf(nameOrIndex);
    return this.#jobs[index] as Readonly<JobAttributes>;
  }

  /** All job attributes in node-index order. */
  jobs(): Readonly<JobAttributes>[] {
    return this.#jobs.slice();
  }

  /**
   * Names of the direct parents (predecessors) of a job, in node-index order.
   * @throws ProteusError PROTEUS_GRAPH_UNKNOWN_JOB for an unknown job
   */
  parents(name: string): string[] {
    return (this.#parents[this.indexOf(name)] ?? []).map((i) => this.#names[i] as string);
  }

  /**
   * Names of the direct children (successors) of a job, in node-index order.
   * @throws ProteusError PROTEUS_GRAPH_UNKNOWN_JOB for an unknown job
   */
  children(name: string): string[] {
    return (this.#children[this.indexOf(name)] ?? []).map((i) => this.#names[i] as string);
  }

  /** Parent indices of the node at `index` (ascending); read-only view, no copy. */
  parentIndices(index: number): readonly number[] {
    return this.#parents[this.#checkIndex(index)] as readonly number[];
  }

  /** Child indices of the node at `index` (ascending); read-only view, no copy. */
  childIndices(index: number): readonly number[] {
    return this.#children[this.#checkIndex(index)] as readonly number[];
  }

  /** Jobs without parents, in node-index order. */
  roots(): string[] {
    return this.#names.filter((_, i) => (this.#parents[i]?.length ?? 0) === 0);
  }

  /** Jobs without children, in node-index order. */
  sinks(): string[] {
    return this.#names.filter((_, i) => (this.#children[i]?.length ?? 0) === 0);
  }

  /** Every edge as `[parentIndex, childIndex]`, sorted by parent then child index. */
  edges(): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    this.#children.forEach((list, parent) => {
      for (const child of list) out.push([parent, child]);
    });
    return out;
  }

  /**
   * PyG-style `edge_index`: a `2 × E` row-major `Int32Array`, sources (parents) in the first row and targets
   * (children) in the second, in `edges()` order.
   */
  edgeIndex(): Int32Array {
    const out = new Int32Array(2 * this.#edgeCount);
    let e = 0;
    this.#children.forEach((list, parent) => {
      for (const child of list) {
        out[e] = parent;
        out[this.#edgeCount + e] = child;
        e++;
      }
    });
    return out;
  }

  /**
   * A graphology `DirectedGraph` with the same jobs (node keys = job names, inserted in node-index order, with the
   * job attributes), edges and graph attributes, for the graphology ecosystem (layouts, metrics, GEXF export).
   * Each call builds a fresh copy, so changing it never changes this graph.
   *
   * @example const g = graph.toGraphology(); g.inNeighbors('mAdd_ID0000123');
   */
  toGraphology(): GraphologyGraph {
    const out = new DirectedGraph({ allowSelfLoops: false, multi: false });
    out.replaceAttributes({ ...this.attributes });
    for (const job of this.#jobs) out.addNode(job.name, structuredClone(job));
    this.#children.forEach((list, parent) => {
      for (const child of list) out.addDirectedEdge(this.#names[parent] as string, this.#names[child] as string);
    });
    return out;
  }

  #checkIndex(index: number): number {
    if (!Number.isInteger(index) || index < 0 || index >= this.size) this.nameAt(index);
    return index;
  }

  #unknownJob(name: string) {
    const near = this.#names.filter((known) => known.startsWith(name.split('-')[0] ?? name)).slice(0, 3);
    const hint = near.length > 0 ? ` Did you mean ${near.map((n) => quote(n)).join(', ')}?` : '';
    const gen1 =
      /^(create_dir_|cleanup_)/.test(name) && name.includes('-')
        ? ' For gen-1 traces, map names with normalizeGen1JobName first.'
        : '';
    return graphError(
      'PROTEUS_GRAPH_UNKNOWN_JOB',
      `${WHERE}: no job ${quote(name)} in workflow ${quote(this.workflow)} (${this.size} jobs).${hint}${gen1}`,
      { details: { job: name, workflow: this.workflow } },
    );
  }
}
