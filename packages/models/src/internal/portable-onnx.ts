/*
 * The saved form of a GCN/MLP classifier: one ONNX graph for every instance of its workflow family. The node count is
 * a symbolic dim and the GCN's normalized adjacency a graph input, as PyTorch Geometric passes it (`edge_index`
 * [2, E] int64, row 0 the source job, row 1 the target; `edge_weight` [E] float32, the `gcn_norm` weight of each
 * message, self loops included). The forward is the trainer's (Jin et al., WORKS 2022; PyG GCNConv: h' = Â h W + b,
 * with an optional root weight), aggregated by gather / scale / scatter-add over the edges, node-major.
 */
import { createHash } from 'node:crypto';
import { createGraphBuilder, type Value } from '@proteus-wf/onnx-train';
import { gcnAdjacency, type WorkflowGraph } from '@proteus-wf/workflow-graph';
import type { WeightTensor } from '../graphs/model-spec.js';
import type { ModelMetadata } from '../model-metadata.js';
import { readOnnxInitializers } from '../uncertainty/internal/read-onnx-initializers.js';

/** The symbolic dims and graph inputs of a portable classifier graph (`ModelMetadata.onnx.portable`). */
export const PORTABLE = { nodes: 'nodes', edges: 'edges', edgeIndex: 'edge_index', edgeWeight: 'edge_weight' } as const;

/** What the sidecar says about a portable graph: its node dim, and its edge inputs when it aggregates over a DAG. */
export interface PortableOnnx {
  nodes: typeof PORTABLE.nodes;
  /** Absent for models that never read the graph (MLP baselines). */
  edgeIndex?: typeof PORTABLE.edgeIndex;
  edgeWeight?: typeof PORTABLE.edgeWeight;
}

/** Whether a classifier reads the DAG (a GCN) or only each job (an MLP, node or graph level). */
export function readsGraph(metadata: Pick<ModelMetadata, 'model'>): boolean {
  return metadata.model === 'gcn';
}

/**
 * The portable inference graph of a classifier, built from the weights of its ONNX bytes (a fixed-N graph from
 * `train`, or a portable one), and its sidecar's `onnx` record.
 */
export function toPortableOnnx(
  metadata: ModelMetadata,
  onnx: Uint8Array,
): { onnx: Uint8Array; record: ModelMetadata['onnx'] } {
  const weights = readOnnxInitializers(onnx);
  const count = (prefix: string) =>
    Object.keys(weights).filter((name) => new RegExp(`^${prefix}\\d+\\.weight$`).test(name)).length;
  const graphLevelMlp = metadata.model === 'mlp' && metadata.task === 'graph';
  const g = createGraphBuilder({ name: `${metadata.model}-portable` });
  const weight = (name: string): Value => {
    const tensor = weights[name] as WeightTensor;
    return g.initializer(name, 'float32', tensor.shape, tensor.data);
  };
  const features = metadata.pipeline.featureNames.length;
  const x = g.input('x', 'float32', ['batch', PORTABLE.nodes, features]);
  const portable: PortableOnnx = { nodes: PORTABLE.nodes };
  const rowsDim = `${PORTABLE.nodes}*batch`;
  const reshape = (value: Value, target: Value, shape: Value['shape']) =>
    g.emit('Reshape', [value, target], [], { dtype: value.dtype, shape });
  // Node-major rows [nodes*batch, D]: every weight product is one 2-D Gemm with its bias; the aggregation views the
  // same buffer as [nodes, batch*D] (one row per job) through a target built once from x's node count.
  const nodeCount = g.gather(g.shapeOf(x), g.constant([1], [1], 'int64'), 0);
  const byNode = (...rest: number[]) => g.concat([nodeCount, g.ints(rest)], 0);
  const toRows = (value: Value, width: number) => reshape(value, g.ints([-1, width]), [rowsDim, width]);
  let h = toRows(g.transpose(x, [1, 0, 2]), features);
  const gcnLayers = count('gcn');
  if (gcnLayers > 0) {
    let aggregate = (rows: Value): Value => rows;
    if (!graphLevelMlp) {
      const edgeIndex = g.input(PORTABLE.edgeIndex, 'int64', [2, PORTABLE.edges]);
      const edgeWeight = g.input(PORTABLE.edgeWeight, 'float32', [PORTABLE.edges]);
      Object.assign(portable, { edgeIndex: PORTABLE.edgeIndex, edgeWeight: PORTABLE.edgeWeight });
      const src = g.gather(edgeIndex, g.constant([0], [], 'int64'), 0);
      const dst = g.unsqueeze(g.gather(edgeIndex, g.constant([1], [], 'int64'), 0), [1]);
      const w = g.unsqueeze(edgeWeight, [1]);
      const perNode = byNode(-1);
      aggregate = (rows) => {
        const width = rows.shape[1] as number;
        const nodes = reshape(rows, perNode, [PORTABLE.nodes, `batch*${width}`]);
        const summed = g.scatterNdAdd(g.fillLike(nodes, 0), dst, g.mul(g.gather(nodes, src, 0), w));
        return toRows(summed, width);
      };
    }
    let width = features;
    const hidden = metadata.architecture.hidden;
    for (let i = 0; i < gcnLayers; i++) {
      const w = weight(`gcn${i}.weight`);
      const bias = weight(`gcn${i}.bias`);
      // Â (h W) == (Â h) W: aggregate on the narrower side, as the trainer does.
      let z = width <= hidden ? g.gemm(aggregate(h), w, bias) : g.add(aggregate(g.matMul(h, w)), bias);
      if (weights[`gcn${i}.root`]) z = g.gemm(h, weight(`gcn${i}.root`), z);
      h = g.relu(z);
      width = hidden;
    }
  }
  const graphLevel = metadata.task === 'graph';
  if (graphLevel) {
    const width = h.shape[1] as number;
    h = g.reduceMean(reshape(h, byNode(-1, width), [PORTABLE.nodes, 'batch', width]), [0]);
  }
  const layers = count('mlp');
  for (let i = 0; i < layers; i++) {
    h = g.gemm(h, weight(`mlp${i}.weight`), weight(`mlp${i}.bias`));
    if (i < layers - 1) h = g.relu(h);
  }
  const classes = h.shape[1] as number;
  const logits = graphLevel
    ? h
    : g.transpose(reshape(h, byNode(-1, classes), [PORTABLE.nodes, 'batch', classes]), [1, 0, 2]);
  g.output(logits, 'logits');
  g.output(g.softmax(logits, -1), 'probabilities');
  const bytes = g.toModel();
  return {
    onnx: bytes,
    record: {
      ...metadata.onnx,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      input: 'x',
      output: 'probabilities',
      portable,
    },
  };
}

/** The edges of `graph` in the form a portable GCN reads: PyG's `edge_index` and `gcn_norm` `edge_weight`. */
export function portableEdges(
  graph: WorkflowGraph,
  undirected: boolean,
): { edgeIndex: BigInt64Array; edgeWeight: Float32Array; edges: number } {
  const csr = gcnAdjacency(graph, { undirected });
  const edges = csr.values.length;
  const edgeIndex = new BigInt64Array(2 * edges);
  const edgeWeight = new Float32Array(edges);
  for (let target = 0; target < graph.size; target++) {
    for (let k = csr.indptr[target] as number; k < (csr.indptr[target + 1] as number); k++) {
      edgeIndex[k] = BigInt(csr.indices[k] as number);
      edgeIndex[edges + k] = BigInt(target);
      edgeWeight[k] = csr.values[k] as number;
    }
  }
  return { edgeIndex, edgeWeight, edges };
}
