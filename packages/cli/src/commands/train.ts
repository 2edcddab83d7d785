import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, extname, join, resolve } from 'node:path';
import { isProteusError } from '@proteus-wf/core';
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
import { adjacencyHash, parseFlowBenchAdjacency } from '@proteus-wf/workflow-graph';
import type { Argv } from 'yargs';
import { type CliIo, formatTable, printResult } from '../cli-io.js';
import { loadDatasetInput } from '../load-dataset-input.js';
import { type MajorityBaseline, majorityBaseline, predictedSingleClass } from '../majority-baseline.js';
import { createProgressReporter } from '../progress-reporter.js';
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
  lrDecay?: boolean;
  selectBy?: 'metric' | 'loss' | 'accuracy' | 'last';
  splitFile?: string;
  rootWeight?: boolean;
  normalize?: 'global' | 'job-type' | 'run-job-type';
}

type TrainDefaulted = 'task' | 'labels' | 'protocol';

/**
 * What `proteus train` assumes when `--task`, `--labels` or `--protocol` is left out: flag anomalous jobs
 * (node level), normal vs anomalous, and the protocol a deployment can use (split by run, scaler fitted on the
 * training runs only). These are also the only settings the ssl detector supports.
 */
const TRAIN_DEFAULTS = { task: 'node', labels: 'binary', protocol: 'deployable' } as const satisfies Pick<
  TrainArgs,
  TrainDefaulted
>;

/** Fills in the {@link TRAIN_DEFAULTS} a call left out and says on stderr which it chose. */
function withTrainDefaults(io: CliIo, args: Partial<TrainArgs> & Omit<TrainArgs, TrainDefaulted>): TrainArgs {
  const chosen = (Object.keys(TRAIN_DEFAULTS) as TrainDefaulted[]).filter((key) => args[key] === undefined);
  if (chosen.length > 0) {
    const flags = chosen.map((key) => `--${key} ${TRAIN_DEFAULTS[key]}`).join(' ');
    io.stderr(`proteus train: using ${flags} (the default${chosen.length > 1 ? 's' : ''}; pass the flag to choose)\n`);
  }
  return {
    ...args,
    task: args.task ?? TRAIN_DEFAULTS.task,
    labels: args.labels ?? TRAIN_DEFAULTS.labels,
    protocol: args.protocol ?? TRAIN_DEFAULTS.protocol,
  };
}

