/*
 * Unsupervised training of the self-supervised detector on one workflow's runs (deployable protocol: split by run,
 * min-max scaler fitted on the training runs only; labels are read only to report test metrics).
 * Reference: Krishnan et al., arXiv 2310.01247; ../shared/reference/ml.md §3 and §7.10 (the reference's scores came
 * from train-mode Gumbel samples over all nodes; here the test runs are scored deterministically).
 */
import {
  createRng,
  type LongOperationOptions,
  type ProteusError,
  reportProgress,
  throwIfAborted,
} from '@proteus-wf/core';
import {
  extractFeatures,
  type FeaturePipelineName,
  type FeatureSet,
  type FlowBenchDataset,
  type RunSplit,
  type SplitRatios,
} from '@proteus-wf/features';
import { createSession, createTensor, type ExecutionProvider, runGraph, type Tensor } from '@proteus-wf/onnx-train';
import { meanAdjacency, toDenseAdjacency } from '@proteus-wf/workflow-graph';
import {
  checkNumberOption,
  integerAtLeast,
  invalidOption as invalidOptionAt,
  NUMBER_RULES,
  type NumberRule,
} from '../internal/check-option.js';
import { describeTrainingData, isFeatureSet } from '../internal/training-inputs.js';
import { describeOnnx, type GivenSplit, runEpochs, scaleFeatures, splitRuns } from '../internal/training-run.js';
import { packageVersions } from '../internal/versions.js';
import { MODEL_FORMAT, MODEL_FORMAT_VERSION } from '../model-metadata.js';
import { type ClassificationSummary, summarizeDecisions } from '../summarize-classification.js';
import type { AugmentJobsOptions } from './augment-jobs.js';
import { fitJobStatistics, quantile } from './internal/job-statistics.js';
import { screenTrainingJobs } from './internal/screen-training-jobs.js';
import type { SslScoreCalibration } from './ssl-graph.js';
import type { SslModelMetadata, TrainedSslModel } from './ssl-model.js';
import { createSslTrainer } from './ssl-trainer.js';

/** The Gumbel-softmax temperature schedule: after epoch e, tau <- max(min, tau * exp(-decay * e)). */
export interface TemperatureSchedule {
  /** Default 1. */
  initial?: number;
  /** Default 0.1. */
  min?: number;
  /** Default 1e-3 (the active-learning script's per-epoch rule, ml.md §3.5). */
  decay?: number;
}

