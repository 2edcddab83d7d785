import { readFile } from 'node:fs/promises';
import { ProteusError } from '@proteus-wf/core';
import { createTensor, type OnnxSession, type Tensor } from '@proteus-wf/onnx-train';
import { openSession, type SessionOptions } from './internal/open-session.js';

/**
 * How an imported model takes its graph:
 * - `dense`: `x` float32 `[B, N, F]` plus `adj` float32 `[N, N]` (the dense propagation matrix, e.g. the GCN-normalized
 *   adjacency `toDenseAdjacency(gcnAdjacency(graph))`; row i = what job i aggregates).
 * - `edge-index`: PyTorch Geometric style, `x` float32 `[N, F]` plus `edge_index` int64 `[2, E]` (row 0 sources =
 *   parents, row 1 targets = children). A batch of runs is fed as one disjoint union, as PyG's `Batch` does. A
 *   graph-level model may take a third input, `batch` int64 `[N]` (the run index of each node, PyG's `Batch.batch`,
 *   read by `global_mean_pool` and friends): it is filled from the run order and the output is `[B, C]`.
 */
export type InputLayout = 'dense' | 'edge-index';

/** Options of {@link importOnnxModel}. */
export interface ImportOnnxModelOptions extends SessionOptions {
  inputLayout: InputLayout;
  /** Input names when the model does not use `x` / `adj` / `edge_index`; default: found by rank and element type. */
  inputNames?: { x?: string; adjacency?: string; edgeIndex?: string; batch?: string };
  /** The output to return; default the model's first output. */
  output?: string;
}

/** The graph a batch of runs shares: dense propagation matrix or parent -> child edges (node indices). */
export interface ImportedGraph {
  /** `dense` layout: N*N row-major. */
  adjacency?: Float32Array;
  /** `edge-index` layout: parallel arrays of parent and child indices. */
  edges?: { sources: ArrayLike<number>; targets: ArrayLike<number> };
}

/** The output of one run: row-major data and its dims, `[B, ...]` (edge-index outputs reshaped from `[B*N, C]`). */
export interface ImportedOutput {
  data: Float32Array;
  dims: number[];
}

