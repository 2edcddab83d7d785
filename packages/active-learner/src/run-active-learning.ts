/*
 * Algorithm 1 of the active-learning paper (§3.3), with the burn-in branch the right way round (the printed algorithm
 * inverts it; the prose and the reference code query at random during burn-in, ml.md §5.3):
 *
 *   for k = 1..K:  Q_k = random if k <= burnIn (or a periodic random re-selection) else g(s_{k-1})
 *                  run the experiments of Q_k (ExperimentBackend) -> labelled traces
 *                  minimize H(w, Q_k) (Eq. 6) with `stepsPerIteration` optimizer steps, new batch + replay memory
 *                  s_k = per-job uncertainty of the labelled runs; stop when ||s_k|| <= threshold or the budget is spent
 *
 * Every iteration ends with a checkpoint (weights, optimizer state, RNG, backend pool, acquired runs, history) from
 * which `resume` continues bit for bit.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  createRng,
  type LongOperationOptions,
  ProteusError,
  type Rng,
  reportProgress,
  restoreRng,
  throwIfAborted,
  writeFileAtomic,
} from '@proteus-wf/core';
import { averagePrecision, precisionAtK, rocAuc } from '@proteus-wf/models';
import type { ExperimentBackend, LabelledRuns } from './experiment-backend.js';
import {
  type ExperimentRequest,
  requestLabel as requestLabelOf,
  writeExperimentRequests,
} from './experiment-requests.js';
import { embedCandidates } from './internal/embed-candidates.js';
import { createLearnerModel, type LearnerModel, type ModelState, type UpdateLosses } from './internal/learner-model.js';
import { defineGcn, defineSsl, type ModelDefinition, type RunBatch } from './internal/model-definitions.js';
import { decodeFloats, decodeWeights, encodeFloats, encodeWeights } from './internal/serialize.js';
import { type BanditObservation, createOptionBandit, surprise } from './option-bandit.js';
import {
  type JobAnalysis,
  jobUncertainty,
  minMaxConfidence,
  optionKey,
  perNodeRelative,
  type RunReduce,
  runUncertainty,
  STRATEGIES,
  type StrategyName,
  selectExperiments,
} from './strategies.js';
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
}

/** Options of {@link runActiveLearning}. */
export interface ActiveLearningOptions extends LongOperationOptions {
  backend: ExperimentBackend;
  /** `gcn` (supervised, default) or `ssl` (self-supervised). */
  model?: ActiveModelKind;
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
  /** Optimizer steps on H per iteration (default 10). */
  stepsPerIteration?: number;
  /** Runs drawn from the replay memory per step (default 8). */
  memoryRuns?: number;
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
}

/** The result of one active-learning run. */
export interface ActiveLearningResult {
  workflow: string;
  model: ActiveModelKind;
  strategy: StrategyName;
  seed: number;
  terms: ResolvedUpdateTerms;
  iterations: IterationRecord[];
  stopped: 'budget' | 'threshold';
  /** Final weights and optimizer state. */
  state: ModelState;
}

interface Acquired {
  runIds: string[];
  labels: string[];
  durations: number[];
  x: Float32Array[];
  jobBinary: Uint8Array[];
  jobLabels: string[][];
}

const FORMAT = 'proteus-al-checkpoint';
const DEFAULTS = {
  model: 'gcn' as ActiveModelKind,
  strategy: 'gradient' as StrategyName,
  iterations: 10,
  perIteration: 2,
  burnIn: 1,
  reselectEvery: 4,
  stepsPerIteration: 10,
  memoryRuns: 8,
  threshold: 0,
  lr: 5e-3,
  weightDecay: 1e-4,
  costWeight: 0,
  anomalousWorkers: 1,
  seed: 0,
  runSelection: 'random' as 'random' | 'uncertain',
  typeScore: 'labelled' as 'labelled' | 'pool',
  runReduce: 'top' as RunReduce,
  candidatesPerType: 64,
  classWeights: 'balanced' as 'none' | 'balanced',
};
const WHERE = 'active-learner/runActiveLearning';
const EVAL_BATCH = 32;

function invalid(message: string): ProteusError {
  return new ProteusError('PROTEUS_AL_INVALID_OPTION', `${WHERE}: ${message}`);
}

