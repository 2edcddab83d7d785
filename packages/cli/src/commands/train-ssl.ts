import { resolve } from 'node:path';
import { type ProgressEvent, ProteusError } from '@proteus-wf/core';
import type { FeaturePipelineName, FlowBenchDataset } from '@proteus-wf/features';
import {
  type ClassificationSummary,
  saveModel,
  type TrainedModel,
  type TrainedSslModel,
  trainSsl,
} from '@proteus-wf/models';
import type { CliIo } from '../cli-io.js';

/** The `proteus train` arguments the SSL path reads. */
export interface TrainSslArgs {
  task: string;
  labels: string;
  protocol: string;
  pipeline?: FeaturePipelineName;
  epochs?: number;
  seed: number;
  batchSize: number;
  lr?: number;
  threads: number;
  out?: string;
  json: boolean;
}

/**
 * What `proteus train --model ssl` prints: the train contract. `test` holds ROC-AUC/AP/P@k of the anomaly score and
 * accuracy/precision/recall/F1 of `score > test.threshold`, the threshold saved in the model (the 0.9 quantile of the
 * training runs' job scores).
 */
export interface SslTrainSummary {
  workflow: string;
  model: 'ssl';
  task: 'node';
  labels: 'binary';
  protocol: 'deployable';
  pipeline: string;
  seed: number;
  runs: { train: number; val: number; test: number };
  items: { train: number; val: number; test: number };
  /** Metrics of the per-job anomaly scores on the test runs (labels used for evaluation only). */
  test: ClassificationSummary | null;
  trainSeconds: number;
  epochs: number;
  bestEpoch: number;
  out: string | null;
}

/**
 * `proteus train --model ssl`: trains the self-supervised detector without labels, saves it with `--out`, and returns
 * its metrics on job labels of the held-out runs for `train` to print. Only `--task node --labels binary --protocol
 * deployable` make sense for it.
 * @example const summary = await runTrainSsl(io, dataset, args, onProgress);
 * @throws ProteusError PROTEUS_CLI_USAGE for another task, labels or protocol
 */
export async function runTrainSsl(
  io: CliIo,
  dataset: FlowBenchDataset,
  args: TrainSslArgs,
  onProgress?: (event: ProgressEvent) => void,
): Promise<SslTrainSummary> {
  if (args.task !== 'node' || args.labels !== 'binary' || args.protocol !== 'deployable') {
    throw new ProteusError(
      'PROTEUS_CLI_USAGE',
      `train: --model ssl scores jobs without labels; pass --task node --labels binary --protocol deployable (got --task ${args.task} --labels ${args.labels} --protocol ${args.protocol})`,
    );
  }
  const result = await trainSsl(dataset, sharedTrainOptions(io, args, onProgress));
  const out = await saveIfAsked(io, result.model, args.out);
  const jobs = dataset.jobsPerRun;
  return {
    workflow: dataset.workflow,
    model: 'ssl',
    task: 'node',
    labels: 'binary',
    protocol: 'deployable',
    pipeline: result.model.metadata.pipeline.name,
    seed: args.seed,
    runs: { train: result.runs.train, val: result.runs.validation, test: result.runs.test },
    items: { train: result.runs.train * jobs, val: result.runs.validation * jobs, test: result.runs.test * jobs },
    test: result.test,
    trainSeconds: result.trainSeconds,
    epochs: result.history.length,
    bestEpoch: result.history.length,
    out,
  };
}

/**
 * The training options `proteus train` passes alike to `train` and `trainSsl`, read from the arguments.
 * @example const result = await trainSsl(dataset, sharedTrainOptions(io, args, onProgress));
 */
export function sharedTrainOptions(io: CliIo, args: TrainSslArgs, onProgress?: (event: ProgressEvent) => void) {
  return {
    ...(args.pipeline ? { pipeline: args.pipeline } : {}),
    ...(args.epochs !== undefined ? { epochs: args.epochs } : {}),
    seed: args.seed,
    batchSize: args.batchSize,
    ...(args.lr !== undefined ? { lr: args.lr } : {}),
    threads: args.threads,
    signal: io.signal,
    ...(onProgress ? { onProgress } : {}),
  };
}

/**
 * Saves a trained model to `--out` (resolved against the working directory) when it was given.
 * @example const out = await saveIfAsked(io, result.model, args.out);
 * @throws ProteusError PROTEUS_MODELS_SAVE_FAILED when the folder cannot be written
 */
export async function saveIfAsked(
  io: CliIo,
  model: TrainedModel | TrainedSslModel,
  outArg: string | undefined,
): Promise<string | null> {
  if (!outArg) return null;
  const out = resolve(io.cwd, outArg);
  await saveModel(model, out);
  return out;
}
