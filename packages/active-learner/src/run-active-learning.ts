/*
 * Algorithm 1 of the active-learning paper (§3.3), with the burn-in branch the right way round (ml.md §5.3), as a loop
 * over small named steps (internal/steps/):
 *
 *   for k = 1..K:  query       Q_k = random during burn-in (and a periodic re-selection), else g(s_{k-1})
 *                  acquire     run Q_k's experiments (ExperimentBackend) -> labelled runs
 *                  update      train on the labelled runs (TrainingProtocol: to convergence by default)
 *                  evaluate    test metrics on the held-out runs (never trained on)
 *                  stop        the stopping rule, without test labels (stabilising predictions by default)
 *                  checkpoint  weights, optimizer, RNG, pool, labelled runs, history: `resume` continues bit for bit
 */
import { createRng, type LongOperationOptions, ProteusError, reportProgress, throwIfAborted } from '@proteus-wf/core';
import type { ExperimentBackend, LabelledRuns } from './experiment-backend.js';
import type { ExperimentRequest } from './experiment-requests.js';
import { createLabelledSet, type LabelledSet } from './internal/labelled-set.js';
import { createLearnerModel, type ModelState, type UpdateLosses } from './internal/learner-model.js';
import { defineGcn, defineSsl, type ModelDefinition } from './internal/model-definitions.js';
import { acquireRuns, assertTrainable } from './internal/steps/acquire-runs.js';
import { checkStopping, drawStopSet } from './internal/steps/check-stopping.js';
import { type LoopState, readCheckpoint, writeCheckpoint } from './internal/steps/checkpoint.js';
import { evaluateModel } from './internal/steps/evaluate-model.js';
import { observeTaught } from './internal/steps/observe-taught.js';
import { analyzeLabelled, type QuerySettings, queryExperiments } from './internal/steps/query-experiments.js';
import { type UpdateOutcome, updateModel } from './internal/steps/update-model.js';
import type { LearningTask } from './learning-task.js';
import { type BanditObservation, createOptionBandit } from './option-bandit.js';
import { defineStoppingRule, type StoppingOptions, type StoppingRule } from './stopping-rule.js';
import {
  type JobAnalysis,
  jobUncertainty,
  minMaxConfidence,
  type RunReduce,
  type Selection,
  STRATEGIES,
  type StrategyName,
} from './strategies.js';
import { defineTrainingProtocol, type TrainingProtocol, type TrainingProtocolOptions } from './training-protocol.js';
import { defineUpdateTerms, type ResolvedUpdateTerms, type UpdateTermsOptions } from './update-terms.js';

/** The models the loop trains. */
export type ActiveModelKind = 'gcn' | 'ssl';

/** A held-out set to evaluate on after every iteration (never trained on). */
export interface EvaluationSet {
  runIds: readonly string[];
  runs: number;
  x: Float32Array;
  jobBinary: Uint8Array;
  /** Each job's anomaly label, `[runs, N]`: adds per-anomaly metrics (that type's jobs against the normal ones). */
  jobLabels?: readonly string[];
  /** Each run's label (`normal`, `cpu_2`, ...): the targets of a graph-level task. */
  runLabels?: readonly string[];
}

