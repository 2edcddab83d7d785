import type { FeatureSet, FlowBenchDataset, Scaler } from '@proteus-wf/features';
import { adjacencyHash, type WorkflowGraph } from '@proteus-wf/workflow-graph';
import type { ModelSidecarCommon } from '../model-metadata.js';

/** Whether a training or scoring input is already a `FeatureSet` rather than a loaded dataset. */
export function isFeatureSet(value: FlowBenchDataset | FeatureSet): value is FeatureSet {
  return (value as FeatureSet).values instanceof Float32Array && Array.isArray((value as FeatureSet).featureNames);
}

/** The DAG as Flow-Bench adjacency JSON (`{ parent: [children] }`), the form a model sidecar stores. */
export function adjacencyJson(graph: WorkflowGraph): Record<string, string[]> {
  const names = graph.jobNames();
  const out: Record<string, string[]> = {};
  for (const name of names) out[name] = [];
  for (const [parent, child] of graph.edges()) (out[names[parent] as string] as string[]).push(names[child] as string);
  return out;
}

/**
 * The sidecar fields that describe what a model was trained on (workflow, DAG, feature pipeline, fitted scaler), in
 * the order `model.json` lists them.
 */
export function describeTrainingData(
  features: FeatureSet,
  scaler: Scaler,
): Omit<ModelSidecarCommon, 'format' | 'formatVersion'> {
  return {
    workflow: features.workflow,
    generation: features.generation,
    jobs: features.jobsPerRun,
    jobNames: features.graph.jobNames().slice(),
    adjacencyHash: adjacencyHash(features.graph),
    adjacency: adjacencyJson(features.graph),
    pipeline: {
      name: features.pipeline,
      version: features.pipelineVersion,
      featureNames: [...features.featureNames],
    },
    scaler,
  };
}
