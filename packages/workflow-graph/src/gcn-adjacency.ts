/*
 * Propagation matrices for GNN layers over a WorkflowGraph, in the node-index order of the graph.
 * Reference: Kipf & Welling, ICLR 2017, Eq. 2 (Â = D̃^-1/2 (A + I) D̃^-1/2); PyTorch Geometric `gcn_norm` and
 * `GCNConv` (flow "source_to_target"); Hamilton et al., NeurIPS 2017 (GraphSAGE mean aggregator, PyG `SAGEConv`).
 */
import { graphError, quote } from './internal/errors.js';
import type { WorkflowGraph } from './workflow-graph.js';

/**
 * A square sparse matrix in compressed sparse row form. Row `i` holds what node `i` aggregates:
 * `out[i] = Σ_{k in indptr[i]..indptr[i+1]} values[k] · x[indices[k]]`. Column indices ascend within a row.
 */
export interface CsrMatrix {
  size: number;
  indptr: Int32Array;
  indices: Int32Array;
  values: Float32Array;
}

/** Options of `gcnAdjacency`. */
export interface GcnAdjacencyOptions {
  /** Treat every edge as going both ways (PyG `ToUndirected`): a job aggregates from parents and children. Default false. */
  undirected?: boolean;
  /** Add `I` (PyG `add_self_loops=True`, the GCNConv default). Default true. */
  selfLoops?: boolean;
}

/** Options of `meanAdjacency`. */
export interface MeanAdjacencyOptions {
  /** Aggregate from parents and children instead of parents only. Default false. */
  undirected?: boolean;
}

const DEFAULTS = { undirected: false, selfLoops: true } as const;

/**
 * The GCN-normalized adjacency `Â = D^-1/2 (A + I) D^-1/2` as CSR, with PyTorch Geometric `GCNConv` semantics.
 *
 * - Messages flow along edges, parent -> child (PyG `flow="source_to_target"` on `edge_index = [parents; children]`),
 *   so row `i` (a job) aggregates from its parents and itself; it never hears from its children unless `undirected`.
 * - Degrees are counted on the target side, as `gcn_norm` does: `d_i = in-degree(i) + 1` (with self-loops), and the
 *   entry for parent `j` in row `i` is `1 / sqrt(d_i · d_j)`, where `d_j` is also `j`'s in-degree + 1.
 * - `undirected: true` first symmetrizes and merges the edges (PyG `ToUndirected`), so `d_i` = neighbours + 1.
 * - `selfLoops: false` drops `I`; a node with degree 0 gets a zero row and zero weights (PyG masks `inf` to 0).
 *
 * A GCN layer is then `H' = Â · H · W`, i.e. `toDenseAdjacency(gcnAdjacency(g))` times the feature matrix.
 *
 * @example
 * const a = gcnAdjacency(parseFlowBenchAdjacency({ a: ['b'], b: [] }));
 * // row 0 (a): [a: 1]; row 1 (b): [a: 1/sqrt(2·1), b: 1/2]
 * @throws ProteusError PROTEUS_GRAPH_INVALID_OPTION when an option is not a boolean
 */
export function gcnAdjacency(graph: WorkflowGraph, options: GcnAdjacencyOptions = {}): CsrMatrix {
  const undirected = booleanOption(options.undirected, DEFAULTS.undirected, 'gcnAdjacency', 'undirected');
  const selfLoops = booleanOption(options.selfLoops, DEFAULTS.selfLoops, 'gcnAdjacency', 'selfLoops');
  const { indptr, indices } = neighbourPattern(graph, undirected, selfLoops);
  const size = graph.size;
  const invSqrtDegree = new Float64Array(size);
  for (let i = 0; i < size; i++) {
    const degree = (indptr[i + 1] as number) - (indptr[i] as number);
    invSqrtDegree[i] = degree === 0 ? 0 : 1 / Math.sqrt(degree);
  }
  const values = new Float32Array(indices.length);
  for (let i = 0; i < size; i++) {
    for (let k = indptr[i] as number; k < (indptr[i + 1] as number); k++) {
      values[k] = (invSqrtDegree[i] as number) * (invSqrtDegree[indices[k] as number] as number);
    }
  }
  return { size, indptr, indices, values };
}