function integer(value: number, what: string, min: number): number {
  if (!(Number.isInteger(value) && value >= min))
    throw invalid(`${what} must be an integer >= ${min}, got ${String(value)}`);
  return value;
}

/** Builds the model definition for a backend's workflow. */
function defineModel(kind: ActiveModelKind, backend: ExperimentBackend, hidden?: number): ModelDefinition {
  const common = { features: backend.features, ...(hidden === undefined ? {} : { hidden }) };
  return kind === 'ssl' ? defineSsl(backend.graph, common) : defineGcn(backend.graph, common);
}

function batchOf(acquired: Acquired, indices: readonly number[], nodes: number, features: number): RunBatch {
  const x = new Float32Array(indices.length * nodes * features);
  const jobBinary = new Uint8Array(indices.length * nodes);
  indices.forEach((run, k) => {
    x.set(acquired.x[run] as Float32Array, k * nodes * features);
    jobBinary.set(acquired.jobBinary[run] as Uint8Array, k * nodes);
  });
  return { x, runs: indices.length, jobBinary };
}

async function analyzeAcquired(
  model: LearnerModel,
  acquired: Acquired,
  nodes: number,
  features: number,
): Promise<JobAnalysis> {
  const all = acquired.runIds.map((_, i) => i);
  const parts = [];
  for (let start = 0; start < all.length; start += EVAL_BATCH) {
    parts.push(await model.analyze(batchOf(acquired, all.slice(start, start + EVAL_BATCH), nodes, features)));
  }
  const concat = (arrays: Float32Array[]) => {
    const out = new Float32Array(arrays.reduce((n, a) => n + a.length, 0));
    let offset = 0;
    for (const a of arrays) {
      out.set(a, offset);
      offset += a.length;
    }
    return out;
  };
  const first = parts[0];
  return {
    nodes,
    jobLabels: acquired.jobLabels.flat(),
    runLabels: acquired.labels,
    probabilities: concat(parts.map((p) => p.probabilities)),
    groups: first?.groups ?? 1,
    classes: first?.classes ?? 2,
    gradientNorm: concat(parts.map((p) => p.gradientNorm)),
    embedding: concat(parts.map((p) => p.embedding)),
    embeddingWidth: first?.embeddingWidth ?? 0,
  };
}

/** Per-run uncertainty of the unlabelled candidate runs of every open option (pool-based emulation). */
async function scoreCandidates(
  model: LearnerModel,
  backend: ExperimentBackend,
  labels: readonly string[],
  settings: { strategy: StrategyName; normalize: 'node' | 'none'; reduce: RunReduce; limit: number; rng: Rng },
): Promise<Map<string, { runIds: string[]; uncertainty: Float32Array }>> {
  const { nodes, features } = backend;
  const ids: string[] = [];
  const owners: string[] = [];
  const parts: Float32Array[] = [];
  for (const label of labels) {
    const c = backend.candidates?.(label);
    if (!c || c.runs === 0) continue;
    let picked = c.runIds.map((_, i) => i);
    if (picked.length > settings.limit) picked = settings.rng.sample(picked, settings.limit).sort((a, b) => a - b);
    for (const i of picked) {
      ids.push(c.runIds[i] as string);
      owners.push(label);
      parts.push(c.x.subarray(i * nodes * features, (i + 1) * nodes * features));
    }
  }
  const uncertainty = new Float32Array(ids.length * nodes);
  for (let start = 0; start < ids.length; start += EVAL_BATCH) {
    const count = Math.min(EVAL_BATCH, ids.length - start);
    const x = new Float32Array(count * nodes * features);
    for (let k = 0; k < count; k++) x.set(parts[start + k] as Float32Array, k * nodes * features);
    // No labels before the run: the GCN's gradient is taken against its own prediction (expected-gradient style).
    const probe: RunBatch = { x, runs: count, jobBinary: new Uint8Array(count * nodes) };
    if (model.definition.kind === 'gcn') {
      const p = await model.score(probe);
      for (let j = 0; j < p.length; j++) probe.jobBinary[j] = (p[j] as number) >= 0.5 ? 1 : 0;
    }
    const a = await model.analyze(probe);
    const u = jobUncertainty(
      {
        nodes,
        jobLabels: new Array<string>(count * nodes).fill(''),
        probabilities: a.probabilities,
        groups: a.groups,
        classes: a.classes,
        gradientNorm: a.gradientNorm,
        embedding: a.embedding,
        embeddingWidth: a.embeddingWidth,
      },
      settings.strategy,
    );
    uncertainty.set(u, start * nodes);
  }
  const normalized = settings.normalize === 'node' ? perNodeRelative(uncertainty, nodes) : uncertainty;
  const perRun = runUncertainty(normalized, nodes, settings.reduce);
  const out = new Map<string, { runIds: string[]; scores: number[] }>();
  owners.forEach((label, r) => {
    const entry = out.get(label) ?? { runIds: [], scores: [] };
    entry.runIds.push(ids[r] as string);
    entry.scores.push(perRun[r] as number);
    out.set(label, entry);
  });
  return new Map(
    [...out].map(([label, { runIds, scores }]) => {
      const order = runIds.map((_, i) => i).sort((a, b) => (scores[b] as number) - (scores[a] as number) || a - b);
      return [
        label,
        {
          runIds: order.map((i) => runIds[i] as string),
          uncertainty: Float32Array.from(order.map((i) => scores[i] as number)),
        },
      ];
    }),
  );
}

