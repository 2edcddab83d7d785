/*
 * A GCN/MLP classifier moved to another instance of its workflow family. Its weights act on one job's features
 * (F -> hidden -> classes) and on the normalized adjacency product, so they do not depend on N: the portable inference
 * graph (symbolic node dim, the DAG as inputs) scores the other DAG with the saved weights. Jobs are matched by job
 * type (transformation), never by name.
 */
import { ProteusError } from '@proteus-wf/core';
import { adjacencyHash, parseFlowBenchAdjacency, type WorkflowGraph } from '@proteus-wf/workflow-graph';
import type { AnyModelMetadata, ModelMetadata } from '../model-metadata.js';
import { toPortableOnnx } from './portable-onnx.js';
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
 * The model moved to `graph`: its sidecar describes the new DAG (jobs, names, hash, adjacency) and keeps the DAG it
 * was trained on under `trainedOn`; its ONNX bytes are the portable graph (the saved one, or one built from the
 * fixed-N graph's weights), which `loadModel` feeds with `graph`'s edges.
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
  // The portable graph reads the DAG as inputs: the same bytes score every instance (a fixed-N graph is converted).
  const portable = metadata.onnx.portable ? { onnx, record: metadata.onnx } : toPortableOnnx(metadata, onnx);
  const { jobs, adjacencyHash: hash, workflow } = metadata;
  return {
    metadata: {
      ...metadata,
      jobs: graph.size,
      jobNames: graph.jobNames().slice(),
      adjacencyHash: adjacencyHash(graph),
      adjacency: adjacencyJson(graph),
      onnx: portable.record,
      trainedOn: { workflow, jobs, adjacencyHash: hash, jobTypes: known, unknownJobTypes: unknown },
    },
    onnx: portable.onnx,
  };
}
