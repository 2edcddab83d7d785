import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, extname, join, resolve } from 'node:path';
import { isProteusError, type ProgressEvent } from '@proteus-wf/core';
import { FEATURE_PIPELINES, type FlowBenchDataset, type Generation, loadFlowBench } from '@proteus-wf/features';
import {
  type ClassificationSummary,
  evaluateModel,
  type LoadedModel,
  loadModel,
  readSplitFile,
  scoreJobs,
  scoreRuns,
  train,
} from '@proteus-wf/models';
import { parseFlowBenchAdjacency } from '@proteus-wf/workflow-graph';
import type { Argv } from 'yargs';
import { type CliIo, formatTable, printResult } from '../cli-io.js';
import { runTrainSsl, type SslTrainSummary, saveIfAsked, sharedTrainOptions, type TrainSslArgs } from './train-ssl.js';

// The SSL path reads a subset of these arguments; `train` narrows what it leaves as strings.
interface TrainArgs extends TrainSslArgs {
  dataset: string;
  adjacency?: string;
  generation?: Generation;
  model: 'gcn' | 'mlp' | 'ssl';
  task: 'graph' | 'node';
  labels: 'binary' | 'multiclass';
  protocol: 'paper' | 'deployable';
  patience?: number;
  selectBy?: 'metric' | 'loss' | 'accuracy' | 'last';
  splitFile?: string;
  rootWeight?: boolean;
}

interface ModelArgs {
  model: string;
  dataset: string;
  adjacency?: string;
  batchSize: number;
  json: boolean;
}

const TEST_METRIC_KEYS = [
  'accuracy',
  'precision',
  'recall',
  'f1',
  'rocAuc',
  'averagePrecision',
  'precisionAtK',
  'count',
  'anomalies',
  'confusionMatrix',
  'classes',
  'threshold',
] as const;

/** The metrics block of `train` and `evaluate` (the contract's `test` object). */
export type TestMetrics = Pick<ClassificationSummary, (typeof TEST_METRIC_KEYS)[number]>;

/** What `proteus train` prints: the fields of `SslTrainSummary` for a GCN or MLP classifier. */
export interface TrainSummary extends Omit<SslTrainSummary, 'model' | 'task' | 'labels' | 'protocol' | 'test'> {
  model: 'gcn' | 'mlp';
  task: 'graph' | 'node';
  labels: 'binary' | 'multiclass';
  protocol: 'paper' | 'deployable';
  test: TestMetrics | null;
}

/**
 * What `proteus evaluate` prints. For an SSL model the items are jobs, ROC-AUC/AP/P@k rank its anomaly score and
 * accuracy/precision/recall/F1 are those of `score > test.threshold` (the threshold saved at training time).
 */
export interface EvaluateSummary {
  model: string;
  kind: 'gcn' | 'mlp' | 'ssl';
  workflow: string;
  task: 'graph' | 'node';
  runs: number;
  test: TestMetrics;
}

/**
 * What `proteus score` prints: per-job scores (node-level models, SSL detectors) or per-run scores (graph-level
 * models). A classifier's score is 1 - P(normal) and `predicted` its arg-max class; an SSL detector's score is the
 * reconstruction error and `predicted` is `anomalous` when it is above `threshold`.
 */
export interface ScoreSummary {
  model: string;
  kind: 'gcn' | 'mlp' | 'ssl';
  workflow: string;
  task: 'graph' | 'node';
  classes: string[];
  /** SSL only: the saved decision threshold of the score; null for classifiers (arg-max). */
  threshold: number | null;
  runs: number;
  jobs?: Array<{ run: string; job: string; score: number; predicted: string }>;
  runScores?: Array<{ run: string; score: number; predicted: string }>;
}

/**
 * `proteus train|evaluate|score`: train a GCN/MLP classifier or the SSL detector on Flow-Bench traces, measure a saved
 * model (any kind) on a labelled dataset, and score new traces per job.
 * @example proteus train --dataset ../shared/datasets/flowbench/1000genome.zip --model gcn --task node --labels binary --protocol deployable --json
 */