async function evaluate(
  model: LearnerModel,
  set: EvaluationSet,
  nodes: number,
  features: number,
): Promise<{ metrics: IterationMetrics; byAnomaly?: Record<string, IterationMetrics> }> {
  const scores = new Float32Array(set.runs * nodes);
  for (let start = 0; start < set.runs; start += EVAL_BATCH) {
    const count = Math.min(EVAL_BATCH, set.runs - start);
    const batch: RunBatch = {
      x: set.x.subarray(start * nodes * features, (start + count) * nodes * features),
      runs: count,
      jobBinary: set.jobBinary.subarray(start * nodes, (start + count) * nodes),
    };
    scores.set(await model.score(batch), start * nodes);
  }
  const metricsOf = (labels: Uint8Array, values: Float32Array): IterationMetrics => ({
    rocAuc: rocAuc(labels, values),
    averagePrecision: averagePrecision(labels, values),
    precisionAtK: precisionAtK(labels, values),
  });
  const metrics = metricsOf(set.jobBinary, scores);
  if (!set.jobLabels) return { metrics };
  const labels = set.jobLabels;
  const types = [...new Set(labels.filter((_, j) => set.jobBinary[j] === 1))].sort();
  const byAnomaly: Record<string, IterationMetrics> = {};
  for (const type of types) {
    const keep = labels.map((label, j) => set.jobBinary[j] === 0 || label === type);
    const count = keep.filter(Boolean).length;
    const binary = new Uint8Array(count);
    const values = new Float32Array(count);
    let i = 0;
    keep.forEach((kept, j) => {
      if (!kept) return;
      binary[i] = set.jobBinary[j] as number;
      values[i++] = scores[j] as number;
    });
    if (binary.includes(0)) byAnomaly[type] = metricsOf(binary, values);
  }
  return { metrics, byAnomaly };
}

/** `n / (2 n_c)` per class over the labelled jobs (1 and 1 while a class is missing). */
function balancedWeights(jobBinary: readonly Uint8Array[]): [number, number] {
  let positives = 0;
  let total = 0;
  for (const run of jobBinary) {
    total += run.length;
    for (const b of run) if (b > 0) positives++;
  }
  const negatives = total - positives;
  return positives === 0 || negatives === 0 ? [1, 1] : [total / (2 * negatives), total / (2 * positives)];
}

function meanDurations(acquired: Acquired): Record<string, number> {
  const sums = new Map<string, [number, number]>();
  acquired.labels.forEach((label, i) => {
    const s = sums.get(label) ?? [0, 0];
    s[0] += acquired.durations[i] as number;
    s[1]++;
    sums.set(label, s);
  });
  return Object.fromEntries([...sums].map(([label, [sum, count]]) => [label, sum / count]));
}

function histogram(confidence: Float32Array): number[] {
  const bins = new Array<number>(10).fill(0);
  for (const c of confidence) {
    const bin = Math.min(9, Math.floor(c * 10));
    bins[bin] = (bins[bin] ?? 0) + 1;
  }
  return bins;
}

function meanLosses(all: UpdateLosses[]): UpdateLosses {
  const keys = ['h', 'newBatch', 'memory', 'finiteDifference', 'inputSensitivity'] as const;
  const out = { h: 0, newBatch: 0, memory: 0, finiteDifference: 0, inputSensitivity: 0 };
  for (const key of keys) out[key] = all.reduce((s, l) => s + l[key], 0) / Math.max(1, all.length);
  return out;
}