/** Options of {@link runActiveLearning}. */
export interface ActiveLearningOptions extends LongOperationOptions {
  backend: ExperimentBackend;
  /** `gcn` (supervised, default) or `ssl` (self-supervised). */
  model?: ActiveModelKind;
  /**
   * What the model predicts (default job-level binary): per job or per run, binary or multiclass; see
   * `defineLearningTask`. The GCN only; `rocAuc` in the metrics is then `task.metric`.
   */
  task?: LearningTask;
  /** Query strategy (default `gradient`, the paper's). */
  strategy?: StrategyName;
  /** K (default 10). */
  iterations?: number;
  /** Runs requested per iteration (default 2, as the paper). */
  perIteration?: number;
  /** Iterations that query at random first (default 1). */
  burnIn?: number;
  /** After burn-in, every `reselectEvery`-th iteration queries at random to limit bias (default 4; 0 = never). */
  reselectEvery?: number;
  /**
   * How much to train per iteration: `converge` (default; every labelled run, patience on a validation fold of the
   * labelled runs) or `fixed` (the paper's steps on the newest batch plus replay). See `defineTrainingProtocol`.
   */
  training?: TrainingProtocolOptions;
  /** Shorthand for `training: { kind: 'fixed', steps }` (the paper's protocol; ignored when `training` is set). */
  stepsPerIteration?: number;
  /** Runs drawn from the replay memory per step of the fixed protocol (default 8). */
  memoryRuns?: number;
  /** When to stop without test labels (default: stabilising predictions). See `defineStoppingRule`. */
  stopping?: StoppingOptions;
  /** Stop when the RMS of the per-job gradient norms is <= threshold (default 0: run the whole budget). */
  threshold?: number;
  /** Eq. 6 terms (all on by default). */
  terms?: UpdateTermsOptions;
  /** AdamW learning rate and decoupled weight decay (default 5e-3 and 1e-4). */
  optimizer?: { lr?: number; weightDecay?: number };
  /** Cost-aware weighting exponent (default 0: off). */
  costWeight?: number;
  /** Per-node normalization of the job uncertainties before ranking (`node`, default, or `none`). */
  normalize?: 'node' | 'none';
  /**
   * Pool-based emulation only (a backend with `candidates`): which pool runs of a queried type are replayed, `random`
   * (default, any run of the type) or `uncertain` (the model's most uncertain unlabelled candidates of the type).
   */
  runSelection?: 'random' | 'uncertain';
  /**
   * How the anomaly type of a query is chosen: `labelled` (default, the paper: uncertainty on the runs labelled so
   * far) or `pool` (the most uncertain unlabelled candidate runs of each type; needs a backend with `candidates`).
   */
  typeScore?: 'labelled' | 'pool';
  /** How job uncertainties become a candidate run's for pool-based ranking (default `top`). */
  runReduce?: RunReduce;
  /**
   * Class weights of the GCN's update loss: `balanced` (default; n / (2 n_c) over the jobs labelled so far, never from
   * test or unlabelled pool runs) or `none`. Same for every strategy; the SSL has no labels and ignores it.
   */
  classWeights?: 'none' | 'balanced';
  /** Candidate runs scored per type and iteration, drawn at random when a type has more (default 64). */
  candidatesPerType?: number;
  /** Workers that get the anomaly in each request (default 1). */
  anomalousWorkers?: number;
  /** Hidden width of the model (default 64). */
  hidden?: number;
  seed?: number;
  /** Evaluated after every iteration (ROC-AUC, AP, P@k on job scores). */
  evaluation?: EvaluationSet;
  /** Checkpoint file written atomically after every iteration. */
  checkpoint?: string;
  /** Continue from `checkpoint` when it exists. */
  resume?: boolean;
  /** Write each iteration's request file here (`iter-0001.json`, ...): the translation layer's output. */
  requestsDir?: string;
  /** onnxruntime intra-op threads (default 1, deterministic). */
  threads?: number;
}

/** Test metrics after an iteration. */
export interface IterationMetrics {
  rocAuc: number;
  averagePrecision: number;
  precisionAtK: number;
}

