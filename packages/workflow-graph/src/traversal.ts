/*
 * Traversals over a WorkflowGraph's stable node index. Every result is in node-index order unless it is an order.
 */
import { findCycleIndices } from './build-workflow-graph.js';
import { describeValue, graphError } from './internal/errors.js';
import { WorkflowGraph } from './workflow-graph.js';

/**
 * Shortest directed hop count from the nearest root (a job without parents) to every job, in node-index order.
 * Roots are 0. Unlike Flow-Bench's `node_hop` (networkx distance from node 0 only, all zeros for workflows whose
 * node 0 is not the only root), every job of a DAG gets a finite distance.
 *
 * @example hopDistances(parseFlowBenchAdjacency({ a: ['b'], b: ['c'], c: [] })); // Int32Array [0, 1, 2]
 */
export function hopDistances(graph: WorkflowGraph): Int32Array {
  const size = graph.size;
  const hops = new Int32Array(size).fill(-1);
  const queue = new Int32Array(size);
  let head = 0;
  let tail = 0;
  for (let i = 0; i < size; i++) {
    if (graph.parentIndices(i).length === 0) {
      hops[i] = 0;
      queue[tail++] = i;
    }
  }
  while (head < tail) {
    const node = queue[head++] as number;
    const next = (hops[node] as number) + 1;
    for (const child of graph.childIndices(node)) {
      if (hops[child] === -1) {
        hops[child] = next;
        queue[tail++] = child;
      }
    }
  }
  return hops;
}

/**
 * Job names in a topological order (every parent before its children). Among jobs that are ready at the same
 * time, the lowest node index comes first, so the order is deterministic.
 *
 * @example topologicalOrder(parseFlowBenchAdjacency({ b: [], a: ['b'] })); // ['a', 'b']
 */
export function topologicalOrder(graph: WorkflowGraph): string[] {
  return topologicalIndices(graph).map((i) => graph.nameAt(i));
}

/**
 * Longest-path depth of every job from the roots (roots 0; a job is one deeper than its deepest parent), in
 * node-index order. Jobs at the same level can run in parallel.
 *
 * @example levels(parseFlowBenchAdjacency({ a: ['b', 'c'], b: ['c'], c: [] })); // Int32Array [0, 1, 2]
 */
export function levels(graph: WorkflowGraph): Int32Array {
  const depth = new Int32Array(graph.size);
  for (const node of topologicalIndices(graph)) {
    let best = -1;
    for (const parent of graph.parentIndices(node)) best = Math.max(best, depth[parent] as number);
    depth[node] = best + 1;
  }
  return depth;
}

/** An adjacency list `{ parent: [children] }`, the shape Flow-Bench uses; children missing as keys are added. */
export type AdjacencyList = Readonly<Record<string, readonly string[]>>;

/**
 * True when the dependencies contain a directed cycle. A `WorkflowGraph` is acyclic by construction, so this is
 * for raw adjacency lists checked before building.
 *
 * @example hasCycle({ a: ['b'], b: ['a'] }); // true
 * @throws ProteusError PROTEUS_GRAPH_MALFORMED_JSON when an adjacency value is not an array of names
 */
export function hasCycle(input: WorkflowGraph | AdjacencyList): boolean {
  return findCycle(input) !== undefined;
}

/**
 * The jobs on one directed cycle, in edge order (the last job points back to the first), or `undefined`.
 *
 * @example findCycle({ a: ['b'], b: ['c'], c: ['a'] }); // ['a', 'b', 'c'] (some rotation)
 * @throws ProteusError PROTEUS_GRAPH_MALFORMED_JSON when an adjacency value is not an array of names
 */
export function findCycle(input: WorkflowGraph | AdjacencyList): string[] | undefined {
  if (input instanceof WorkflowGraph) return undefined;
  const index = new Map<string, number>();
  const names: string[] = [];
  const idOf = (name: string) => {
    let id = index.get(name);
    if (id === undefined) {
      id = names.length;
      index.set(name, id);
      names.push(name);
    }
    return id;
  };
  const children: number[][] = [];
  for (const [parent, list] of Object.entries(input)) {
    if (!Array.isArray(list)) {
      throw graphError(
        'PROTEUS_GRAPH_MALFORMED_JSON',
        `workflow-graph/findCycle: expected an array of child names at $[${JSON.stringify(parent)}], got ${describeValue(list)}`,
        { details: { path: `$[${JSON.stringify(parent)}]` } },
      );
    }
    const p = idOf(parent);
    const row = children[p] ?? [];
    for (const child of list) row.push(idOf(String(child)));
    children[p] = row;
  }
  const full = names.map((_, i) => children[i] ?? []);
  const parents: number[][] = names.map(() => []);
  full.forEach((list, p) => {
    for (const c of list) (parents[c] as number[]).push(p);
  });
  return findCycleIndices(full, parents)?.map((i) => names[i] as string);
}

/** Kahn's algorithm with a min-heap on node index. */
function topologicalIndices(graph: WorkflowGraph): number[] {
  const size = graph.size;
  const remaining = new Int32Array(size);
  const heap: number[] = [];
  for (let i = 0; i < size; i++) {
    remaining[i] = graph.parentIndices(i).length;
    if (remaining[i] === 0) heap.push(i); // ascending already, so a valid heap
  }
  const order: number[] = [];
  while (heap.length > 0) {
    const node = popMin(heap);
    order.push(node);
    for (const child of graph.childIndices(node)) {
      remaining[child] = (remaining[child] as number) - 1;
      if (remaining[child] === 0) pushHeap(heap, child);
    }
  }
  return order;
}

function pushHeap(heap: number[], value: number): void {
  heap.push(value);
  let i = heap.length - 1;
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if ((heap[parent] as number) <= value) break;
    heap[i] = heap[parent] as number;
    i = parent;
  }
  heap[i] = value;
}

function popMin(heap: number[]): number {
  const top = heap[0] as number;
  const last = heap.pop() as number;
  if (heap.length === 0) return top;
  let i = 0;
  for (;;) {
    const left = 2 * i + 1;
    if (left >= heap.length) break;
    const right = left + 1;
    const smaller = right < heap.length && (heap[right] as number) < (heap[left] as number) ? right : left;
    if ((heap[smaller] as number) >= last) break;
    heap[i] = heap[smaller] as number;
    i = smaller;
  }
  heap[i] = last;
  return top;
}
