import { type LongOperationOptions, ProteusError, reportProgress, throwIfAborted } from '@proteus-wf/core';
import {
  applyScaler,
  extractFeatures,
  type FeaturePipelineName,
  type FeatureSet,
  type FlowBenchDataset,
} from '@proteus-wf/features';
import { adjacencyHash } from '@proteus-wf/workflow-graph';
import type { LoadedSslModel } from './ssl-model.js';

/** Per-job SSL anomaly scores, row `run * jobs + node` (node-index order). */
export interface SslJobScores {
  workflow: string;
  runIds: string[];
  jobNames: string[];
  /** Per-job L2 reconstruction error: higher is more anomalous (not a probability). */
  scores: Float32Array;
  /** Job labels of the data (`normal` or the anomaly), for evaluation. */
  labels: readonly string[];
}

/**
 * Scores every job of every run with a loaded SSL detector (deterministic: same model, same trace, same score).
 * @example
 * await using model = await loadSslModel('models/1000genome-ssl');
 * const { scores, jobNames } = await scoreSslJobs(model, await loadFlowBench('1000genome.zip'));
 * @throws ProteusError PROTEUS_MODELS_WORKFLOW_MISMATCH when the data's DAG differs from the model's
 * @throws ProteusError PROTEUS_MODELS_FEATURE_MISMATCH when a feature set has other features than the model's pipeline
 * @throws ProteusError PROTEUS_MODELS_NAN_INPUT when a scaled feature is not finite
 */
export async function scoreSslJobs(
  model: LoadedSslModel,
  data: FlowBenchDataset | FeatureSet,
  options: LongOperationOptions & { batchSize?: number } = {},
): Promise<SslJobScores> {
  const where = 'models/scoreSslJobs';
  const meta = model.metadata;
  const batchSize = options.batchSize ?? 256;
  if (!(Number.isInteger(batchSize) && batchSize >= 1)) {
    throw new ProteusError(
      'PROTEUS_MODELS_INVALID_OPTION',
      `${where}: batchSize must be a positive integer, got ${String(batchSize)}.`,
    );
  }
  if (adjacencyHash(data.graph) !== meta.adjacencyHash) {
    throw new ProteusError(
      'PROTEUS_MODELS_WORKFLOW_MISMATCH',
      `${where}: the model was trained on workflow "${meta.workflow}" (${meta.jobs} jobs) but the data is "${data.workflow}" (${data.graph.size} jobs) with another DAG. Score traces of the model's workflow.`,
    );
  }
  const isFeatures = (data as FeatureSet).values instanceof Float32Array;
  const features = isFeatures
    ? (data as FeatureSet)
    : extractFeatures(data as FlowBenchDataset, { pipeline: meta.pipeline.name as FeaturePipelineName });
  const expected = meta.pipeline.featureNames;
  if (
    features.featureNames.length !== expected.length ||
    features.featureNames.some((name, i) => name !== expected[i])
  ) {
    throw new ProteusError(
      'PROTEUS_MODELS_FEATURE_MISMATCH',
      `${where}: the model expects the ${expected.length} features of pipeline "${meta.pipeline.name}" but got ${features.featureNames.length}. Extract features with { pipeline: '${meta.pipeline.name}' }.`,
      { details: { expected, received: features.featureNames } },
    );
  }
  const x = applyScaler(features, meta.scaler).values;
  const bad = x.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) {
    const width = expected.length;
    const row = Math.floor(bad / width);
    throw new ProteusError(
      'PROTEUS_MODELS_NAN_INPUT',
      `${where}: feature "${expected[bad % width]}" of job "${features.graph.jobNames()[row % meta.jobs]}" in run "${features.runs[Math.floor(row / meta.jobs)]?.runId}" is ${String(x[bad])} after scaling. Fix or drop that run.`,
    );
  }
  const runs = features.runs.length;
  const block = meta.jobs * expected.length;
  const scores = new Float32Array(runs * meta.jobs);
  for (let start = 0; start < runs; start += batchSize) {
    throwIfAborted(options.signal, where);
    const count = Math.min(batchSize, runs - start);
    scores.set(await model.score(x.subarray(start * block, (start + count) * block), count), start * meta.jobs);
    reportProgress(options.onProgress, {
      phase: 'score',
      ratio: (start + count) / runs,
      data: { runs: start + count },
    });
  }
  return {
    workflow: features.workflow,
    runIds: features.runs.map((run) => run.runId),
    jobNames: features.graph.jobNames().slice(),
    scores,
    labels: features.jobLabels,
  };
}
