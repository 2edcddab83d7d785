/*
 * Supervised training of the WORKS'22 GCN and the per-job MLP baseline on Flow-Bench features.
 * Reference: Jin et al., "Workflow Anomaly Detection with Graph Neural Networks", WORKS 2022, §III and §V-A;
 * ../shared/reference/ml.md §2.1 (model), §1.5 (splits) and §7 (the leaks the `deployable` protocol avoids).
 */
import { type LongOperationOptions, type ProteusError, reportProgress, throwIfAborted } from '@proteus-wf/core';
import {
  extractFeatures,
  type FeaturePipelineName,
  type FeatureSet,
  type FlowBenchDataset,
  labelIndex,
  labelMapFor,
} from '@proteus-wf/features';
import type { ExecutionProvider, OptimizerSpec } from '@proteus-wf/onnx-train';
import { gcnAdjacency, type WorkflowGraph } from '@proteus-wf/workflow-graph';
import type { ModelSpec } from './graphs/model-spec.js';
import {
  checkNumberOption,
  integerAtLeast,
  invalidOption as invalidOptionAt,
  NUMBER_RULES,
  type NumberRule,
} from './internal/check-option.js';
import {
  type EpochRecord,
  type FitData,
  fit,
  type LrDecay,
  PART,
  predictRuns,
  type SelectBy,
  selectPart,
} from './internal/fit.js';
import { fitNormalization, type JobNormalization, type Normalization } from './internal/job-normalization.js';
import { describeTrainingData, isFeatureSet } from './internal/training-inputs.js';
import { describeOnnx, type GivenSplit, scaleFeatures, splitRuns } from './internal/training-run.js';
import { packageVersions } from './internal/versions.js';
import { MODEL_FORMAT, MODEL_FORMAT_VERSION, type ModelMetadata } from './model-metadata.js';
import { type ClassificationSummary, summarizeClassification } from './summarize-classification.js';

/** Options of {@link train}. Defaults: `DEFAULTS` below. */
export interface TrainOptions extends LongOperationOptions {
  /** `gcn`: the paper's GCN; `mlp`: the same head on each job alone (no graph). */
  model?: 'gcn' | 'mlp';
  /** `graph`: one label per run (mean-pooled); `node`: one label per job. */
  task?: 'graph' | 'node';
  /** `binary`: normal vs anomalous; `multiclass`: normal + one class per anomaly kind (cpu, hdd[, loss]). */
  labels?: 'binary' | 'multiclass';
  /**
   * `deployable` (default): split by run, scaler fitted on training runs only.
   * `paper`: the GNN paper's setting: min-max over all runs; graph level split by run, node level split by job
   * (transductive). Use it only to compare with the paper's tables.
   */
  protocol?: 'paper' | 'deployable';
  /** Feature pipeline when `train` is given a loaded dataset; default `works22` for gen-1, `flowbench-v1` for gen-2. */
  pipeline?: FeaturePipelineName;
  epochs?: number;
  /** Runs per training step. */
  batchSize?: number;
  optimizer?: 'adam' | 'adamw' | 'sgd';
  lr?: number;
  weightDecay?: number;
  seed?: number;
  hidden?: number;
  dropout?: number;
  /** Let jobs also aggregate from their children (PyG `ToUndirected`); default false (the paper: parents only). */
  undirected?: boolean;
  /**
   * GCN layers with a separate weight for the job's own features (`GcnSpec.rootWeight`); default true. `false` is the
   * paper's GCN.
   */
  rootWeight?: boolean;
  /** Per-class loss weights, or `balanced` (w_c = n / (C · n_c) over training items). */
  classWeights?: 'balanced' | number[];
  /** Split fractions; default 0.6 / 0.2 / 0.2. `validation: 0` trains without validation (last epoch kept). */
  ratios?: { train: number; validation: number; test: number };
  /**
   * A given split by run (run ids or trace file names, e.g. from `readSplitFile`) instead of a seeded one, for
   * like-for-like comparisons with other tools; `ratios` is then ignored. Every run must be in exactly one part.
   */
  split?: GivenSplit;
  /**
   * Stop after `patience` epochs without a validation number (see `selectBy`) at least `minDelta` better than the
   * last that counted (also what `lrDecay` counts); `false` turns it off; missing fields take the defaults. The kept
   * epoch is still the best one.
   */
  earlyStopping?: false | { patience: number; minDelta?: number };
  /**
   * Multiply the learning rate by `factor` after `patience` epochs without a better validation number, down to
   * `minLr` (ReduceLROnPlateau); `false` keeps `lr` constant. Missing fields take the defaults.
   */
  lrDecay?: false | Partial<LrDecay>;
  /** Which epoch's weights to keep (see {@link SelectBy}); default `metric` (ROC-AUC binary, macro-F1 multi-class). */
  selectBy?: SelectBy;
  executionProviders?: readonly ExecutionProvider[];
  threads?: number;
  /**
   * How each job's features are normalized before the min-max scaler, stored in the model and applied whenever it
   * scores (also on another instance, `loadModel(dir, { graph })`): `global` (default) none; `job-type` standardized
   * with its job type's mean and std over the training runs (types the model never saw: the statistics of all
   * training jobs); `run-job-type` standardized against the jobs of its type in the same run (no statistics).
   */
  normalization?: Normalization;
}

