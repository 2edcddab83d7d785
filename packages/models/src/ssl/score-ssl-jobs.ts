import type { FeatureSet, FlowBenchDataset } from '@proteus-wf/features';
import { type ScoreOptions, scoreAllJobs } from '../score-jobs.js';
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
 * `scoreJobs` for an SSL detector, with the data's job labels beside the scores (deterministic: same model, same
 * trace, same score).
 * @example
 * await using model = await loadModel('models/1000genome-ssl');
 * const { scores, labels } = await scoreSslJobs(model, await loadFlowBench('1000genome.zip'));
 * @throws ProteusError PROTEUS_MODELS_WORKFLOW_MISMATCH when the data's DAG differs from the model's
 * @throws ProteusError PROTEUS_MODELS_FEATURE_MISMATCH when a feature set has other features than the model's pipeline
 * @throws ProteusError PROTEUS_MODELS_NAN_INPUT when a scaled feature is not finite
 */
export async function scoreSslJobs(
  model: LoadedSslModel,
  data: FlowBenchDataset | FeatureSet,
  options: ScoreOptions = {},
): Promise<SslJobScores> {
  const { features, jobs } = await scoreAllJobs(model, data, options, 'scoreSslJobs');
  const { workflow, runIds, jobNames, scores } = jobs;
  return { workflow, runIds, jobNames, scores, labels: features.jobLabels };
}