/** Options of {@link trainSsl}. Defaults: `DEFAULTS` below. */
export interface TrainSslOptions extends LongOperationOptions {
  /** Feature pipeline when given a loaded dataset; default `full` (with the kickstart_online_* I/O and CPU counters). */
  pipeline?: FeaturePipelineName;
  epochs?: number;
  /** Runs per training step. */
  batchSize?: number;
  optimizer?: 'adam' | 'adamw';
  lr?: number;
  weightDecay?: number;
  seed?: number;
  hidden?: number;
  dropout?: number;
  groups?: number;
  categories?: number;
  eta?: number;
  margin?: number;
  /** Decode the augmented view's latent against the clean jobs (see `SslSpec.denoise`). */
  denoise?: boolean;
  /**
   * false (default): rebuild each job from its neighbours only (see `SslSpec.selfInput`); with the default directed
   * aggregation, from its ancestors. true: the job's own features enter its latent, as the reference.
   */
  selfInput?: boolean;
  /**
   * Aggregate from parents and children (the reference's SSL experiment's `ToUndirected`); default false: from parents
   * only, so with `selfInput: false` a job's descendants (whose timestamps carry its own delay) never predict it.
   */
  undirected?: boolean;
  temperature?: TemperatureSchedule;
  /** Temperature of the deterministic scoring graph (default: the last training epoch's). */
  scoreTemperature?: number;
  /**
   * `per-job`: the anomaly score is the reconstruction error standardized per job (node index) with the mean and
   * standard deviation of that job's error over the training runs; `none` (default): the raw error. Per-job error
   * calibration helps raw min-max inputs but hurts per-job standardized ones (docs/decisions/models-ssl.md).
   */
  calibration?: 'per-job' | 'none';
  /**
   * `per-job`: the model sees each job's features standardized with that job's (node index's) mean and standard
   * deviation over the training runs (std floored at 0.01 of the min-max range), baked into the graphs like the
   * calibration (default); `none`: the min-max-scaled features.
   */
  inputNormalization?: 'per-job' | 'none';
  augmentation?: AugmentJobsOptions;
  /**
   * Trimmed training: in every step, the jobs of the batch whose current eval-mode reconstruction error is in the top
   * `trim` fraction are left out of the reconstruction term (training runs hold anomalies; this keeps the decoder from
   * learning to rebuild them). Default 0 (every job counts, as the reference). Costs one scoring pass per step.
   */
  trim?: number;
  /**
   * Train on what looks normal before any training: the `screen` fraction of training jobs (`screenBy: 'job'`) or
   * training runs (`'run'`, ranked by the mean of their 10% highest job scores) with the largest training-free score
   * (the norm of the job's features standardized with its own training-run mean and std) are left out of the
   * reconstruction term (jobs) or of training altogether (runs). Default 0.6 (jobs); 0 trains on everything.
   */
  screen?: number;
  screenBy?: 'job' | 'run';
  /** Split fractions by run (default 0.6 / 0.2 / 0.2, stratified by run label, as `train`). */
  ratios?: SplitRatios;
  /** A given split by run (run ids or trace file names, e.g. from `readSplitFile`), as `train`'s; `ratios` is then ignored. */
  split?: GivenSplit;
  /**
   * Expected fraction of anomalous jobs, in (0, 0.5] (PyOD's `contamination`, default 0.1): the saved decision
   * threshold is the (1 - contamination) quantile of the training runs' job scores.
   */
  contamination?: number;
  executionProviders?: readonly ExecutionProvider[];
  threads?: number;
}

/** One epoch of SSL training. */
export interface SslEpochRecord {
  epoch: number;
  temperature: number;
  loss: number;
  reconstructionLoss: number;
  contrastLoss: number;
}

/** What {@link trainSsl} returns. */
export interface TrainSslResult {
  model: TrainedSslModel;
  /**
   * Metrics of the per-job scores on the test runs (null when the test part is empty): ROC-AUC/AP/P@k of the score
   * (null when single-class), accuracy/precision/recall/F1 of `score > threshold`, and the `threshold`.
   */
  test: ClassificationSummary | null;
  validation: ClassificationSummary | null;
  runs: { train: number; validation: number; test: number };
  history: SslEpochRecord[];
  trainSeconds: number;
}

const DEFAULTS = {
  pipeline: 'full' as FeaturePipelineName,
  // 30 epochs at lr 5e-3 (was 10 at 5e-4, about 100 steps: the decoder barely left its initial weights and the score
  // was close to the training-free z-score). With selfInput false, longer training cannot teach the decoder to copy
  // a training job's own anomaly, so it helps (validation runs, docs/decisions/models-ssl.md).
  epochs: 30,
  batchSize: 32,
  optimizer: 'adamw' as 'adam' | 'adamw',
  lr: 5e-3,
  weightDecay: 1e-4,
  seed: 0,
  hidden: 64,
  dropout: 0.5,
  groups: 2,
  categories: 10,
  eta: 0.5,
  margin: 0.5,
  denoise: false,
  // Each job is rebuilt from its ancestors only (directed aggregation, no self input): the score is how far the job
  // is from what its ancestors predict. Validation ROC-AUC, seed 0: casa_wind_full .595 -> .650, 1000genome .747 ->
  // .759, the others within .003 (README "SSL defaults").
  selfInput: false,
  calibration: 'none' as 'per-job' | 'none',
  inputNormalization: 'per-job' as 'per-job' | 'none',
  undirected: false,
  trim: 0,
  // Leaving the 60% least typical training jobs out of the reconstruction term raised the mean validation ROC-AUC of
  // the five SSL-table workflows (README "Leaderboard"): training runs hold anomalies the decoder would learn.
  screen: 0.6,
  screenBy: 'job' as 'job' | 'run',
  contamination: 0.1,
  temperature: { initial: 1, min: 0.1, decay: 1e-3 },
  ratios: { train: 0.6, validation: 0.2, test: 0.2 },
};