export type { LrDecay } from './internal/fit.js';
export type { GivenSplit } from './internal/training-run.js';

/** A trained model in memory: the forward-only ONNX bytes and the sidecar that `saveModel` writes. */
export interface TrainedModel {
  metadata: ModelMetadata;
  onnx: Uint8Array;
}

/** What {@link train} returns. */
export interface TrainResult {
  model: TrainedModel;
  /** Metrics on the test part (runs for graph level, jobs for node level); null when the test part is empty. */
  test: ClassificationSummary | null;
  validation: ClassificationSummary | null;
  /** Runs that hold items of each part (with the paper's node-level job split every run is in every part). */
  runs: { train: number; validation: number; test: number };
  /** Items (runs or jobs) of each part. */
  items: { train: number; validation: number; test: number };
  history: EpochRecord[];
  bestEpoch: number;
  epochsRun: number;
  stoppedEarly: boolean;
  trainSeconds: number;
}

const DEFAULTS = {
  model: 'gcn',
  task: 'graph',
  labels: 'binary',
  protocol: 'deployable',
  // RECIPE: filled in from the measurements in the README ("Training recipe").
  epochs: 300,
  batchSize: 32,
  optimizer: 'adam',
  lr: 3e-3,
  lrDecay: { factor: 0.5, patience: 10, minLr: 1e-5 },
  weightDecay: 0,
  seed: 0,
  hidden: 64,
  dropout: 0,
  undirected: false,
  selectBy: 'metric',
  // The root-weight GCN beat the paper's GCN on predict_future_sales (3 seeds) and montage (2 seeds): README.
  rootWeight: true,
  earlyStopping: { patience: 50, minDelta: 1e-3 },
  ratios: { train: 0.6, validation: 0.2, test: 0.2 },
} as const;

const WHERE = 'models/train';

/**
 * Trains a GCN or MLP anomaly detector on one workflow's runs; deterministic for a seed; keeps the weights of the
 * epoch with the lowest validation loss.
 * @example
 * const dataset = await loadFlowBench('../shared/datasets/flowbench/1000genome.zip');
 * const { model, test } = await train(dataset, { model: 'gcn', task: 'node', epochs: 50, seed: 1 });
 * await saveModel(model, 'models/1000genome-gcn');
 * @throws ProteusError PROTEUS_MODELS_INVALID_OPTION for an unknown model/task/labels/protocol or a bad number
 * @throws ProteusError PROTEUS_MODELS_NAN_LOSS when the loss stops being finite (details: epoch, lastGoodWeights)
 * @throws ProteusError PROTEUS_MODELS_EP_UNAVAILABLE, PROTEUS_CORE_ABORTED, PROTEUS_FEATURES_* (labels, splits)
 */