interface ModelArgs {
  model: string;
  dataset: string;
  adjacency?: string;
  unknownJobTypes: 'error' | 'score';
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

/** What `train` and `evaluate` add to a model's test metrics so they can be judged. */
export interface MetricsVerdict {
  /** The scores of always predicting the most frequent class of the test items; null without test items. */
  baseline: MajorityBaseline | null;
  /** Problems with the result, also printed on stderr (e.g. the model predicts one class for every item). */
  warnings: string[];
}

/** What `proteus train` prints: the fields of `SslTrainSummary` for a GCN or MLP classifier. */
export interface TrainSummary
  extends Omit<SslTrainSummary, 'model' | 'task' | 'labels' | 'protocol' | 'test'>,
    MetricsVerdict {
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
export interface EvaluateSummary extends MetricsVerdict {
  model: string;
  kind: 'gcn' | 'mlp' | 'ssl';
  workflow: string;
  task: 'graph' | 'node';
  runs: number;
  /** Set when `--adjacency` moved the model to another instance of its workflow: the DAG it was trained on. */
  trainedOn?: { workflow: string; jobs: number; unknownJobTypes: string[] };
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
            describe: `One label per run (graph) or per job (node) (default: ${TRAIN_DEFAULTS.task})`,
          })
          .option('labels', {
            choices: ['binary', 'multiclass'],
            describe: `normal/anomalous, or one class per anomaly kind (default: ${TRAIN_DEFAULTS.labels})`,
          })
          .option('protocol', {
            choices: ['paper', 'deployable'],
            describe: `paper: min-max over all runs, node level split by job; deployable: split by run, scaler on training runs (default: ${TRAIN_DEFAULTS.protocol})`,
          })
          .option('pipeline', {
            choices: Object.keys(FEATURE_PIPELINES),
            describe: 'Features (default: works22 for gen-1, flowbench-v1 for gen-2)',
          })
          .option('epochs', {
            type: 'number',
            describe: 'Training epochs (default: at most 300 for gcn/mlp, early stopping, 30 for ssl)',
          })
          .option('seed', { type: 'number', default: 0, describe: 'Seed of the split, the weights and the batches' })
          .option('batch-size', { type: 'number', default: 32, describe: 'Runs per training step' })
          .option('lr', { type: 'number', describe: 'Learning rate (default: 3e-3 Adam for gcn/mlp, 5e-3 for ssl)' })
          .option('lr-decay', {
            type: 'boolean',
            describe:
              'gcn/mlp: halve the learning rate after 10 epochs without a validation gain (default; --no-lr-decay: constant)',
          })
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
          .option('normalize', {
            type: 'string',
            choices: ['global', 'job-type', 'run-job-type'],
            describe:
              'gcn/mlp: normalize each job before the min-max scaler, stored in the model: per job type (training-run statistics), per job type within each run, or not at all (global, default)',
          })
          .option('threads', { type: 'number', default: 1, describe: 'onnxruntime intra-op threads' })
          .option('out', { type: 'string', describe: 'Folder to save the model in (model.onnx + model.json)' })
          .option('json', { type: 'boolean', default: false, describe: 'Print one JSON object' }),
      async (argv) => {
        const args = withTrainDefaults(io, argv as unknown as Partial<TrainArgs> & Omit<TrainArgs, TrainDefaulted>);
        const onProgress = createProgressReporter(io);
        const dataset = await loadDatasetInput(resolve(io.cwd, args.dataset), {
          ...(args.adjacency ? { adjacency: resolve(io.cwd, args.adjacency) } : {}),
          ...(args.generation ? { generation: args.generation } : {}),
          signal: io.signal,
          onProgress,
        });
        if (args.model === 'ssl') {
          const summary = await runTrainSsl(io, dataset, args, onProgress);
          const judged = { ...summary, ...judgeMetrics(io, summary.test, 'jobs') };
          printResult(io, judged, { json: args.json, table: renderTrain });
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
          ...(args.normalize !== undefined ? { normalization: args.normalize } : {}),
          ...(args.patience !== undefined ? { earlyStopping: { patience: args.patience } } : {}),
          ...(args.lrDecay === false ? { lrDecay: false as const } : {}),
          ...sharedTrainOptions(io, args, onProgress),
        });
        const out = await saveIfAsked(io, result.model, args.out);
        const test = result.test ? testMetrics(result.test) : null;
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
          test,
          ...judgeMetrics(io, test, args.task === 'graph' ? 'runs' : 'jobs'),
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
        const opened = await openForDataset(args, io);
        await using model = opened.model;
        const { dataset } = opened;
        const summary = await evaluateModel(model, dataset, {
          batchSize: args.batchSize,
          signal: io.signal,
          onProgress: createProgressReporter(io),
        });
        const test = testMetrics(summary);
        const result: EvaluateSummary = {
          model: resolve(io.cwd, args.model),
          kind: model.metadata.model,
          workflow: dataset.workflow,
          task: model.metadata.task,
          runs: dataset.runs.length,
          ...trainedOnOf(model),
          test,
          ...judgeMetrics(io, test, model.metadata.task === 'graph' ? 'runs' : 'jobs'),
        };
        printResult(io, result, {
          json: args.json,
          table: (r) => renderMetrics(r.test, `${r.workflow}: ${r.runs} runs`, r.baseline),
        });
      },
    )
    .command(
      'score',
      'Score the jobs (node-level or ssl model) or runs (graph-level model) of new traces',
      (y) => withModelOptions(y, 'A Flow-Bench zip or folder, or one run as a CSV file'),
      async (argv) => {
        const args = argv as unknown as ModelArgs;
        const opened = await openForDataset(args, io);
        await using model = opened.model;
        const { dataset } = opened;
        const meta = model.metadata;
        const options = { batchSize: args.batchSize, signal: io.signal, onProgress: createProgressReporter(io) };
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
      describe:
        'Adjacency JSON (default: beside the dataset, else the model’s own DAG); another instance of the model’s workflow (other job count, same job types) moves a gcn/mlp model to it',
    })
    .option('unknown-job-types', {
      choices: ['error', 'score'] as const,
      default: 'error' as const,
      describe: 'Jobs of --adjacency whose job type the model never saw: refuse, or score them anyway',
    })
    .option('batch-size', { type: 'number', default: 256, describe: 'Runs per inference call' })
    .option('json', { type: 'boolean', default: false, describe: 'Print one JSON object' });
}