export function registerTrainCommands(cli: Argv, io: CliIo): Argv {
  return cli
    .command(
      'train',
      'Train a GCN/MLP classifier or the self-supervised (ssl) detector on one workflow and report test metrics',
      (y) =>
        y
          .option('dataset', { type: 'string', demandOption: true, describe: 'A Flow-Bench zip or folder' })
          .option('adjacency', {
            type: 'string',
            describe: 'Adjacency JSON (default: adjacency_list_dags/<workflow>.json beside the dataset)',
          })
          .option('generation', { type: 'number', choices: [1, 2], describe: 'Trace generation (default: detected)' })
          .option('model', {
            choices: ['gcn', 'mlp', 'ssl'],
            demandOption: true,
            describe:
              'GCN (the paper), the per-job MLP baseline, or the self-supervised detector (ssl, trained without labels)',
          })
          .option('task', {
            choices: ['graph', 'node'],
            demandOption: true,
            describe: 'One label per run (graph) or per job (node)',
          })
          .option('labels', {
            choices: ['binary', 'multiclass'],
            demandOption: true,
            describe: 'normal/anomalous, or one class per anomaly kind',
          })
          .option('protocol', {
            choices: ['paper', 'deployable'],
            demandOption: true,
            describe:
              'paper: min-max over all runs, node level split by job; deployable: split by run, scaler on training runs',
          })
          .option('pipeline', {
            choices: Object.keys(FEATURE_PIPELINES),
            describe: 'Features (default: works22 for gen-1, flowbench-v1 for gen-2)',
          })
          .option('epochs', {
            type: 'number',
            describe: 'Training epochs (default: 200 for gcn/mlp with early stopping, 10 for ssl)',
          })
          .option('seed', { type: 'number', default: 0, describe: 'Seed of the split, the weights and the batches' })
          .option('batch-size', { type: 'number', default: 32, describe: 'Runs per training step' })
          .option('lr', { type: 'number', describe: 'Learning rate (default: 1e-3 Adam for gcn/mlp, 5e-4 for ssl)' })
          .option('patience', {
            type: 'number',
            describe: 'Stop after this many epochs without a better validation number (see --select-by)',
          })
          .option('select-by', {
            choices: ['metric', 'loss', 'accuracy', 'last'],
            describe:
              'Epoch to keep: best validation metric (ROC-AUC binary, macro-F1 multi-class; default), lowest loss, best accuracy, or the last',
          })
          .option('split-file', {
            type: 'string',
            describe:
              'JSON {"train": [...], "validation": [...], "test": [...]} of run ids or trace files to use as the split',
          })
          .option('root-weight', {
            type: 'boolean',
            describe: 'GCN layers with a separate weight for the job itself (default; --no-root-weight: the paper GCN)',
          })
          .option('threads', { type: 'number', default: 1, describe: 'onnxruntime intra-op threads' })
          .option('out', { type: 'string', describe: 'Folder to save the model in (model.onnx + model.json)' })
          .option('json', { type: 'boolean', default: false, describe: 'Print one JSON object' }),
      async (argv) => {
        const args = argv as unknown as TrainArgs;
        const dataset = await loadFlowBench(resolve(io.cwd, args.dataset), {
          ...(args.adjacency ? { adjacency: resolve(io.cwd, args.adjacency) } : {}),
          ...(args.generation ? { generation: args.generation } : {}),
          signal: io.signal,
        });
        const onProgress = io.isTTY && !args.json ? (event: ProgressEvent) => renderProgress(io, event) : undefined;
        if (args.model === 'ssl') {
          const summary = await runTrainSsl(io, dataset, args, onProgress);
          printResult(io, summary, { json: args.json, table: renderTrain });
          return;
        }
        const result = await train(dataset, {
          model: args.model,
          task: args.task,
          labels: args.labels,
          protocol: args.protocol,
          ...(args.selectBy !== undefined ? { selectBy: args.selectBy } : {}),
          ...(args.splitFile !== undefined ? { split: await readSplitFile(resolve(io.cwd, args.splitFile)) } : {}),
          ...(args.rootWeight !== undefined ? { rootWeight: args.rootWeight } : {}),
          ...(args.patience !== undefined ? { earlyStopping: { patience: args.patience } } : {}),
          ...sharedTrainOptions(io, args, onProgress),
        });
        const out = await saveIfAsked(io, result.model, args.out);
        const summary: TrainSummary = {
          workflow: dataset.workflow,
          model: args.model,
          task: args.task,
          labels: args.labels,
          protocol: args.protocol,
          pipeline: result.model.metadata.pipeline.name,
          seed: args.seed,
          runs: { train: result.runs.train, val: result.runs.validation, test: result.runs.test },
          items: { train: result.items.train, val: result.items.validation, test: result.items.test },
          test: result.test ? testMetrics(result.test) : null,
          trainSeconds: result.trainSeconds,
          epochs: result.epochsRun,
          bestEpoch: result.bestEpoch,
          out,
        };
        printResult(io, summary, { json: args.json, table: renderTrain });
      },
    )
    .command(
      'evaluate',
      'Measure a saved model (gcn, mlp or ssl) on a whole labelled dataset',
      (y) => withModelOptions(y),
      async (argv) => {
        const args = argv as unknown as ModelArgs;
        await using model = await loadModel(resolve(io.cwd, args.model));
        const dataset = await loadForModel(model, args, io);
        const summary = await evaluateModel(model, dataset, { batchSize: args.batchSize, signal: io.signal });
        const result: EvaluateSummary = {
          model: resolve(io.cwd, args.model),
          kind: model.metadata.model,
          workflow: dataset.workflow,
          task: model.metadata.task,
          runs: dataset.runs.length,
          test: testMetrics(summary),
        };
        printResult(io, result, {
          json: args.json,
          table: (r) => renderMetrics(r.test, `${r.workflow}: ${r.runs} runs`),
        });
      },
    )
    .command(
      'score',
      'Score the jobs (node-level or ssl model) or runs (graph-level model) of new traces',
      (y) => withModelOptions(y, 'A Flow-Bench zip or folder, or one run as a CSV file'),
      async (argv) => {
        const args = argv as unknown as ModelArgs;
        await using model = await loadModel(resolve(io.cwd, args.model));
        const dataset = await loadForModel(model, args, io);
        const meta = model.metadata;
        const options = { batchSize: args.batchSize, signal: io.signal };
        const base = {
          model: resolve(io.cwd, args.model),
          kind: meta.model,
          task: meta.task,
          runs: dataset.runs.length,
        };
        let result: ScoreSummary;
        if (meta.task === 'node') {
          const scores = await scoreJobs(model, dataset, options);
          const jobs = scores.jobNames.length;
          result = {
            ...base,
            workflow: scores.workflow,
            classes: scores.classes,
            threshold: scores.threshold,
            jobs: [],
          };
          scores.runIds.forEach((run, r) => {
            for (let j = 0; j < jobs; j++) {
              const k = r * jobs + j;
              result.jobs?.push({
                run,
                job: scores.jobNames[j] as string,
                score: scores.scores[k] as number,
                predicted: scores.classes[scores.predicted[k] as number] as string,
              });
            }
          });
        } else {
          const scores = await scoreRuns(model, dataset, options);
          result = { ...base, workflow: scores.workflow, classes: scores.classes, threshold: scores.threshold };
          result.runScores = scores.runIds.map((run, r) => ({
            run,
            score: scores.scores[r] as number,
            predicted: scores.classes[scores.predicted[r] as number] as string,
          }));
        }
        printResult(io, result, { json: args.json, table: renderScores });
      },
    );
}