/** What happened in one iteration. */
export interface IterationRecord {
  iteration: number;
  /** Runs acquired so far. */
  samples: number;
  random: boolean;
  requests: ExperimentRequest[];
  /** Labels of the runs the backend returned. */
  ran: string[];
  /** Mean over the iteration's steps. */
  losses: UpdateLosses;
  /** Optimizer steps the iteration took (the converge protocol ends early once the validation fold stops improving). */
  trainingSteps?: number;
  /** Labelled runs held out as the validation fold this iteration (0: patience watched every labelled run). */
  validationRuns?: number;
  /** Testbed-seconds of every run labelled so far: the sum of their wall times from the traces. */
  testbedSeconds?: number;
  /** Cohen's kappa of this and the previous model's job flags on the stop set (null: no previous model). */
  stopAgreement?: number | null;
  metrics?: IterationMetrics;
  /** Test metrics per anomaly type: its anomalous jobs against every normal job (when the evaluation has labels). */
  metricsByAnomaly?: Record<string, IterationMetrics>;
  /** Seconds the iteration took: the experiments, the updates and the evaluation (absent in old checkpoints). */
  wallSeconds?: number;
  /** Histogram (10 bins over [0, 1]) of the gradient confidence of every labelled job (the paper's Fig. 8). */
  confidenceHistogram: number[];
  /** RMS of the per-job gradient norms, ||s_k||. */
  scoreNorm: number;
  /** Mean confidence per anomaly type under the strategy. */
  optionConfidence: Record<string, number>;
  /** The `bandit` strategy's observations of this iteration's runs (a resumed loop rebuilds the bandit from them). */
  taught?: BanditObservation[];
}

/** The result of one active-learning run. */
export interface ActiveLearningResult {
  workflow: string;
  model: ActiveModelKind;
  strategy: StrategyName;
  seed: number;
  terms: ResolvedUpdateTerms;
  /** Which training protocol ran. */
  training: TrainingProtocol;
  iterations: IterationRecord[];
  /** Why the loop ended. */
  stopped: StopReason;
  /** Where the stopping rule stopped, and why (with `onStop: 'record'`, where it would have; absent if it never did). */
  stopAt?: StopPoint;
  /** Final weights and optimizer state. */
  state: ModelState;
}

/** Why a loop ended: its iteration budget, the gradient-norm threshold, or the stopping rule. */
export type StopReason = 'budget' | 'threshold' | 'stable-predictions';

/** Where the stopping rule fired. */
export interface StopPoint {
  iteration: number;
  /** Runs labelled then. */
  samples: number;
  /** The rule's reason in words. */
  reason: string;
}

const DEFAULTS = {
  model: 'gcn' as ActiveModelKind,
  strategy: 'gradient' as StrategyName,
  iterations: 10,
  perIteration: 2,
  burnIn: 1,
  reselectEvery: 4,
  threshold: 0,
  lr: 5e-3,
  weightDecay: 1e-4,
  costWeight: 0,
  seed: 0,
  runSelection: 'random' as 'random' | 'uncertain',
  typeScore: 'labelled' as 'labelled' | 'pool',
  runReduce: 'top' as QuerySettings['runReduce'],
  candidatesPerType: 64,
  classWeights: 'balanced' as 'none' | 'balanced',
};
const WHERE = 'active-learner/runActiveLearning';

/**
 * Runs Algorithm 1 for one strategy and seed against an experiment backend.
 * @example
 * const backend = createEmulationBackend(dataset, { seed: 0 });
 * const result = await runActiveLearning({ backend, evaluation: backend.testSet(), iterations: 10 });
 * result.iterations.at(-1)?.metrics?.rocAuc; result.stopAt?.reason;
 * @throws ProteusError PROTEUS_AL_INVALID_OPTION for a bad count, strategy, model, protocol or stopping rule
 * @throws ProteusError PROTEUS_AL_TEST_LEAK when a held-out run reaches the training data or the replay memory
 * @throws ProteusError PROTEUS_AL_CHECKPOINT_INVALID when `resume` finds a checkpoint of other settings
 * @throws ProteusError PROTEUS_AL_POOL_EXHAUSTED, PROTEUS_AL_NON_FINITE_LOSS, PROTEUS_CORE_ABORTED
 */