/** A PyTorch (or other) ONNX model behind an onnxruntime-node session. Release it when done. */
export interface ImportedModel {
  readonly inputLayout: InputLayout;
  readonly inputNames: { x: string; adjacency?: string; edgeIndex?: string; batch?: string };
  readonly outputName: string;
  /**
   * Runs `batch` runs whose features `x` are `[batch, nodes, features]` row-major.
   * @throws ProteusError PROTEUS_MODELS_INVALID_INPUT for lengths that do not match the shape or the graph
   */
  run(
    x: Float32Array,
    shape: { batch: number; nodes: number; features: number },
    graph: ImportedGraph,
  ): Promise<ImportedOutput>;
  release(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Imports an ONNX model exported from PyTorch (`torch.onnx.export`) for scoring, checking its inputs fit the layout.
 * @example
 * await using model = await importOnnxModel('gcn.onnx', { inputLayout: 'edge-index' });
 * const { data, dims } = await model.run(x, { batch: 1, nodes: 137, features: 7 }, { edges: { sources, targets } });
 * @throws ProteusError PROTEUS_MODELS_MODEL_NOT_FOUND when the path cannot be read
 * @throws ProteusError PROTEUS_MODELS_BAD_ONNX when onnxruntime cannot load the bytes
 * @throws ProteusError PROTEUS_MODELS_IMPORT_LAYOUT when the model inputs do not match `inputLayout`
 * @throws ProteusError PROTEUS_MODELS_EP_UNAVAILABLE when a requested execution provider is missing
 */
export async function importOnnxModel(
  source: Uint8Array | string,
  options: ImportOnnxModelOptions,
): Promise<ImportedModel> {
  const label = typeof source === 'string' ? source : `${source.byteLength} bytes`;
  let bytes: Uint8Array;
  if (typeof source === 'string') {
    try {
      bytes = await readFile(source);
    } catch (error) {
      throw new ProteusError(
        'PROTEUS_MODELS_MODEL_NOT_FOUND',
        `models/importOnnxModel: cannot read ${source}: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }
  } else {
    bytes = source;
  }
  if (options.inputLayout !== 'dense' && options.inputLayout !== 'edge-index') {
    throw new ProteusError(
      'PROTEUS_MODELS_INVALID_OPTION',
      `models/importOnnxModel: inputLayout must be 'dense' or 'edge-index', got ${JSON.stringify(options.inputLayout)}.`,
    );
  }
  const session = await openSession(bytes, options, 'importOnnxModel', label);
  try {
    const names = resolveInputs(session, options, label);
    const outputName = options.output ?? session.outputNames[0];
    if (outputName === undefined || !session.outputNames.includes(outputName)) {
      throw layoutError(
        label,
        `has no output ${JSON.stringify(options.output)}; outputs: ${session.outputNames.join(', ')}`,
      );
    }
    return createImportedModel(session, options.inputLayout, names, outputName);
  } catch (error) {
    await session.release();
    throw error;
  }
}

type Metadata = { name: string; isTensor: boolean; type?: string; shape?: ReadonlyArray<number | string> };

function resolveInputs(
  session: OnnxSession,
  options: ImportOnnxModelOptions,
  label: string,
): { x: string; adjacency?: string; edgeIndex?: string; batch?: string } {
  const inputs = session.inputMetadata as readonly Metadata[];
  const describe = inputs.map((m) => `${m.name} ${m.type ?? '?'}[${(m.shape ?? []).join(',')}]`).join(', ');
  const allowed = options.inputLayout === 'edge-index' ? [2, 3] : [2];
  if (!allowed.includes(inputs.length)) {
    throw layoutError(
      label,
      `has ${inputs.length} inputs (${describe}); the '${options.inputLayout}' layout needs ${options.inputLayout === 'edge-index' ? '2 (x, edge_index) or 3 (x, edge_index, batch)' : 'exactly 2'}`,
    );
  }
  const pick = (wanted: string | undefined, test: (m: Metadata) => boolean, what: string): string => {
    const found = wanted === undefined ? inputs.find(test) : inputs.find((m) => m.name === wanted);
    if (!found || !test(found)) {
      throw layoutError(
        label,
        `has no ${what} input${wanted ? ` named ${JSON.stringify(wanted)}` : ''} (inputs: ${describe})`,
      );
    }
    return found.name;
  };
  const rank = (m: Metadata): number => (m.shape ?? []).length;
  if (options.inputLayout === 'dense') {
    const x = pick(options.inputNames?.x, (m) => m.type === 'float32' && rank(m) === 3, 'float32 [B,N,F] features');
    const adjacency = pick(
      options.inputNames?.adjacency,
      (m) => m.type === 'float32' && rank(m) === 2 && m.name !== x,
      'float32 [N,N] adjacency',
    );
    return { x, adjacency };
  }
  const x = pick(options.inputNames?.x, (m) => m.type === 'float32' && rank(m) === 2, 'float32 [N,F] features');
  const edgeIndex = pick(
    options.inputNames?.edgeIndex,
    (m) => m.type === 'int64' && rank(m) === 2 && (m.shape?.[0] === 2 || typeof m.shape?.[0] === 'string'),
    'int64 [2,E] edge_index',
  );
  if (inputs.length === 2) return { x, edgeIndex };
  const batch = pick(
    options.inputNames?.batch,
    (m) => m.type === 'int64' && rank(m) === 1 && m.name !== edgeIndex,
    'int64 [N] batch',
  );
  return { x, edgeIndex, batch };
}

function layoutError(label: string, what: string): ProteusError {
  return new ProteusError(
    'PROTEUS_MODELS_IMPORT_LAYOUT',
    `models/importOnnxModel: the model in ${label} ${what}. Pick the matching inputLayout ('dense': x [B,N,F] + adj [N,N]; 'edge-index': x [N,F] + edge_index int64 [2,E] [+ batch int64 [N]]) or pass inputNames.`,
  );
}

function createImportedModel(
  session: OnnxSession,
  inputLayout: InputLayout,
  inputNames: { x: string; adjacency?: string; edgeIndex?: string; batch?: string },
  outputName: string,
): ImportedModel {
  let released = false;
  const release = async (): Promise<void> => {
    if (released) return;
    released = true;
    await session.release();
  };
  return {
    inputLayout,
    inputNames,
    outputName,
    async run(x, shape, graph) {
      const { batch, nodes, features } = shape;
      if (
        ![batch, nodes, features].every((n) => Number.isInteger(n) && n > 0) ||
        x.length !== batch * nodes * features
      ) {
        throw invalidInput(`x has ${x.length} values; expected batch*nodes*features = ${batch}*${nodes}*${features}`);
      }
      const feeds: Record<string, Tensor> = {};
      if (inputLayout === 'dense') {
        if (!graph.adjacency || graph.adjacency.length !== nodes * nodes) {
          throw invalidInput(
            `the dense layout needs graph.adjacency with ${nodes * nodes} values, got ${graph.adjacency?.length ?? 'none'}`,
          );
        }
        feeds[inputNames.x] = createTensor('float32', x, [batch, nodes, features]);
        feeds[inputNames.adjacency as string] = createTensor('float32', graph.adjacency, [nodes, nodes]);
      } else {
        const edges = graph.edges;
        if (!edges || edges.sources.length !== edges.targets.length) {
          throw invalidInput('the edge-index layout needs graph.edges with as many sources as targets');
        }
        const count = edges.sources.length;
        const edgeIndex = new BigInt64Array(2 * count * batch);
        for (let b = 0; b < batch; b++) {
          for (let e = 0; e < count; e++) {
            const source = edges.sources[e] as number;
            const target = edges.targets[e] as number;
            if (!(source >= 0 && source < nodes && target >= 0 && target < nodes)) {
              throw invalidInput(`edge ${e} (${source} -> ${target}) is outside 0..${nodes - 1}`);
            }
            edgeIndex[b * count + e] = BigInt(source + b * nodes);
            edgeIndex[count * batch + b * count + e] = BigInt(target + b * nodes);
          }
        }
        feeds[inputNames.x] = createTensor('float32', x, [batch * nodes, features]);
        feeds[inputNames.edgeIndex as string] = createTensor('int64', edgeIndex, [2, count * batch]);
        if (inputNames.batch !== undefined) {
          const runOfNode = new BigInt64Array(batch * nodes);
          for (let b = 0; b < batch; b++) runOfNode.fill(BigInt(b), b * nodes, (b + 1) * nodes);
          feeds[inputNames.batch] = createTensor('int64', runOfNode, [batch * nodes]);
        }
      }
      let results: Record<string, Tensor>;
      try {
        results = await session.run(feeds, [outputName]);
      } catch (error) {
        throw new ProteusError(
          'PROTEUS_MODELS_SESSION_FAILED',
          `models/ImportedModel.run: onnxruntime failed: ${(error as Error).message}`,
          {
            cause: error,
          },
        );
      }
      const output = results[outputName] as Tensor;
      const data =
        output.data instanceof Float32Array ? output.data : Float32Array.from(output.data as ArrayLike<number>);
      let dims = output.dims.map(Number);
      if (inputLayout === 'edge-index' && dims[0] === batch * nodes) dims = [batch, nodes, ...dims.slice(1)];
      return { data, dims };
    },
    release,
    [Symbol.asyncDispose]: release,
  };
}

function invalidInput(what: string): ProteusError {
  return new ProteusError('PROTEUS_MODELS_INVALID_INPUT', `models/ImportedModel.run: ${what}.`);
}