interface Checkpoint {
  format: typeof FORMAT;
  version: 1;
  fingerprint: Record<string, unknown>;
  iteration: number;
  stopped: 'budget' | 'threshold' | null;
  model: { weights: ReturnType<typeof encodeWeights>; optimizer: Record<string, string>; step: number };
  rng: ReturnType<Rng['save']>;
  backend: unknown;
  acquired: {
    runIds: string[];
    labels: string[];
    durations: number[];
    x: string[];
    jobBinary: string[];
    jobLabels: string[][];
  };
  history: IterationRecord[];
  /** The `bandit` strategy's observations. */
  bandit?: BanditObservation[];
}

async function readCheckpoint(path: string): Promise<Checkpoint | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const parsed = JSON.parse(text) as Checkpoint;
    if (parsed.format !== FORMAT || parsed.version !== 1)
      throw new Error(`format ${String(parsed.format)} v${String(parsed.version)}`);
    return parsed;
  } catch (cause) {
    throw new ProteusError(
      'PROTEUS_AL_CHECKPOINT_INVALID',
      `${WHERE}: ${path} is not an active-learning checkpoint (${(cause as Error).message}); delete it or drop --resume`,
      {
        cause,
      },
    );
  }
}

/**
 * Runs Algorithm 1 for one strategy and seed against an experiment backend.
 * @example
 * const backend = createEmulationBackend(dataset, { seed: 0 });
 * const result = await runActiveLearning({ backend, evaluation: backend.testSet(), iterations: 10 });
 * result.iterations.at(-1)?.metrics?.rocAuc;
 * @throws ProteusError PROTEUS_AL_INVALID_OPTION for a bad count, strategy or model
 * @throws ProteusError PROTEUS_AL_TEST_LEAK when a held-out run reaches the training data or the replay memory
 * @throws ProteusError PROTEUS_AL_CHECKPOINT_INVALID when `resume` finds a checkpoint of other settings
 * @throws ProteusError PROTEUS_AL_POOL_EXHAUSTED, PROTEUS_AL_NON_FINITE_LOSS, PROTEUS_CORE_ABORTED
 */