export { fitJobStatistics } from './internal/job-statistics.js';

const WHERE = 'models/trainSsl';

function invalidOption(what: string): ProteusError {
  return invalidOptionAt(WHERE, what);
}

/** The temperature of epoch `epoch` (1-based) under a schedule. */
export function temperatureAt(schedule: Required<TemperatureSchedule>, epoch: number): number {
  // tau_e = tau_0 * prod_{i<e} exp(-decay * i) = tau_0 * exp(-decay * e(e-1)/2)
  return Math.max(schedule.min, schedule.initial * Math.exp((-schedule.decay * epoch * (epoch - 1)) / 2));
}

/**
 * Trains the SSL detector without labels and scores the held-out runs' jobs deterministically.
 * @example
 * const dataset = await loadFlowBench('../shared/datasets/flowbench/1000genome.zip');
 * const { model, test } = await trainSsl(dataset, { epochs: 50, seed: 1 });
 * test?.rocAuc; await saveModel(model, 'models/1000genome-ssl');
 * @throws ProteusError PROTEUS_MODELS_INVALID_OPTION for a bad option; PROTEUS_MODELS_NON_FINITE_LOSS when the loss
 * diverges; PROTEUS_MODELS_EP_UNAVAILABLE; PROTEUS_CORE_ABORTED; PROTEUS_FEATURES_* (splits, scaler)
 */