/**
 * Opens the saved model and its traces. With `--adjacency` naming another DAG than the model's, the model is rebuilt
 * over that DAG (another instance of its workflow family: jobs matched by job type).
 */
async function openForDataset(args: ModelArgs, io: CliIo): Promise<{ model: LoadedModel; dataset: FlowBenchDataset }> {
  const dir = resolve(io.cwd, args.model);
  const own = await loadModel(dir);
  let dataset: FlowBenchDataset;
  try {
    dataset = await loadForModel(own, args, io);
  } catch (error) {
    await own.release();
    throw error;
  }
  if (args.adjacency === undefined || adjacencyHash(dataset.graph) === own.metadata.adjacencyHash) {
    return { model: own, dataset };
  }
  await own.release();
  return { model: await loadModel(dir, { graph: dataset.graph, unknownJobTypes: args.unknownJobTypes }), dataset };
}

function trainedOnOf(model: LoadedModel): Pick<EvaluateSummary, 'trainedOn'> {
  if (model.metadata.model === 'ssl' || model.metadata.trainedOn === undefined) return {};
  const { workflow, jobs, unknownJobTypes } = model.metadata.trainedOn;
  return { trainedOn: { workflow, jobs, unknownJobTypes } };
}

/**
 * Loads traces for a saved model. A single CSV is read as a one-run gen-2 dataset over the model's own DAG; a zip or
 * folder uses the adjacency beside it when there is one (so another workflow is reported as such), else the model's.
 */
async function loadForModel(model: LoadedModel, args: ModelArgs, io: CliIo): Promise<FlowBenchDataset> {
  const meta = model.metadata;
  const path = resolve(io.cwd, args.dataset);
  const onProgress = createProgressReporter(io);
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
        onProgress,
      });
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  }
  try {
    return await loadDatasetInput(path, {
      ...(adjacency ? { adjacency } : {}),
      modelGraph,
      signal: io.signal,
      onProgress,
    });
  } catch (error) {
    if (adjacency === undefined && isProteusError(error, 'PROTEUS_FEATURES_ADJACENCY_NOT_FOUND')) {
      return loadFlowBench(path, { adjacency: modelGraph(), signal: io.signal, onProgress });
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

/**
 * The majority-class baseline of the test items, and a warning on stderr when the model predicted one class for all
 * of them (its accuracy is then the base rate and its recall 1 or 0 whatever it learned).
 */
function judgeMetrics(io: CliIo, test: TestMetrics | null, items: 'runs' | 'jobs'): MetricsVerdict {
  if (!test) return { baseline: null, warnings: [] };
  const baseline = majorityBaseline(test);
  const warnings: string[] = [];
  const only = predictedSingleClass(test);
  if (only !== null) {
    const base = baseline
      ? `, the accuracy of always predicting "${baseline.majorityClass}" is ${baseline.accuracy.toFixed(4)}`
      : '';
    warnings.push(
      `the model predicts "${only}" for every one of the ${test.count} test ${items}: its accuracy ${test.accuracy.toFixed(4)} and recall ${test.recall.toFixed(4)} say nothing about what it learned${base}. Try more --epochs, --select-by accuracy, or another --task.`,
    );
  }
  for (const warning of warnings) io.stderr(`proteus: warning: ${warning}\n`);
  return { baseline, warnings };
}

function renderTrain(summary: (TrainSummary | SslTrainSummary) & MetricsVerdict): string {
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
  return summary.test ? `${head}\n\n${renderMetrics(summary.test, 'test', summary.baseline)}` : head;
}

function renderMetrics(metrics: TestMetrics, title: string, baseline: MajorityBaseline | null): string {
  const show = (value: number | null): string => (value === null ? 'n/a' : value.toFixed(4));
  const decision = metrics.threshold === undefined ? 'arg-max' : `score > ${metrics.threshold.toFixed(4)}`;
  const versus = (value: number | null, base: number | undefined) => [
    show(value),
    base === undefined ? '' : show(base),
  ];
  return formatTable([
    ['metric', title, baseline ? `majority baseline (all "${baseline.majorityClass}")` : ''],
    ['decision', decision],
    ['accuracy', ...versus(metrics.accuracy, baseline?.accuracy)],
    ['precision', ...versus(metrics.precision, baseline?.precision)],
    ['recall', ...versus(metrics.recall, baseline?.recall)],
    ['F1', ...versus(metrics.f1, baseline?.f1)],
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