export async function runActiveLearning(options: ActiveLearningOptions): Promise<ActiveLearningResult> {
  const backend = options.backend;
  const kind = options.model ?? DEFAULTS.model;
  if (kind !== 'gcn' && kind !== 'ssl') throw invalid(`model must be "gcn" or "ssl", got ${JSON.stringify(kind)}`);
  const strategy = options.strategy ?? DEFAULTS.strategy;
  if (!STRATEGIES.includes(strategy))
    throw invalid(`unknown strategy ${JSON.stringify(strategy)}; choose one of ${STRATEGIES.join(', ')}`);
  const iterations = integer(options.iterations ?? DEFAULTS.iterations, 'iterations', 1);
  const perIteration = integer(options.perIteration ?? DEFAULTS.perIteration, 'perIteration', 1);
  const burnIn = integer(options.burnIn ?? DEFAULTS.burnIn, 'burnIn', 0);
  const reselectEvery = integer(options.reselectEvery ?? DEFAULTS.reselectEvery, 'reselectEvery', 0);
  const steps = integer(options.stepsPerIteration ?? DEFAULTS.stepsPerIteration, 'stepsPerIteration', 1);
  const memoryRuns = integer(options.memoryRuns ?? DEFAULTS.memoryRuns, 'memoryRuns', 1);
  const seed = options.seed ?? DEFAULTS.seed;
  const runSelection = options.runSelection ?? DEFAULTS.runSelection;
  const typeScore = options.typeScore ?? DEFAULTS.typeScore;
  const runReduce = options.runReduce ?? DEFAULTS.runReduce;
  if (!['random', 'uncertain'].includes(runSelection))
    throw invalid(`runSelection must be "random" or "uncertain", got ${JSON.stringify(runSelection)}`);
  if (!['labelled', 'pool'].includes(typeScore))
    throw invalid(`typeScore must be "labelled" or "pool", got ${JSON.stringify(typeScore)}`);
  if (!['mean', 'max', 'top'].includes(runReduce))
    throw invalid(`runReduce must be "mean", "max" or "top", got ${JSON.stringify(runReduce)}`);
  const candidatesPerType = integer(options.candidatesPerType ?? DEFAULTS.candidatesPerType, 'candidatesPerType', 1);
  const classWeights = options.classWeights ?? DEFAULTS.classWeights;
  if (!['none', 'balanced'].includes(classWeights))
    throw invalid(`classWeights must be "none" or "balanced", got ${JSON.stringify(classWeights)}`);
  const poolBased = runSelection === 'uncertain' || typeScore === 'pool';
  if (poolBased && !backend.candidates)
    throw invalid(
      `runSelection "uncertain" and typeScore "pool" need a backend that lists its candidate runs (the emulation); ${backend.workflow}'s backend does not`,
    );
  const threshold = options.threshold ?? DEFAULTS.threshold;
  if (!(threshold >= 0)) throw invalid(`threshold must be >= 0, got ${String(threshold)}`);
  const terms = defineUpdateTerms(options.terms);
  const lr = options.optimizer?.lr ?? DEFAULTS.lr;
  const weightDecay = options.optimizer?.weightDecay ?? DEFAULTS.weightDecay;
  if (!(lr > 0 && Number.isFinite(lr)) || !(weightDecay >= 0))
    throw invalid(`optimizer lr must be > 0 and weightDecay >= 0, got ${lr} and ${weightDecay}`);
  const nodes = backend.nodes;
  const features = backend.features;
  const def = defineModel(kind, backend, options.hidden);
  if (options.evaluation) {
    const labels = options.evaluation.jobLabels;
    if (labels && labels.length !== options.evaluation.jobBinary.length)
      throw invalid(
        `evaluation.jobLabels has ${labels.length} labels for ${options.evaluation.jobBinary.length} jobs; give one per job`,
      );
    for (const id of options.evaluation.runIds) {
      if (backend.isHeldOut && !backend.isHeldOut(id)) {
        throw new ProteusError(
          'PROTEUS_AL_TEST_LEAK',
          `${WHERE}: evaluation run ${id} is not held out by the backend, so it may also be trained on`,
        );
      }
    }
  }
  const heldOutIds = new Set(options.evaluation?.runIds ?? []);
  const assertTrainable = (ids: readonly string[], where: string) => {
    for (const id of ids) {
      if (heldOutIds.has(id) || backend.isHeldOut?.(id)) {
        throw new ProteusError(
          'PROTEUS_AL_TEST_LEAK',
          `${WHERE}: held-out test run ${id} reached the ${where}; test runs must never be trained on`,
        );
      }
    }
  };
  const fingerprint = {
    workflow: backend.workflow,
    kind,
    strategy,
    seed,
    iterations,
    perIteration,
    burnIn,
    reselectEvery,
    steps,
    memoryRuns,
    terms,
    lr,
    weightDecay,
    hidden: options.hidden ?? null,
    costWeight: options.costWeight ?? 0,
    normalize: options.normalize ?? 'node',
    runSelection,
    typeScore,
    runReduce,
    candidatesPerType,
    classWeights,
  };

  let rng = createRng(seed);
  const initRng = rng.fork();
  let iteration = 0;
  let history: IterationRecord[] = [];
  let stopped: 'budget' | 'threshold' | null = null;
  const acquired: Acquired = { runIds: [], labels: [], durations: [], x: [], jobBinary: [], jobLabels: [] };
  const bandit = strategy === 'bandit' ? createOptionBandit() : undefined;
  const model = await createLearnerModel(def, {
    terms,
    optimizer: { kind: 'adamw', lr, weightDecay, beta1: 0.9, beta2: 0.999, eps: 1e-8 },
    weights: def.init(initRng),
    threads: options.threads ?? 1,
  });
  try {
    const saved = options.resume && options.checkpoint ? await readCheckpoint(options.checkpoint) : undefined;
    if (saved) {
      if (JSON.stringify(saved.fingerprint) !== JSON.stringify(fingerprint)) {
        throw new ProteusError(
          'PROTEUS_AL_CHECKPOINT_INVALID',
          `${WHERE}: ${options.checkpoint} was written with other settings; drop --resume or use another --out`,
          {
            details: { saved: saved.fingerprint, requested: fingerprint },
          },
        );
      }
      iteration = saved.iteration;
      history = saved.history;
      stopped = saved.stopped;
      rng = restoreRng(saved.rng);
      backend.restore(saved.backend);
      model.loadState({
        weights: decodeWeights(saved.model.weights),
        optimizer: Object.fromEntries(Object.entries(saved.model.optimizer).map(([k, v]) => [k, decodeFloats(v)])),
        step: saved.model.step,
      });
      acquired.runIds = saved.acquired.runIds;
      acquired.labels = saved.acquired.labels;
      acquired.durations = saved.acquired.durations;
      acquired.x = saved.acquired.x.map(decodeFloats);
      acquired.jobBinary = saved.acquired.jobBinary.map((b) => new Uint8Array(Buffer.from(b, 'base64')));
      acquired.jobLabels = saved.acquired.jobLabels;
      if (bandit) bandit.restore(saved.bandit ?? []);
      assertTrainable(acquired.runIds, 'checkpoint');
    }
    let analysis = acquired.runIds.length > 0 ? await analyzeAcquired(model, acquired, nodes, features) : undefined;

    while (iteration < iterations && stopped === null) {
      throwIfAborted(options.signal, WHERE);
      const iterationStarted = Date.now();
      const k = iteration + 1;
      // Burn-in queries at random; afterwards Q_k = g(s_{k-1}), with a periodic random re-selection.
      const random = k <= burnIn || (reselectEvery > 0 && k > burnIn && (k - burnIn) % reselectEvery === 0);
      const durations = meanDurations(acquired);
      const open = backend.options().filter((o) => o.available === undefined || o.available > 0);
      const scored =
        poolBased && !random && analysis && strategy !== 'random'
          ? await scoreCandidates(model, backend, open.map(optionKey), {
              strategy,
              normalize: options.normalize ?? 'node',
              reduce: runReduce,
              limit: candidatesPerType,
              rng,
            })
          : undefined;
      // A type's pool uncertainty: the mean over the runs a query of it would replay (its most uncertain ones).
      const optionUncertainty = bandit
        ? random
          ? undefined
          : bandit.values(open)
        : scored && typeScore === 'pool'
          ? Object.fromEntries(
              [...scored].map(([label, c]) => {
                const top = c.uncertainty.subarray(0, perIteration);
                return [label, top.reduce((a, b) => a + b, 0) / Math.max(1, top.length)];
              }),
            )
          : undefined;
      const selection = selectExperiments(
        {
          workflow: backend.workflow,
          options: backend.options(),
          jobNames: backend.jobNames,
          ...(analysis ? { analysis } : {}),
          durations,
          ...(optionUncertainty ? { optionUncertainty } : {}),
          ...(strategy === 'badge' && !random && analysis && backend.candidates
            ? {
                candidates: await embedCandidates(model, backend, open.map(optionKey), {
                  limit: candidatesPerType,
                  rng,
                }),
              }
            : {}),
        },
        {
          strategy,
          runs: perIteration,
          rng,
          random,
          ...(options.anomalousWorkers === undefined ? {} : { anomalousWorkers: options.anomalousWorkers }),
          costWeight: options.costWeight ?? DEFAULTS.costWeight,
          normalize: options.normalize ?? 'node',
        },
      );
      if (scored && runSelection === 'uncertain') {
        for (const request of selection.requests) {
          const c = scored.get(
            typeof request.hints?.option === 'string' ? request.hints.option : requestLabelOf(request),
          );
          if (c) request.hints = { ...request.hints, runIds: c.runIds.slice(0, request.runs) };
        }
      }
      const file = { id: `al-${strategy}-s${seed}-k${String(k).padStart(4, '0')}`, requests: selection.requests };
      if (options.requestsDir)
        await writeExperimentRequests(file, join(options.requestsDir, `iter-${String(k).padStart(4, '0')}.json`));
      const runs: LabelledRuns = await backend.runExperiments(file, options.signal ? { signal: options.signal } : {});
      assertTrainable(runs.runIds, 'training data');
      const memory = acquired.runIds.map((_, i) => i);
      const fresh: number[] = [];
      runs.runIds.forEach((id, r) => {
        fresh.push(acquired.runIds.length);
        acquired.runIds.push(id);
        acquired.labels.push(runs.labels[r] as string);
        acquired.durations.push(runs.durations[r] as number);
        acquired.x.push(runs.x.slice(r * nodes * features, (r + 1) * nodes * features));
        acquired.jobBinary.push(runs.jobBinary.slice(r * nodes, (r + 1) * nodes));
        acquired.jobLabels.push(runs.jobLabels.slice(r * nodes, (r + 1) * nodes));
      });
      // The replay memory holds only acquired (pool) runs; assert it again where the batch is built.
      assertTrainable(
        memory.map((i) => acquired.runIds[i] as string),
        'replay memory',
      );
      if (bandit) {
        // What each new run teaches: the model's error on it before it is trained on it.
        const before = await model.score(batchOf(acquired, fresh, nodes, features));
        fresh.forEach((run, r) => {
          bandit.observe({
            key: runs.optionKeys?.[r] ?? (runs.labels[r] as string),
            taught: surprise(before.subarray(r * nodes, (r + 1) * nodes), acquired.jobBinary[run] as Uint8Array),
            seconds: runs.durations[r] ?? 0,
          });
        });
      }
      const weight = classWeights === 'balanced' ? balancedWeights(acquired.jobBinary) : undefined;
      const newBatch = { ...batchOf(acquired, fresh, nodes, features), ...(weight ? { classWeight: weight } : {}) };
      const losses: UpdateLosses[] = [];
      for (let step = 0; step < steps; step++) {
        throwIfAborted(options.signal, WHERE);
        const drawn = memory.length === 0 ? fresh : rng.sample(memory, Math.min(memoryRuns, memory.length));
        const memoryBatch = batchOf(acquired, drawn, nodes, features);
        if (weight) memoryBatch.classWeight = weight;
        losses.push(await model.update(newBatch, memoryBatch, rng));
      }
      analysis = await analyzeAcquired(model, acquired, nodes, features);
      const gradientConfidence = minMaxConfidence(jobUncertainty(analysis, 'gradient'));
      let squares = 0;
      for (const g of analysis.gradientNorm) squares += g * g;
      const scoreNorm = Math.sqrt(squares / Math.max(1, analysis.gradientNorm.length));
      const record: IterationRecord = {
        iteration: k,
        samples: acquired.runIds.length,
        random: selection.random,
        requests: selection.requests,
        ran: runs.labels,
        losses: meanLosses(losses),
        confidenceHistogram: histogram(gradientConfidence),
        scoreNorm,
        optionConfidence: selection.optionConfidence,
      };
      if (options.evaluation) {
        const evaluated = await evaluate(model, options.evaluation, nodes, features);
        record.metrics = evaluated.metrics;
        if (evaluated.byAnomaly) record.metricsByAnomaly = evaluated.byAnomaly;
      }
      record.wallSeconds = (Date.now() - iterationStarted) / 1000;
      history.push(record);
      iteration = k;
      if (threshold > 0 && scoreNorm <= threshold) stopped = 'threshold';
      if (options.checkpoint) {
        const state = model.saveState();
        const checkpoint: Checkpoint = {
          format: FORMAT,
          version: 1,
          fingerprint,
          iteration,
          stopped: stopped ?? (iteration >= iterations ? 'budget' : null),
          model: {
            weights: encodeWeights(state.weights),
            optimizer: Object.fromEntries(Object.entries(state.optimizer).map(([name, v]) => [name, encodeFloats(v)])),
            step: state.step,
          },
          rng: rng.save(),
          backend: backend.save(),
          acquired: {
            runIds: acquired.runIds,
            labels: acquired.labels,
            durations: acquired.durations,
            x: acquired.x.map(encodeFloats),
            jobBinary: acquired.jobBinary.map((b) => Buffer.from(b).toString('base64')),
            jobLabels: acquired.jobLabels,
          },
          history,
          ...(bandit ? { bandit: bandit.save() } : {}),
        };
        await writeFileAtomic(options.checkpoint, JSON.stringify(checkpoint));
      }
      reportProgress(options.onProgress, {
        phase: 'iteration',
        ratio: iteration / iterations,
        message: `iteration ${iteration}/${iterations}: ${runs.labels.join(', ')}`,
        data: { iteration, samples: record.samples, ...(record.metrics ? { rocAuc: record.metrics.rocAuc } : {}) },
      });
    }
    return {
      workflow: backend.workflow,
      model: kind,
      strategy,
      seed,
      terms,
      iterations: history,
      stopped: stopped ?? 'budget',
      state: model.saveState(),
    };
  } finally {
    await model.release();
  }
}