export async function train(dataset: FlowBenchDataset | FeatureSet, options: TrainOptions = {}): Promise<TrainResult> {
  const started = performance.now();
  const settings = resolveOptions(options);
  throwIfAborted(options.signal, WHERE);
  const features = isFeatureSet(dataset)
    ? dataset
    : extractFeatures(dataset, {
        pipeline: settings.pipeline ?? (dataset.generation === 1 ? 'works22' : 'flowbench-v1'),
      });
  reportProgress(options.onProgress, {
    phase: 'prepare',
    ratio: 0,
    message: `${features.workflow}: ${features.runs.length} runs`,
  });
  const prepared = prepare(features, settings);
  const spec = modelSpec(features.graph, prepared.data, settings, prepared.classes.length);
  const optimizer: OptimizerSpec =
    settings.optimizer === 'sgd'
      ? { kind: 'sgd', lr: settings.lr, weightDecay: settings.weightDecay }
      : { kind: settings.optimizer, lr: settings.lr, weightDecay: settings.weightDecay };
  const outcome = await fit(prepared.data, {
    spec,
    optimizer,
    epochs: settings.epochs,
    batchSize: settings.batchSize,
    seed: settings.seed,
    ...(settings.classWeights
      ? { classWeights: classWeightsFor(settings.classWeights, prepared.data, prepared.classes.length) }
      : {}),
    patience: settings.earlyStopping ? settings.earlyStopping.patience : undefined,
    minDelta: settings.earlyStopping ? settings.earlyStopping.minDelta : DEFAULTS.earlyStopping.minDelta,
    selectBy: settings.selectBy,
    ...(settings.lrDecay ? { lrDecay: settings.lrDecay } : {}),
    ...(settings.executionProviders ? { executionProviders: settings.executionProviders } : {}),
    ...(settings.threads !== undefined ? { threads: settings.threads } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  });
  const { trainer } = outcome;
  try {
    const summarize = async (part: number): Promise<ClassificationSummary | null> => {
      const runs = runsWithPart(prepared.data, part);
      if (runs.length === 0) return null;
      const selected = selectPart(prepared.data, runs, await predictRuns(trainer, prepared.data, runs), part);
      return summarizeClassification(selected.truth, selected.probabilities, prepared.classes);
    };
    const test = await summarize(PART.test);
    const validation = await summarize(PART.validation);
    const onnx = trainer.exportInferenceModel();
    const trainSeconds = (performance.now() - started) / 1000;
    const runs = {
      train: runsWithPart(prepared.data, PART.train).length,
      validation: runsWithPart(prepared.data, PART.validation).length,
      test: runsWithPart(prepared.data, PART.test).length,
    };
    const metadata: ModelMetadata = {
      format: MODEL_FORMAT,
      formatVersion: MODEL_FORMAT_VERSION,
      model: settings.model,
      task: settings.task,
      labels: settings.labels,
      classes: [...prepared.classes],
      labelGranularity: settings.labels === 'binary' ? 'binary' : 'merged',
      ...describeTrainingData(features, prepared.scaler),
      ...(prepared.normalization ? { normalization: prepared.normalization } : {}),
      architecture: {
        hidden: settings.hidden,
        dropout: settings.dropout,
        undirected: settings.undirected,
        ...(settings.model === 'gcn' ? { rootWeight: settings.rootWeight } : {}),
      },
      training: {
        protocol: settings.protocol,
        seed: settings.seed,
        epochs: settings.epochs,
        epochsRun: outcome.epochsRun,
        bestEpoch: outcome.bestEpoch,
        batchSize: settings.batchSize,
        optimizer: settings.optimizer,
        lr: settings.lr,
        lrDecay: settings.lrDecay,
        weightDecay: settings.weightDecay,
        selectBy: settings.selectBy,
        ...(settings.split ? { split: 'given' as const } : {}),
        runs,
        trainSeconds,
        test,
      },
      versions: packageVersions(),
      onnx: describeOnnx(onnx, 'probabilities'),
    };
    reportProgress(options.onProgress, { phase: 'train', ratio: 1, message: 'done' });
    return {
      model: { metadata, onnx },
      test,
      validation,
      runs,
      items: countItems(prepared.data),
      history: outcome.history,
      bestEpoch: outcome.bestEpoch,
      epochsRun: outcome.epochsRun,
      stoppedEarly: outcome.stoppedEarly,
      trainSeconds,
    };
  } finally {
    await trainer.release();
  }
}

type Settings = Omit<
  Required<TrainOptions>,
  | 'signal'
  | 'onProgress'
  | 'classWeights'
  | 'pipeline'
  | 'executionProviders'
  | 'threads'
  | 'split'
  | 'normalization'
  | 'lrDecay'
> & {
  normalization: Normalization;
  lrDecay: false | LrDecay;
  split?: GivenSplit;
  classWeights?: TrainOptions['classWeights'];
  pipeline?: FeaturePipelineName;
  executionProviders?: readonly ExecutionProvider[];
  threads?: number;
};

function resolveOptions(options: TrainOptions): Settings {
  const pick = <K extends keyof typeof DEFAULTS>(key: K, allowed?: readonly string[]): (typeof DEFAULTS)[K] => {
    const value = (options[key as keyof TrainOptions] ?? DEFAULTS[key]) as (typeof DEFAULTS)[K];
    if (allowed && !allowed.includes(value as string)) {
      throw invalidOption(`${key} must be one of ${allowed.join(', ')}, got ${JSON.stringify(value)}`);
    }
    return value;
  };
  const number = (
    key: 'epochs' | 'batchSize' | 'lr' | 'weightDecay' | 'seed' | 'hidden' | 'dropout',
    rule: NumberRule,
  ) => checkNumberOption(WHERE, key, options[key] ?? DEFAULTS[key], rule);
  const ratios = options.ratios ?? DEFAULTS.ratios;
  const earlyStopping: false | { patience: number; minDelta: number } =
    options.earlyStopping === false ? false : { ...DEFAULTS.earlyStopping, ...options.earlyStopping };
  if (earlyStopping && !(Number.isInteger(earlyStopping.patience) && earlyStopping.patience >= 1)) {
    throw invalidOption(`earlyStopping.patience must be a positive integer, got ${String(earlyStopping.patience)}`);
  }
  if (earlyStopping)
    checkNumberOption(WHERE, 'earlyStopping.minDelta', earlyStopping.minDelta, NUMBER_RULES.nonNegative);
  const lrDecay = resolveLrDecay(options.lrDecay);
  return {
    lrDecay,
    model: pick('model', ['gcn', 'mlp']),
    task: pick('task', ['graph', 'node']),
    labels: pick('labels', ['binary', 'multiclass']),
    protocol: pick('protocol', ['paper', 'deployable']),
    optimizer: pick('optimizer', ['adam', 'adamw', 'sgd']),
    selectBy: pick('selectBy', ['metric', 'loss', 'accuracy', 'last']),
    epochs: number('epochs', integerAtLeast(1)),
    batchSize: number('batchSize', integerAtLeast(1)),
    lr: number('lr', NUMBER_RULES.positive),
    weightDecay: number('weightDecay', NUMBER_RULES.nonNegative),
    seed: number('seed', NUMBER_RULES.seed),
    hidden: number('hidden', integerAtLeast(1)),
    dropout: number('dropout', NUMBER_RULES.belowOne),
    undirected: options.undirected ?? DEFAULTS.undirected,
    rootWeight: options.rootWeight ?? DEFAULTS.rootWeight,
    normalization: pickNormalization(options.normalization),
    ratios: { ...ratios },
    earlyStopping,
    ...(options.classWeights !== undefined ? { classWeights: options.classWeights } : {}),
    ...(options.split !== undefined ? { split: options.split } : {}),
    ...(options.pipeline !== undefined ? { pipeline: options.pipeline } : {}),
    ...(options.executionProviders !== undefined ? { executionProviders: options.executionProviders } : {}),
    ...(options.threads !== undefined ? { threads: options.threads } : {}),
  };
}

function pickNormalization(value: TrainOptions['normalization']): Normalization {
  const allowed: readonly Normalization[] = ['global', 'job-type', 'run-job-type'];
  if (value !== undefined && !allowed.includes(value)) {
    throw invalidOption(`normalization must be one of ${allowed.join(', ')}, got ${JSON.stringify(value)}`);
  }
  return value ?? 'global';
}

function resolveLrDecay(given: TrainOptions['lrDecay']): false | LrDecay {
  if (given === false) return false;
  const decay = { ...DEFAULTS.lrDecay, ...(given ?? {}) };
  checkNumberOption(WHERE, 'lrDecay.factor', decay.factor, { test: (v) => v > 0 && v < 1, rule: 'in (0, 1)' });
  checkNumberOption(WHERE, 'lrDecay.patience', decay.patience, integerAtLeast(1));
  checkNumberOption(WHERE, 'lrDecay.minLr', decay.minLr, NUMBER_RULES.positive);
  return decay;
}

function invalidOption(what: string): ProteusError {
  return invalidOptionAt(WHERE, what);
}

/** Splits, scales and labels the features for the chosen task and protocol. */
function prepare(
  features: FeatureSet,
  settings: Settings,
): { data: FitData; classes: string[]; scaler: ModelMetadata['scaler']; normalization: JobNormalization | undefined } {
  const runs = features.runs.length;
  const nodes = features.jobsPerRun;
  const allRuns = features.runs.map((_, i) => i);
  const byJob = settings.protocol === 'paper' && settings.task === 'node';
  const split = splitRuns(
    features,
    { seed: settings.seed, ratios: settings.ratios, byJob, ...(settings.split ? { split: settings.split } : {}) },
    WHERE,
  );
  const scalerRuns = settings.protocol === 'paper' ? allRuns : (split.train as number[]);
  const normalized = fitNormalization(features, settings.normalization, scalerRuns);
  const { scaler, x } = scaleFeatures(normalized.features, scalerRuns);
  const map = labelMapFor(features.generation, 'merged');
  const classes = settings.labels === 'binary' ? ['normal', 'anomalous'] : [...map.classes];
  const classOf = (label: string): number =>
    settings.labels === 'binary' ? (label === 'normal' ? 0 : 1) : labelIndex(map, label);
  const level = settings.task;
  const items = level === 'graph' ? runs : runs * nodes;
  const y = new Int32Array(items);
  const part = new Uint8Array(items);
  if (level === 'graph') {
    features.runs.forEach((run, i) => {
      y[i] = classOf(run.label);
    });
  } else {
    for (let i = 0; i < items; i++) y[i] = classOf(features.jobLabels[i] as string);
  }
  if (split.kind === 'by-job') {
    part.set(split.assignment);
  } else {
    const perRun = level === 'graph' ? 1 : nodes;
    const mark = (indices: readonly number[], value: number): void => {
      for (const run of indices) part.fill(value, run * perRun, (run + 1) * perRun);
    };
    mark(split.train, PART.train);
    mark(split.validation, PART.validation);
    mark(split.test, PART.test);
  }
  return {
    data: { x, runs, nodes, features: features.featureNames.length, level, y, part },
    classes,
    scaler,
    normalization: normalized.normalization,
  };
}

function modelSpec(graph: WorkflowGraph, data: FitData, settings: Settings, classes: number): ModelSpec {
  const common = { features: data.features, classes, hidden: settings.hidden, dropout: settings.dropout };
  if (settings.model === 'mlp' && settings.task === 'node') return { kind: 'mlp', nodes: data.nodes, ...common };
  // The graph-level MLP baseline is the same network with the graph removed: each job only hears itself.
  const adjacency =
    settings.model === 'mlp' ? identity(data.nodes) : gcnAdjacency(graph, { undirected: settings.undirected });
  // The MLP's identity adjacency already is the job's own features: a root weight there would only duplicate it.
  const rootWeight = settings.model === 'gcn' && settings.rootWeight;
  return { kind: 'gcn', level: settings.task, nodes: data.nodes, adjacency, rootWeight, ...common };
}

function identity(size: number): Float32Array {
  const matrix = new Float32Array(size * size);
  for (let i = 0; i < size; i++) matrix[i * size + i] = 1;
  return matrix;
}

function classWeightsFor(choice: 'balanced' | number[], data: FitData, classes: number): number[] {
  if (Array.isArray(choice)) {
    if (choice.length !== classes || !choice.every((w) => Number.isFinite(w) && w >= 0)) {
      throw invalidOption(`classWeights must hold ${classes} non-negative numbers, got ${JSON.stringify(choice)}`);
    }
    return choice;
  }
  const counts = new Array<number>(classes).fill(0);
  let total = 0;
  data.y.forEach((label, i) => {
    if (data.part[i] !== PART.train) return;
    counts[label] = (counts[label] as number) + 1;
    total++;
  });
  return counts.map((n) => (n === 0 ? 0 : total / (classes * n)));
}

function runsWithPart(data: FitData, part: number): number[] {
  const perRun = data.level === 'node' ? data.nodes : 1;
  const out: number[] = [];
  for (let run = 0; run < data.runs; run++) {
    for (let k = 0; k < perRun; k++) {
      if (data.part[run * perRun + k] === part) {
        out.push(run);
        break;
      }
    }
  }
  return out;
}

function countItems(data: FitData): { train: number; validation: number; test: number } {
  const counts = { train: 0, validation: 0, test: 0 };
  for (const p of data.part) {
    if (p === PART.train) counts.train++;
    else if (p === PART.validation) counts.validation++;
    else counts.test++;
  }
  return counts;
}