export async function runActiveLearning(options: ActiveLearningOptions): Promise<ActiveLearningResult> {
  const s = resolveSettings(options);
  const { backend, evaluation, requestsDir, signal } = options;
  const { nodes, features } = backend;
  const heldOut = new Set(evaluation?.runIds ?? []);
  let rng = createRng(s.seed);
  const weights = s.definition.init(rng.fork());
  const model = await createLearnerModel(s.definition, {
    terms: s.terms,
    optimizer: { kind: 'adamw', lr: s.lr, weightDecay: s.weightDecay, beta1: 0.9, beta2: 0.999, eps: 1e-8 },
    weights,
    threads: options.threads ?? 1,
  });
  try {
    const resumed =
      options.resume && options.checkpoint
        ? await readCheckpoint(options.checkpoint, s.fingerprint, model, backend)
        : undefined;
    const state: LoopState = resumed ?? {
      iteration: 0,
      history: [],
      stopped: null,
      stopAt: null,
      rng,
      set: createLabelledSet(),
      stopping: { previousFlags: null, stable: 0 },
      stopSet: drawStopSet(backend, s.stopping, s.seed),
    };
    rng = state.rng;
    if (s.task) state.set.task = s.task;
    assertTrainable(state.set.runIds, 'checkpoint', heldOut, backend);
    let analysis = state.set.runIds.length > 0 ? await analyzeLabelled(model, state.set, nodes, features) : undefined;
    const bandit = s.query.strategy === 'bandit' ? createOptionBandit() : undefined;
    bandit?.restore(state.history.flatMap((record) => record.taught ?? []));
    while (state.iteration < s.iterations && state.stopped === null) {
      throwIfAborted(signal, WHERE);
      const started = Date.now();
      const k = state.iteration + 1;
      const { selection, file } = await queryExperiments(k, model, backend, analysis, state.set, s.query, rng, bandit);
      const { runs, fresh } = await acquireRuns(k, file, backend, state.set, { heldOut, requestsDir, signal });
      const taught = bandit ? await observeTaught(model, bandit, runs, fresh, state.set, nodes, features) : undefined;
      const update = await updateModel(model, state.set, { ...s.update, iteration: k, fresh, rng, signal });
      analysis = await analyzeLabelled(model, state.set, nodes, features);
      const tested = evaluation ? await evaluateModel(model, evaluation, nodes, features, s.task) : undefined;
      const stop = await checkStopping(model, s.stopping, state.stopSet, state.set, state.stopping, nodes, features);
      const record = recordOf(k, state.set, { selection, runs, update, analysis, tested, stop, started });
      if (taught) record.taught = taught;
      state.history.push(record);
      state.iteration = k;
      state.stopping = stop.state;
      if (stop.decision.stop && state.stopAt === null)
        state.stopAt = { iteration: k, samples: state.set.runIds.length, reason: stop.decision.reason };
      if (s.threshold > 0 && record.scoreNorm <= s.threshold) state.stopped = 'threshold';
      else if (stop.decision.stop && s.stopping.onStop === 'stop') state.stopped = 'stable-predictions';
      if (options.checkpoint) await writeCheckpoint(options.checkpoint, s.fingerprint, state, model, backend);
      reportProgress(options.onProgress, {
        phase: 'iteration',
        ratio: state.stopped ? 1 : state.iteration / s.iterations,
        message: `iteration ${k}/${s.iterations}: ${runs.labels.join(', ')}${state.stopped ? ` (stopped: ${stop.decision.reason || 'threshold'})` : ''}`,
        data: { iteration: k, samples: state.set.runIds.length, ...(tested ? { rocAuc: tested.metrics.rocAuc } : {}) },
      });
    }
    return {
      workflow: backend.workflow,
      model: s.kind,
      strategy: s.query.strategy,
      seed: s.seed,
      terms: s.terms,
      training: s.training,
      iterations: state.history,
      stopped: state.stopped ?? 'budget',
      ...(state.stopAt ? { stopAt: state.stopAt } : {}),
      state: model.saveState(),
    };
  } finally {
    await model.release();
  }
}

interface Settings {
  kind: ActiveModelKind;
  /** Absent for job-level binary (the default path). */
  task?: LearningTask;
  seed: number;
  iterations: number;
  threshold: number;
  terms: ResolvedUpdateTerms;
  lr: number;
  weightDecay: number;
  classWeights: 'none' | 'balanced';
  training: TrainingProtocol;
  /** What every update step takes besides the iteration, its runs and the RNG. */
  update: { protocol: TrainingProtocol; classWeights: 'none' | 'balanced'; nodes: number; features: number };
  stopping: StoppingRule;
  query: QuerySettings;
  definition: ModelDefinition;
  fingerprint: Record<string, unknown>;
}

