/*
 * A GCN/MLP classifier moved to another instance of its workflow family. Its weights act on one job's features
 * (F -> hidden -> classes) and on the normalized adjacency product, so they do not depend on N: the inference graph is
 * rebuilt from the saved weights over the other DAG. Jobs are matched by job type (transformation), never by name.
 */
import { createHash } from 'node:crypto';
import { ProteusError } from '@proteus-wf/core';
import {
  adjacencyHash,
  gcnAdjacency,
  parseFlowBenchAdjacency,
  toDenseAdjacency,
  type WorkflowGraph,
} from '@proteus-wf/workflow-graph';
import { defineModelSpec, type ModelSpec, type WeightTensor, weightShapes } from '../graphs/model-spec.js';
import { buildInferenceGraph } from '../graphs/training-graph.js';
import type { AnyModelMetadata, ModelMetadata } from '../model-metadata.js';
import { readOnnxInitializers } from '../uncertainty/internal/read-onnx-initializers.js';
import { adjacencyJson } from './training-inputs.js';

/** What to do with jobs whose type the model never saw: refuse (default) or score them like any other job. */
export type UnknownJobTypes = 'error' | 'score';

/** The job types (transformations) of a DAG with their job counts, sorted by name. */
export function jobTypeCounts(graph: WorkflowGraph): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const job of graph.jobs()) counts[job.transformation] = (counts[job.transformation] ?? 0) + 1;
  return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => a.localeCompare(b)));
}

/** The DAG a sidecar stores, as a graph. */
export function modelGraph(metadata: AnyModelMetadata): WorkflowGraph {
  return parseFlowBenchAdjacency(metadata.adjacency, {
    workflow: metadata.workflow,
    generation: metadata.generation,
    source: 'the model sidecar',
  });
}

/**
 * The model rebuilt over `graph`: its sidecar describes the new DAG (jobs, names, hash, adjacency) and keeps the DAG it
 * was trained on under `trainedOn`; its ONNX bytes are a fresh inference graph with the saved weights.
 * @throws ProteusError PROTEUS_MODELS_UNKNOWN_JOB_TYPE when `graph` has job types the model never saw (unless `score`)
 * @throws ProteusError PROTEUS_MODELS_NOT_PORTABLE for an SSL detector (its statistics are per job, not per type)
 */
export function retargetClassifier(
  metadata: AnyModelMetadata,
  onnx: Uint8Array,
  graph: WorkflowGraph,
  unknownJobTypes: UnknownJobTypes,
): { metadata: ModelMetadata; onnx: Uint8Array } {
  if (metadata.model === 'ssl') {
    throw new ProteusError(
      'PROTEUS_MODELS_NOT_PORTABLE',
      `models/loadModel: the SSL detector of "${metadata.workflow}" standardizes each of its ${metadata.jobs} jobs with that job's own training statistics, so it cannot score another DAG (${graph.size} jobs). Train an SSL detector on this instance, or a GCN/MLP (those travel between instances).`,
    );
  }
  const known = jobTypeCounts(modelGraph(metadata));
  const target = jobTypeCounts(graph);
  const unknown = Object.keys(target).filter((type) => known[type] === undefined);
  if (unknown.length > 0 && unknownJobTypes !== 'score') {
    throw new ProteusError(
      'PROTEUS_MODELS_UNKNOWN_JOB_TYPE',
      `models/loadModel: the DAG "${graph.workflow}" has job type(s) ${unknown.map((t) => `"${t}" (${target[t]} jobs)`).join(', ')} that the model of "${metadata.workflow}" never saw (it knows ${Object.keys(known).join(', ')}). Score another instance of the same workflow, or pass { unknownJobTypes: 'score' } to score those jobs anyway.`,
      { details: { unknown, known: Object.keys(known) } },
    );
  }
  const weights = readOnnxInitializers(onnx);
  const count = (prefix: string) =>
    Object.keys(weights).filter((name) => new RegExp(`^${prefix}\\d+\\.weight$`).test(name)).length;
  const common = {
    features: metadata.pipeline.featureNames.length,
    classes: metadata.classes.length,
    hidden: metadata.architecture.hidden,
  };
  const nodes = graph.size;
  // The same specs as train's: a node-level MLP reads [B, N, F]; a graph-level MLP is the GCN over the identity.
  const spec: ModelSpec =
    metadata.model === 'mlp' && metadata.task === 'node'
      ? { kind: 'mlp', nodes, layers: count('mlp'), ...common }
      : {
          kind: 'gcn',
          level: metadata.task,
          nodes,
          adjacency:
            metadata.model === 'mlp'
              ? identity(nodes)
              : toDenseAdjacency(gcnAdjacency(graph, { undirected: metadata.architecture.undirected })),
          gcnLayers: count('gcn'),
          mlpLayers: count('mlp'),
          rootWeight: metadata.architecture.rootWeight ?? false,
          ...common,
        };
  const resolved = defineModelSpec(spec);
  // The saved graph also holds its DAG's constants (edge weights) as initializers: keep the named weights only.
  const bytes = buildInferenceGraph(
    resolved,
    Object.fromEntries(weightShapes(resolved).map(([name]) => [name, weights[name] as WeightTensor])),
  );
  const { jobs, adjacencyHash: hash, workflow } = metadata;
  return {
    metadata: {
      ...metadata,
      jobs: nodes,
      jobNames: graph.jobNames().slice(),
      adjacencyHash: adjacencyHash(graph),
      adjacency: adjacencyJson(graph),
      onnx: { ...metadata.onnx, sha256: createHash('sha256').update(bytes).digest('hex') },
      trainedOn: { workflow, jobs, adjacencyHash: hash, jobTypes: known, unknownJobTypes: unknown },
    },
    onnx: bytes,
  };
}

function identity(nodes: number): Float32Array {
  const out = new Float32Array(nodes * nodes);
  for (let i = 0; i < nodes; i++) out[i * nodes + i] = 1;
  return out;
}