export async function trainSsl(
  data: FlowBenchDataset | FeatureSet,
  options: TrainSslOptions = {},
): Promise<TrainSslResult> {
  const started = performance.now();
  const settings = resolveOptions(options);
  throwIfAborted(options.signal, WHERE);
  const features = isFeatureSet(data) ? data : extractFeatures(data, { pipeline: settings.pipeline });
  const split = splitRuns(
    features,
    { seed: settings.seed, ratios: settings.ratios, ...(settings.split ? { split: settings.split } : {}) },
    WHERE,
  ) as RunSplit;
  if (split.train.length === 0)
    throw invalidOption(`the split has no training run (${features.runs.length} runs); lower ratios.test/validation`);
  const { scaler, x } = scaleFeatures(features, split.train);
  const nodes = features.jobsPerRun;
  const width = features.featureNames.length;
  const block = nodes * width;
  const adjacency = toDenseAdjacency(meanAdjacency(features.graph, { undirected: settings.undirected }));
  const inputNormalization =
    settings.inputNormalization === 'per-job' ? fitJobStatistics(x, split.train, nodes, width) : null;
  const trainer = await createSslTrainer({
    model: {
      nodes,
      features: width,
      adjacency,
      hidden: settings.hidden,
      groups: settings.groups,
      categories: settings.categories,
      dropout: settings.dropout,
      eta: settings.eta,
      margin: settings.margin,
      denoise: settings.denoise,
      selfInput: settings.selfInput,
      inputNormalization,
    },
    optimizer: { kind: settings.optimizer, lr: settings.lr, weightDecay: settings.weightDecay },
    seed: settings.seed,
    ...(settings.augmentation ? { augmentation: settings.augmentation } : {}),
    ...(settings.executionProviders ? { executionProviders: settings.executionProviders } : {}),
    ...(settings.threads !== undefined ? { threads: settings.threads } : {}),
  });
  try {
    const rng = createRng(settings.seed).fork();
    const history: SslEpochRecord[] = [];
    const gather = (runs: readonly number[]): Float32Array => {
      const out = new Float32Array(runs.length * block);
      runs.forEach((run, i) => {
        out.set(x.subarray(run * block, (run + 1) * block), i * block);
      });
      return out;
    };
    // Jobs differ in how well they can be reconstructed at all; standardizing each job's error against its own
    // training distribution makes scores of different jobs comparable (docs/decisions/models-ssl.md).
    const fitCalibration = async (runs: readonly number[]): Promise<SslScoreCalibration> => {
      const sum = new Float64Array(nodes);
      const squares = new Float64Array(nodes);
      for (let start = 0; start < runs.length; start += 256) {
        const chunk = runs.slice(start, start + 256);
        const errors = await trainer.score(gather(chunk), { temperature });
        for (let k = 0; k < errors.length; k++) {
          const e = errors[k] as number;
          sum[k % nodes] = (sum[k % nodes] as number) + e;
          squares[k % nodes] = (squares[k % nodes] as number) + e * e;
        }
      }
      const mean = Float32Array.from(sum, (s) => s / runs.length);
      const std = Float32Array.from(squares, (q, j) =>
        Math.max(Math.sqrt(Math.max(q / runs.length - (mean[j] as number) ** 2, 0)), 1e-6),
      );
      return { mean, std };
    };
    const screened = settings.screen > 0 ? screenTrainingJobs(x, split.train, nodes, width, settings) : null;
    const trainRuns = screened?.runs ?? split.train;
    const screenWeights = (runs: readonly number[]): Float32Array | undefined => {
      if (!screened?.jobWeight) return undefined;
      const weights = new Float32Array(runs.length * nodes);
      runs.forEach((run, i) => {
        weights.set((screened.jobWeight as Float32Array).subarray(run * nodes, (run + 1) * nodes), i * nodes);
      });
      return weights;
    };
    // Weight 0 for the batch's jobs above the (1 - trim) quantile of their current reconstruction error.
    const trimmedWeights = async (xBatch: Float32Array): Promise<Float32Array> => {
      const errors = await trainer.score(xBatch, { temperature });
      const sorted = Float32Array.from(errors).sort();
      const cut = sorted[Math.min(sorted.length - 1, Math.floor((1 - settings.trim) * sorted.length))] as number;
      return errors.map((e) => (e < cut ? 1 : 0));
    };
    let temperature = settings.temperature.initial;
    await runEpochs({
      x,
      block,
      trainRuns,
      batchSize: settings.batchSize,
      epochs: settings.epochs,
      rng,
      where: WHERE,
      ...(options.signal ? { signal: options.signal } : {}),
      step: async (xBatch, runs, at) => {
        if (at.step === 1) temperature = temperatureAt(settings.temperature, at.epoch);
        const trimmed = settings.trim > 0 ? await trimmedWeights(xBatch) : undefined;
        const kept = screenWeights(runs);
        const jobWeight = trimmed && kept ? trimmed.map((w, k) => w * (kept[k] as number)) : (trimmed ?? kept);
        const { loss, reconstructionLoss, contrastLoss } = await trainer.step(xBatch, {
          temperature,
          ...(jobWeight ? { jobWeight } : {}),
        });
        return { loss, reconstructionLoss, contrastLoss };
      },
      endEpoch: (epoch, means) => {
        const record = { epoch, temperature, ...means };
        history.push(record);
        reportProgress(options.onProgress, {
          phase: 'train',
          ratio: epoch / settings.epochs,
          message: `epoch ${epoch}/${settings.epochs}`,
          data: { ...record },
        });
        return false;
      },
    });
    // Metrics come from the exported scoring model itself, so they are exactly what the saved model reproduces.
    if (settings.scoreTemperature !== undefined) temperature = settings.scoreTemperature;
    const calibration = settings.calibration === 'per-job' ? await fitCalibration(split.train) : undefined;
    const onnx = trainer.exportInferenceModel({ temperature, ...(calibration ? { calibration } : {}) });
    const exported = await createSession(onnx, {
      executionProviders: trainer.executionProviders,
      ...(settings.threads !== undefined ? { threads: settings.threads } : {}),
    });
    const scoreParts = async (runs: readonly number[]): Promise<Float32Array> => {
      const scores = new Float32Array(runs.length * nodes);
      for (let start = 0; start < runs.length; start += 256) {
        const chunk = runs.slice(start, start + 256);
        const feeds = { x: createTensor('float32', gather(chunk), [chunk.length, nodes, width]) };
        const out = await runGraph(exported, feeds, { where: 'models/trainSsl' });
        scores.set((out.scores as Tensor).data as Float32Array, start * nodes);
      }
      return scores;
    };
    let test: ClassificationSummary | null;
    let validation: ClassificationSummary | null;
    let threshold: number;
    try {
      // The decision threshold comes from the unlabelled training scores of the exported model (PyOD's convention).
      threshold = quantile(await scoreParts(split.train), 1 - settings.contamination);
      const evaluate = async (runs: readonly number[]): Promise<ClassificationSummary | null> => {
        if (runs.length === 0) return null;
        const scores = await scoreParts(runs);
        const truth = new Uint8Array(runs.length * nodes);
        runs.forEach((run, i) => {
          for (let j = 0; j < nodes; j++)
            truth[i * nodes + j] = features.jobLabels[run * nodes + j] === 'normal' ? 0 : 1;
        });
        const predicted = Uint8Array.from(scores, (score) => (score > threshold ? 1 : 0));
        return { ...summarizeDecisions(truth, predicted, scores, ['normal', 'anomalous']), threshold };
      };
      test = await evaluate(split.test);
      validation = await evaluate(split.validation);
    } finally {
      await exported.session.release();
    }
    const trainSeconds = (performance.now() - started) / 1000;
    const runs = { train: split.train.length, validation: split.validation.length, test: split.test.length };
    const metadata: SslModelMetadata = {
      format: MODEL_FORMAT,
      formatVersion: MODEL_FORMAT_VERSION,
      model: 'ssl',
      task: 'node',
      ...describeTrainingData(features, scaler),
      architecture: {
        hidden: settings.hidden,
        groups: settings.groups,
        categories: settings.categories,
        dropout: settings.dropout,
        eta: settings.eta,
        margin: settings.margin,
        denoise: settings.denoise,
        selfInput: settings.selfInput,
        calibration: settings.calibration,
        inputNormalization: settings.inputNormalization,
        undirected: settings.undirected,
        temperature,
      },
      training: {
        protocol: 'deployable',
        seed: settings.seed,
        epochs: settings.epochs,
        batchSize: settings.batchSize,
        optimizer: settings.optimizer,
        lr: settings.lr,
        weightDecay: settings.weightDecay,
        trim: settings.trim,
        ...(settings.screen > 0 ? { screen: settings.screen, screenBy: settings.screenBy } : {}),
        runs,
        trainSeconds,
        test,
      },
      threshold: { value: threshold, contamination: settings.contamination },
      versions: packageVersions(),
      onnx: describeOnnx(onnx, 'scores'),
    };
    reportProgress(options.onProgress, { phase: 'train', ratio: 1, message: 'done' });
    return { model: { metadata, onnx }, test, validation, runs, history, trainSeconds };
  } finally {
    await trainer.release();
  }
}