function invalid(message: string): ProteusError {
  return new ProteusError('PROTEUS_AL_INVALID_OPTION', `${WHERE}: ${message}`);
}

function integer(value: number, what: string, min: number): number {
  if (!(Number.isInteger(value) && value >= min))
    throw invalid(`${what} must be an integer >= ${min}, got ${String(value)}`);
  return value;
}

function oneOf<T extends string>(value: T, allowed: readonly T[], what: string): T {
  if (!allowed.includes(value))
    throw invalid(`${what} must be one of ${allowed.map((a) => `"${a}"`).join(', ')}, got ${JSON.stringify(value)}`);
  return value;
}

/** Validates the options once, with their defaults. */
function resolveSettings(options: ActiveLearningOptions): Settings {
  const backend = options.backend;
  const kind = oneOf(options.model ?? DEFAULTS.model, ['gcn', 'ssl'], 'model');
  const strategy = options.strategy ?? DEFAULTS.strategy;
  if (!STRATEGIES.includes(strategy))
    throw invalid(`unknown strategy ${JSON.stringify(strategy)}; choose one of ${STRATEGIES.join(', ')}`);
  const query: QuerySettings = {
    strategy,
    seed: options.seed ?? DEFAULTS.seed,
    perIteration: integer(options.perIteration ?? DEFAULTS.perIteration, 'perIteration', 1),
    burnIn: integer(options.burnIn ?? DEFAULTS.burnIn, 'burnIn', 0),
    reselectEvery: integer(options.reselectEvery ?? DEFAULTS.reselectEvery, 'reselectEvery', 0),
    ...(options.anomalousWorkers === undefined ? {} : { anomalousWorkers: options.anomalousWorkers }),
    costWeight: options.costWeight ?? DEFAULTS.costWeight,
    normalize: options.normalize ?? 'node',
    runSelection: oneOf(options.runSelection ?? DEFAULTS.runSelection, ['random', 'uncertain'], 'runSelection'),
    typeScore: oneOf(options.typeScore ?? DEFAULTS.typeScore, ['labelled', 'pool'], 'typeScore'),
    runReduce: oneOf(options.runReduce ?? DEFAULTS.runReduce, ['mean', 'max', 'top'], 'runReduce'),
    candidatesPerType: integer(options.candidatesPerType ?? DEFAULTS.candidatesPerType, 'candidatesPerType', 1),
  };
  if ((query.runSelection === 'uncertain' || query.typeScore === 'pool') && !backend.candidates)
    throw invalid(
      `runSelection "uncertain" and typeScore "pool" need a backend that lists its candidate runs (the emulation); ${backend.workflow}'s backend does not`,
    );
  const classWeights = oneOf(options.classWeights ?? DEFAULTS.classWeights, ['none', 'balanced'], 'classWeights');
  const threshold = options.threshold ?? DEFAULTS.threshold;
  if (!(threshold >= 0)) throw invalid(`threshold must be >= 0, got ${String(threshold)}`);
  const lr = options.optimizer?.lr ?? DEFAULTS.lr;
  const weightDecay = options.optimizer?.weightDecay ?? DEFAULTS.weightDecay;
  if (!(lr > 0 && Number.isFinite(lr)) || !(weightDecay >= 0))
    throw invalid(`optimizer lr must be > 0 and weightDecay >= 0, got ${lr} and ${weightDecay}`);
  const training = defineTrainingProtocol(
    options.training ??
      (options.stepsPerIteration === undefined
        ? {}
        : {
            kind: 'fixed',
            steps: integer(options.stepsPerIteration, 'stepsPerIteration', 1),
            ...(options.memoryRuns === undefined ? {} : { memoryRuns: integer(options.memoryRuns, 'memoryRuns', 1) }),
          }),
  );
  const stopping = defineStoppingRule(options.stopping);
  const evaluation = options.evaluation;
  if (evaluation?.jobLabels && evaluation.jobLabels.length !== evaluation.jobBinary.length)
    throw invalid(
      `evaluation.jobLabels has ${evaluation.jobLabels.length} labels for ${evaluation.jobBinary.length} jobs; give one per job`,
    );
  for (const id of evaluation?.runIds ?? []) {
    if (backend.isHeldOut && !backend.isHeldOut(id))
      throw new ProteusError(
        'PROTEUS_AL_TEST_LEAK',
        `${WHERE}: evaluation run ${id} is not held out by the backend, so it may also be trained on`,
      );
  }
  const terms = defineUpdateTerms(options.terms);
  const common = { features: backend.features, ...(options.hidden === undefined ? {} : { hidden: options.hidden }) };
  const task =
    options.task && !(options.task.level === 'node' && options.task.labels === 'binary') ? options.task : undefined;
  if (task && kind === 'ssl')
    throw new ProteusError(
      'PROTEUS_AL_TASK_UNSUPPORTED',
      `${WHERE}: the SSL model learns without labels, so it has no ${task.level}-level ${task.labels} head; use --model gcn`,
    );
  const definition =
    kind === 'ssl'
      ? defineSsl(backend.graph, common)
      : defineGcn(backend.graph, {
          ...common,
          ...(task ? { level: task.level, classes: task.classes.length } : {}),
        });
  const iterations = integer(options.iterations ?? DEFAULTS.iterations, 'iterations', 1);
  const { seed, ...queryPrint } = query;
  const fingerprint = {
    workflow: backend.workflow,
    kind,
    seed,
    iterations,
    ...queryPrint,
    terms,
    lr,
    weightDecay,
    hidden: options.hidden ?? null,
    ...(task ? { task } : {}),
    classWeights,
    training,
    stopping,
  };
  return {
    kind,
    ...(task ? { task } : {}),
    seed,
    iterations,
    threshold,
    terms,
    lr,
    weightDecay,
    classWeights,
    training,
    update: { protocol: training, classWeights, nodes: backend.nodes, features: backend.features },
    stopping,
    query,
    definition,
    fingerprint,
  };
}

