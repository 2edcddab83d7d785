import { resolve } from 'node:path';
import { type ProgressEvent, ProteusError } from '@proteus-wf/core';
import type { FeaturePipelineName, FlowBenchDataset } from '@proteus-wf/features';
import { type DetectionSummary, saveSslModel, trainSsl } from '@proteus-wf/models';
import { type CliIo, formatTable, printResult } from '../cli-io.js';

/** The `proteus train` arguments the SSL path reads. */
export interface TrainSslArgs {
  task: string;
  labels: string;
  protocol: string;
  pipeline?: FeaturePipelineName;
  epochs: number;
  seed: number;
  batchSize: number;
  lr: number;
  threads: number;
  out?: string;
  json: boolean;
}

/** What `proteus train --model ssl` prints: the train contract, with ranking metrics only (no threshold). */
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
  /** ROC-AUC, AP and P@k of the per-job anomaly scores on the test runs (labels used for evaluation only). */
  test: DetectionSummary | null;
  trainSeconds: number;
  epochs: number;
  bestEpoch: number;
  out: string | null;
}

/**
 * `proteus train --model ssl`: trains the self-supervised detector without labels and reports its ranking metrics on
 * job labels of the held-out runs. Only `--task node --labels binary --protocol deployable` make sense for it.
 * @throws ProteusError PROTEUS_CLI_USAGE for another task, labels or protocol
 */
export async function runTrainSsl(
  io: CliIo,
  dataset: FlowBenchDataset,
  args: TrainSslArgs,
  showProgress: boolean,
): Promise<void> {
  if (args.task !== 'node' || args.labels !== 'binary' || args.protocol !== 'deployable') {
    throw new ProteusError(
      'PROTEUS_CLI_USAGE',
      `train: --model ssl scores jobs without labels; pass --task node --labels binary --protocol deployable (got --task ${args.task} --labels ${args.labels} --protocol ${args.protocol})`,
    );
  }
  const result = await trainSsl(dataset, {
    ...(args.pipeline ? { pipeline: args.pipeline } : {}),
    epochs: args.epochs,
    seed: args.seed,
    batchSize: args.batchSize,
    lr: args.lr,
    threads: args.threads,
    signal: io.signal,
    ...(showProgress ? { onProgress: (event: ProgressEvent) => renderProgress(io, event) } : {}),
  });
  let out: string | null = null;
  if (args.out) {
    out = resolve(io.cwd, args.out);
    await saveSslModel(result.model, out);
  }
  const jobs = dataset.jobsPerRun;
  const summary: SslTrainSummary = {
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
  printResult(io, summary, { json: args.json, table: renderSslTrain });
}

function renderProgress(io: CliIo, event: ProgressEvent): void {
  if (event.phase !== 'train') return;
  const loss = typeof event.data?.loss === 'number' ? ` loss ${event.data.loss.toFixed(4)}` : '';
  io.stderr(
    `\rtraining ${Math.round(event.ratio * 100)}% ${event.message ?? ''}${loss}   ${event.ratio >= 1 ? '\n' : ''}`,
  );
}

function renderSslTrain(summary: SslTrainSummary): string {
  const show = (value: number | null | undefined): string =>
    value === null || value === undefined ? 'n/a' : value.toFixed(4);
  return formatTable([
    ['workflow', summary.workflow],
    ['model', `ssl (self-supervised, deployable protocol, ${summary.pipeline})`],
    ['runs', `train ${summary.runs.train}, val ${summary.runs.val}, test ${summary.runs.test}`],
    ['epochs', `${summary.epochs}, ${summary.trainSeconds.toFixed(1)} s`],
    ['saved', summary.out ?? '-'],
    ['ROC-AUC', show(summary.test?.rocAuc)],
    ['average precision', show(summary.test?.averagePrecision)],
    ['precision@k', show(summary.test?.precisionAtK)],
    ['jobs (anomalous)', summary.test ? `${summary.test.count} (${summary.test.anomalies})` : 'n/a'],
  ]);
}