function withModelOptions(y: Argv, datasetHelp = 'A labelled Flow-Bench zip or folder'): Argv {
  return y
    .option('model', {
      type: 'string',
      demandOption: true,
      describe: 'A model folder written by `proteus train --out`',
    })
    .option('dataset', { type: 'string', demandOption: true, describe: datasetHelp })
    .option('adjacency', {
      type: 'string',
      describe: 'Adjacency JSON (default: beside the dataset, else the model’s own DAG)',
    })
    .option('batch-size', { type: 'number', default: 256, describe: 'Runs per inference call' })
    .option('json', { type: 'boolean', default: false, describe: 'Print one JSON object' });
}

/**
 * Loads traces for a saved model. A single CSV is read as a one-run gen-2 dataset over the model's own DAG; a zip or
 * folder uses the adjacency beside it when there is one (so another workflow is reported as such), else the model's.
 */
async function loadForModel(model: LoadedModel, args: ModelArgs, io: CliIo): Promise<FlowBenchDataset> {
  const meta = model.metadata;
  const path = resolve(io.cwd, args.dataset);
  const modelGraph = () =>
    parseFlowBenchAdjacency(meta.adjacency, { source: `${args.model}/model.json`, generation: meta.generation });
  const adjacency = args.adjacency ? resolve(io.cwd, args.adjacency) : undefined;
  if (extname(path).toLowerCase() === '.csv') {
    const folder = await mkdtemp(join(tmpdir(), 'proteus-score-'));
    try {
      await copyFile(path, join(folder, basename(path)));
      return await loadFlowBench(folder, {
        adjacency: adjacency ?? modelGraph(),
        generation: 2,
        strict: true,
        signal: io.signal,
      });
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  }
  try {
    return await loadFlowBench(path, { ...(adjacency ? { adjacency } : {}), signal: io.signal });
  } catch (error) {
    if (adjacency === undefined && isProteusError(error, 'PROTEUS_FEATURES_ADJACENCY_NOT_FOUND')) {
      return loadFlowBench(path, { adjacency: modelGraph(), signal: io.signal });
    }
    throw error;
  }
}

function testMetrics(summary: ClassificationSummary): TestMetrics {
  // Fields a summary leaves undefined (`threshold` of a classifier) stay out of the JSON.
  const picked: Partial<TestMetrics> = {};
  for (const key of TEST_METRIC_KEYS) {
    if (summary[key] !== undefined) Object.assign(picked, { [key]: summary[key] });
  }
  return picked as TestMetrics;
}

function renderProgress(io: CliIo, event: ProgressEvent): void {
  if (event.phase !== 'train') return;
  // Classifiers report a validation loss; the SSL detector (no labels) its training loss.
  const loss =
    typeof event.data?.validationLoss === 'number'
      ? ` val loss ${event.data.validationLoss.toFixed(4)}`
      : typeof event.data?.loss === 'number'
        ? ` loss ${event.data.loss.toFixed(4)}`
        : '';
  io.stderr(
    `\rtraining ${Math.round(event.ratio * 100)}% ${event.message ?? ''}${loss}   ${event.ratio >= 1 ? '\n' : ''}`,
  );
}

function renderTrain(summary: TrainSummary | SslTrainSummary): string {
  const head = formatTable([
    ['workflow', summary.workflow],
    [
      'model',
      `${summary.model} ${summary.task}-level ${summary.labels} (${summary.protocol} protocol, ${summary.pipeline})`,
    ],
    ['runs', `train ${summary.runs.train}, val ${summary.runs.val}, test ${summary.runs.test}`],
    ['epochs', `${summary.epochs} (best ${summary.bestEpoch}), ${summary.trainSeconds.toFixed(1)} s`],
    ['saved', summary.out ?? '-'],
  ]);
  return summary.test ? `${head}\n\n${renderMetrics(summary.test, 'test')}` : head;
}

function renderMetrics(metrics: TestMetrics, title: string): string {
  const show = (value: number | null): string => (value === null ? 'n/a' : value.toFixed(4));
  const decision = metrics.threshold === undefined ? 'arg-max' : `score > ${metrics.threshold.toFixed(4)}`;
  return formatTable([
    ['metric', title],
    ['decision', decision],
    ['accuracy', show(metrics.accuracy)],
    ['precision', show(metrics.precision)],
    ['recall', show(metrics.recall)],
    ['F1', show(metrics.f1)],
    ['ROC-AUC', show(metrics.rocAuc)],
    ['average precision', show(metrics.averagePrecision)],
    ['precision@k', show(metrics.precisionAtK)],
    ['items (anomalous)', `${metrics.count} (${metrics.anomalies})`],
  ]);
}

function renderScores(result: ScoreSummary): string {
  if (result.runScores) {
    return formatTable([
      ['run', 'score', 'predicted'],
      ...result.runScores.map((r) => [r.run, r.score.toFixed(4), r.predicted]),
    ]);
  }
  const jobs = [...(result.jobs ?? [])].sort((a, b) => b.score - a.score);
  const shown = jobs.slice(0, 20);
  const table = formatTable([
    ['run', 'job', 'score', 'predicted'],
    ...shown.map((j) => [j.run, j.job, j.score.toFixed(4), j.predicted]),
  ]);
  return jobs.length > shown.length
    ? `${table}\n… ${jobs.length - shown.length} more jobs (use --json for all)`
    : table;
}