/** The history entry of iteration `k`. */
function recordOf(
  k: number,
  set: LabelledSet,
  step: {
    selection: Selection;
    runs: LabelledRuns;
    update: UpdateOutcome;
    analysis: JobAnalysis;
    tested: Awaited<ReturnType<typeof evaluateModel>> | undefined;
    stop: { agreement: number | null };
    started: number;
  },
): IterationRecord {
  const gradientNorm = step.analysis.gradientNorm;
  return {
    iteration: k,
    samples: set.runIds.length,
    random: step.selection.random,
    requests: step.selection.requests,
    ran: step.runs.labels,
    losses: step.update.losses,
    trainingSteps: step.update.steps,
    validationRuns: step.update.validationRuns,
    testbedSeconds: set.durations.reduce((a, b) => a + b, 0),
    stopAgreement: step.stop.agreement,
    ...(step.tested ? { metrics: step.tested.metrics } : {}),
    ...(step.tested?.byAnomaly ? { metricsByAnomaly: step.tested.byAnomaly } : {}),
    wallSeconds: (Date.now() - step.started) / 1000,
    confidenceHistogram: histogram(minMaxConfidence(jobUncertainty(step.analysis, 'gradient'))),
    scoreNorm: Math.sqrt(gradientNorm.reduce((a, g) => a + g * g, 0) / Math.max(1, gradientNorm.length)),
    optionConfidence: step.selection.optionConfidence,
  };
}

function histogram(confidence: Float32Array): number[] {
  const bins = new Array<number>(10).fill(0);
  for (const c of confidence) {
    const bin = Math.min(9, Math.floor(c * 10));
    bins[bin] = (bins[bin] ?? 0) + 1;
  }
  return bins;
}