type Settings = typeof DEFAULTS & {
  split?: GivenSplit;
  scoreTemperature?: number;
  augmentation?: AugmentJobsOptions;
  executionProviders?: readonly ExecutionProvider[];
  threads?: number;
};

function resolveOptions(options: TrainSslOptions): Settings {
  const number = (
    key:
      | 'epochs'
      | 'batchSize'
      | 'hidden'
      | 'groups'
      | 'categories'
      | 'lr'
      | 'weightDecay'
      | 'dropout'
      | 'eta'
      | 'margin'
      | 'trim'
      | 'screen'
      | 'contamination',
    rule: NumberRule,
  ) => checkNumberOption(WHERE, key, options[key] ?? DEFAULTS[key], rule);
  const optimizer = options.optimizer ?? DEFAULTS.optimizer;
  if (optimizer !== 'adam' && optimizer !== 'adamw')
    throw invalidOption(`optimizer must be "adam" or "adamw", got ${JSON.stringify(optimizer)}`);
  const seed = checkNumberOption(WHERE, 'seed', options.seed ?? DEFAULTS.seed, NUMBER_RULES.seed);
  const temperature = { ...DEFAULTS.temperature, ...definedOnly(options.temperature ?? {}) };
  if (
    !(
      temperature.initial > 0 &&
      temperature.min > 0 &&
      temperature.min <= temperature.initial &&
      temperature.decay >= 0
    )
  ) {
    throw invalidOption(`temperature needs initial >= min > 0 and decay >= 0, got ${JSON.stringify(temperature)}`);
  }
  return {
    pipeline: options.pipeline ?? DEFAULTS.pipeline,
    epochs: number('epochs', integerAtLeast(1)),
    batchSize: number('batchSize', integerAtLeast(1)),
    hidden: number('hidden', integerAtLeast(1)),
    groups: number('groups', integerAtLeast(1)),
    categories: number('categories', integerAtLeast(2)),
    optimizer,
    lr: number('lr', NUMBER_RULES.positive),
    weightDecay: number('weightDecay', NUMBER_RULES.nonNegative),
    dropout: number('dropout', NUMBER_RULES.belowOne),
    trim: number('trim', NUMBER_RULES.belowOne),
    screen: number('screen', NUMBER_RULES.belowOne),
    screenBy: checkScreenBy(options.screenBy ?? DEFAULTS.screenBy),
    contamination: number('contamination', { test: (v) => v > 0 && v <= 0.5, rule: 'in (0, 0.5]' }),
    eta: number('eta', { test: (v) => v >= 0 && v <= 1, rule: 'in [0, 1]' }),
    margin: number('margin', NUMBER_RULES.nonNegative),
    seed,
    undirected: options.undirected ?? DEFAULTS.undirected,
    denoise: options.denoise ?? DEFAULTS.denoise,
    selfInput: checkBoolean(options.selfInput ?? DEFAULTS.selfInput, 'selfInput'),
    calibration: checkPerJob(options.calibration ?? DEFAULTS.calibration, 'calibration'),
    inputNormalization: checkPerJob(options.inputNormalization ?? DEFAULTS.inputNormalization, 'inputNormalization'),
    temperature,
    ratios: { ...(options.ratios ?? DEFAULTS.ratios) },
    ...(options.split !== undefined ? { split: options.split } : {}),
    ...(options.scoreTemperature !== undefined
      ? { scoreTemperature: checkScoreTemperature(options.scoreTemperature) }
      : {}),
    ...(options.augmentation ? { augmentation: options.augmentation } : {}),
    ...(options.executionProviders ? { executionProviders: options.executionProviders } : {}),
    ...(options.threads !== undefined ? { threads: options.threads } : {}),
  };
}

function checkBoolean(value: boolean, key: string): boolean {
  if (typeof value !== 'boolean') throw invalidOption(`${key} must be true or false, got ${JSON.stringify(value)}`);
  return value;
}

function checkScreenBy(value: 'job' | 'run'): 'job' | 'run' {
  if (value !== 'job' && value !== 'run')
    throw invalidOption(`screenBy must be "job" or "run", got ${JSON.stringify(value)}`);
  return value;
}

function checkPerJob(value: 'per-job' | 'none', key: string): 'per-job' | 'none' {
  if (value !== 'per-job' && value !== 'none')
    throw invalidOption(`${key} must be "per-job" or "none", got ${JSON.stringify(value)}`);
  return value;
}

function checkScoreTemperature(value: number): number {
  if (!(Number.isFinite(value) && value > 0))
    throw invalidOption(`scoreTemperature must be a finite number > 0, got ${String(value)}`);
  return value;
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