/**
 * The mean-aggregation matrix of GraphSAGE (PyG `SAGEConv`, `aggr="mean"`): row `i` holds `1/|N(i)|` for each
 * in-neighbour `j` (parents; parents and children when `undirected`), no self-loops (SAGE adds the root term
 * `W_r · h_i` separately). A job without neighbours gets an all-zero row, as PyG's scatter-mean gives.
 *
 * @example
 * const m = meanAdjacency(parseFlowBenchAdjacency({ a: ['c'], b: ['c'], c: [] }));
 * // row 2 (c): [a: 0.5, b: 0.5]; rows 0 and 1 are empty
 * @throws ProteusError PROTEUS_GRAPH_INVALID_OPTION when an option is not a boolean
 */
export function meanAdjacency(graph: WorkflowGraph, options: MeanAdjacencyOptions = {}): CsrMatrix {
  const undirected = booleanOption(options.undirected, DEFAULTS.undirected, 'meanAdjacency', 'undirected');
  const { indptr, indices } = neighbourPattern(graph, undirected, false);
  const values = new Float32Array(indices.length);
  for (let i = 0; i < graph.size; i++) {
    const start = indptr[i] as number;
    const end = indptr[i + 1] as number;
    for (let k = start; k < end; k++) values[k] = 1 / (end - start);
  }
  return { size: graph.size, indptr, indices, values };
}

/**
 * Expands a CSR matrix to a dense row-major `size × size` `Float32Array` (row `i` = what node `i` aggregates).
 *
 * @example toDenseAdjacency(gcnAdjacency(graph))[i * graph.size + j]; // weight of j's message to i
 * @throws ProteusError PROTEUS_GRAPH_INVALID_OPTION when the CSR arrays are inconsistent
 */
export function toDenseAdjacency(csr: CsrMatrix): Float32Array {
  const { size, indptr, indices, values } = csr;
  if (
    !Number.isInteger(size) ||
    size < 0 ||
    indptr.length !== size + 1 ||
    indices.length !== values.length ||
    indptr[size] !== indices.length
  ) {
    throw graphError(
      'PROTEUS_GRAPH_INVALID_OPTION',
      `workflow-graph/toDenseAdjacency: inconsistent CSR (size ${quote(size)}, indptr length ${indptr.length}, ${indices.length} indices, ${values.length} values). Pass a matrix from gcnAdjacency or meanAdjacency.`,
    );
  }
  const dense = new Float32Array(size * size);
  for (let i = 0; i < size; i++) {
    for (let k = indptr[i] as number; k < (indptr[i + 1] as number); k++) {
      const j = indices[k] as number;
      if (j < 0 || j >= size) {
        throw graphError(
          'PROTEUS_GRAPH_INVALID_OPTION',
          `workflow-graph/toDenseAdjacency: column ${j} out of range in row ${i} (size ${size})`,
        );
      }
      dense[i * size + j] = (dense[i * size + j] as number) + (values[k] as number);
    }
  }
  return dense;
}

/** Row i = sorted distinct in-neighbours of i (plus neighbours out when undirected, plus i when selfLoops). */
function neighbourPattern(
  graph: WorkflowGraph,
  undirected: boolean,
  selfLoops: boolean,
): { indptr: Int32Array; indices: Int32Array } {
  const size = graph.size;
  const rows: number[][] = [];
  let total = 0;
  for (let i = 0; i < size; i++) {
    const parents = graph.parentIndices(i);
    let row: number[];
    if (undirected || selfLoops) {
      const set = new Set<number>(parents);
      if (undirected) for (const child of graph.childIndices(i)) set.add(child);
      if (selfLoops) set.add(i);
      row = [...set].sort((a, b) => a - b);
    } else {
      row = parents as number[];
    }
    rows.push(row);
    total += row.length;
  }
  const indptr = new Int32Array(size + 1);
  const indices = new Int32Array(total);
  let k = 0;
  rows.forEach((row, i) => {
    indices.set(row, k);
    k += row.length;
    indptr[i + 1] = k;
  });
  return { indptr, indices };
}

function booleanOption(value: unknown, fallback: boolean, fn: string, name: string): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') {
    throw graphError(
      'PROTEUS_GRAPH_INVALID_OPTION',
      `workflow-graph/${fn}: option ${name} must be a boolean, got ${quote(value)}`,
    );
  }
  return value;
}
