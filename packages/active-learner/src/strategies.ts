/*
 * Query strategies: which run configurations (experiment options) to run next. An option is a run configuration
 * (anomaly type x level x anomalous workers and their placement x target jobs, `ExperimentOption`), never a job label:
 * a labelled run's uncertainty counts for the option that produced it, a batch spreads over options, random queries
 * follow a balanced design, and the uncertainty rules name the jobs they doubt as the option's target jobs.
 * Reference: active-learning paper §3.2 (s_k = dH/dQ_k, "gradient"), §4.4 (lowest-confidence anomaly type, one type
 * per batch); Settles, "Active Learning Literature Survey" (2009) §3.1 (entropy, least confidence, margin); Sener &
 * Savarese, ICLR 2018 (k-center greedy core-sets, "diversity").
 */
import { ProteusError, type Rng } from '@proteus-wf/core';
import type { AnomalyReach, ExperimentOption } from './experiment-backend.js';
import type { ExperimentRequest } from './experiment-requests.js';

/** Names of the query strategies. */
export type StrategyName =
  | 'gradient'
  | 'entropy'
  | 'least-confidence'
  | 'margin'
  | 'random'
  | 'diversity'
  | 'balanced'
  | 'bandit'
  | 'badge';

/** Every strategy, default first. */
export const STRATEGIES: readonly StrategyName[] = [
  'gradient',
  'entropy',
  'least-confidence',
  'margin',
  'random',
  'diversity',
  'balanced',
  'bandit',
  'badge',
];

/** Strategies that use the model (the rest, `random` and `balanced`, are designs). */
export const MODEL_DRIVEN: readonly StrategyName[] = [
  'gradient',
  'entropy',
  'least-confidence',
  'margin',
  'diversity',
  'bandit',
  'badge',
];

/** What a model said about the labelled runs: the input of every strategy but `random`. */
export interface JobAnalysis {
  /** Jobs per run. */
  nodes: number;
  /** Label of each labelled job `[runs * N]` (`normal` or the anomaly). */
  jobLabels: readonly string[];
  /** Label of each labelled run (the experiment that produced it). */
  runLabels?: readonly string[];
  /** Option key of each labelled run (`cpu_2@many`); default: derived from its label and the share of its anomalous jobs. */
  runOptions?: readonly string[];
  /** `[runs, N, G, C]` per-job distributions (GCN: G = 1 and C = 2 classes; SSL: the latent groups). */
  probabilities: Float32Array;
  groups: number;
  classes: number;
  /** L2 norm of d loss / d x per job. */
  gradientNorm: Float32Array;
  /** `[runs, N, H]`. */
  embedding: Float32Array;
  embeddingWidth: number;
}

/**
 * Per-job uncertainty (higher = less confident) under a strategy.
 * @example const u = jobUncertainty(analysis, 'entropy');
 */
export function jobUncertainty(analysis: JobAnalysis, strategy: StrategyName): Float32Array {
  const jobs = analysis.jobLabels.length;
  const out = new Float32Array(jobs);
  if (strategy !== 'entropy' && strategy !== 'least-confidence' && strategy !== 'margin')
    return Float32Array.from(analysis.gradientNorm);
  const { groups, classes, probabilities } = analysis;
  for (let job = 0; job < jobs; job++) {
    let total = 0;
    for (let group = 0; group < groups; group++) {
      const base = (job * groups + group) * classes;
      let first = 0;
      let second = 0;
      let entropy = 0;
      for (let c = 0; c < classes; c++) {
        const p = probabilities[base + c] as number;
        if (p > 0) entropy -= p * Math.log(p);
        if (p > first) {
          second = first;
          first = p;
        } else if (p > second) second = p;
      }
      total +=
        strategy === 'entropy'
          ? entropy / Math.log(classes)
          : strategy === 'least-confidence'
            ? 1 - first
            : 1 - (first - second);
    }
    out[job] = total / groups;
  }
  return out;
}

/**
 * Confidence in [0, 1] (1 = confident): `1 - (u - min) / (max - min)` over the given jobs, as in the paper's Fig. 8.
 * @example minMaxConfidence(Float32Array.of(0, 1, 2)) // [1, 0.5, 0]
 */
export function minMaxConfidence(uncertainty: Float32Array): Float32Array {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const u of uncertainty) {
    if (u < min) min = u;
    if (u > max) max = u;
  }
  const spread = max - min;
  return uncertainty.map((u) => (spread > 0 ? 1 - (u - min) / spread : 1));
}

/** Share bounds of the reach buckets: `few` below the first (the anomaly touches almost no jobs), `many` from the second. */
export const REACH_BOUNDS: readonly [number, number] = [0.1, 0.3];

/**
 * The reach bucket of a run from the share of its jobs that ran on an anomalous worker.
 * @example reachOf(0.05) // 'few'
 */
export function reachOf(share: number): AnomalyReach {
  if (!(share > 0)) return 'none';
  return share < REACH_BOUNDS[0] ? 'few' : share < REACH_BOUNDS[1] ? 'some' : 'many';
}

/**
 * The key that tells options apart: `key` when set, else the label, suffixed by the reach when it is not `none`.
 * @example optionKey({ label: 'cpu_2', reach: 'many' }) // 'cpu_2@many'
 */
export function optionKey(option: Pick<ExperimentOption, 'label' | 'key' | 'reach'>): string {
  if (option.key !== undefined) return option.key;
  return option.reach === undefined || option.reach === 'none' ? option.label : `${option.label}@${option.reach}`;
}

/**
 * The option each labelled run came from: `analysis.runOptions`, else its label and reach when the options tell reach
 * apart, else its label. The label comes from `runLabels`, else from its anomalous jobs; never from a single job.
 * @example runOptionKeys(analysis, backend.options()) // ['normal', 'cpu_2@many', ...]
 */
export function runOptionKeys(analysis: JobAnalysis, options: readonly ExperimentOption[]): string[] {
  const runs = Math.floor(analysis.jobLabels.length / analysis.nodes);
  if (analysis.runOptions && analysis.runOptions.length === runs) return analysis.runOptions.slice();
  const keys = new Set(options.map(optionKey));
  return Array.from({ length: runs }, (_, r) => {
    let anomalous = 0;
    let seen = 'normal';
    for (let j = r * analysis.nodes; j < (r + 1) * analysis.nodes; j++) {
      const label = analysis.jobLabels[j] as string;
      if (label !== 'normal') {
        anomalous++;
        seen = label;
      }
    }
    const label = analysis.runLabels?.[r] ?? seen;
    const withReach = optionKey({ label, reach: reachOf(anomalous / analysis.nodes) });
    return keys.has(withReach) || !keys.has(label) ? withReach : label;
  });
}

/** Inputs of {@link selectExperiments}. */
export interface SelectExperimentsInput {
  workflow: string;
  options: readonly ExperimentOption[];
  /** Job names in node order (for hints). */
  jobNames: readonly string[];
  /** The model's view of the labelled runs; absent before the first update. */
  analysis?: JobAnalysis;
  /** Mean wall time (s) of the runs seen per option label, for the cost-aware weighting. */
  durations?: Readonly<Record<string, number>>;
  /**
   * A value per option key (or label) computed elsewhere: what a new run of it is expected to teach (the bandit's
   * `values`, or pool-based uncertainty of the unlabelled candidate runs); replaces the scores of the labelled runs.
   */
  optionUncertainty?: Readonly<Record<string, number>>;
  /** Pool runs a `badge` query chooses among (pool-based emulation): their option and gradient embedding. */
  candidates?: readonly CandidateEmbedding[];
}

/** A candidate pool run for BADGE: its option key, run id and gradient embedding (see `gradientEmbeddings`). */
export interface CandidateEmbedding {
  key: string;
  runId: string;
  embedding: Float32Array;
}

/** Options of {@link selectExperiments}. */
export interface SelectExperimentsOptions {
  strategy: StrategyName;
  /** Runs to request. */
  runs: number;
  rng: Rng;
  /** Query by design, not by the model (burn-in, or the periodic re-selection): a balanced design. */
  random?: boolean;
  /** Workers that get the anomaly when the option does not say (default 1). */
  anomalousWorkers?: number;
  /** Least-confident jobs named in each request's hints, which become its target jobs (default 5). */
  hints?: number;
  /**
   * `node` (default): divide each job's uncertainty by the mean of the same DAG node over the labelled runs before
   * ranking, so jobs whose gradients are structurally large (auxiliary stage-in jobs, which never run on an anomalous
   * worker) do not decide the query; `none`: raw values.
   */
  normalize?: 'node' | 'none';
  /** Divide each option's value by (expected seconds / mean seconds)^costWeight (default 0: off). */
  costWeight?: number;
  /** Most runs of one option in a batch (default: the batch spread evenly, ceil(runs / open options)). */
  maxPerOption?: number;
}

/** A selection: the requests and each option's mean confidence (1 = confident) under the strategy. */
export interface Selection {
  requests: ExperimentRequest[];
  random: boolean;
  optionConfidence: Record<string, number>;
}

const DEFAULTS = {
  anomalousWorkers: 1,
  hints: 5,
  costWeight: 0,
  normalize: 'node' as 'node' | 'none',
};

function requestFor(
  workflow: string,
  option: ExperimentOption,
  runs: number,
  anomalousWorkers: number,
): ExperimentRequest {
  const key = optionKey(option);
  return {
    workflow,
    anomaly: option.anomaly,
    ...(option.level === undefined ? {} : { level: option.level }),
    anomalousWorkers: option.label === 'normal' ? 0 : (option.anomalousWorkers ?? anomalousWorkers),
    runs,
    ...(key !== option.label || option.targetJobs
      ? {
          hints: {
            ...(key !== option.label ? { option: key } : {}),
            ...(option.reach ? { reach: option.reach } : {}),
            ...(option.targetJobs ? { jobs: option.targetJobs.slice() } : {}),
          },
        }
      : {}),
  };
}

/** Least-confident DAG nodes over the runs of one option (of its label when none ran yet; all runs otherwise). */
function targetJobs(
  key: string,
  label: string,
  runKeys: readonly string[],
  runLabels: readonly string[],
  analysis: JobAnalysis,
  confidence: Float32Array,
  count: number,
): { jobs: number[]; confidence: number[] } {
  let runs = runKeys.flatMap((k, r) => (k === key ? [r] : []));
  if (runs.length === 0) runs = runLabels.flatMap((l, r) => (l === label ? [r] : []));
  if (runs.length === 0) runs = runKeys.map((_, r) => r);
  const best = new Map<number, number>();
  for (const r of runs) {
    for (let node = 0; node < analysis.nodes; node++) {
      const c = confidence[r * analysis.nodes + node] as number;
      if (c < (best.get(node) ?? Number.POSITIVE_INFINITY)) best.set(node, c);
    }
  }
  const least = [...best.entries()].sort((a, b) => a[1] - b[1] || a[0] - b[0]).slice(0, count);
  return { jobs: least.map(([node]) => node), confidence: least.map(([, c]) => Math.round(c * 1e4) / 1e4) };
}

/**
 * Fills a batch of `runs` from options in order of preference, spread out: first one run per anomaly type and level
 * (label), then one per option, then round after round, never more than `cap` runs of one option.
 */
function spreadBatch(ranked: readonly ExperimentOption[], runs: number, cap: number): Map<ExperimentOption, number> {
  const out = new Map<ExperimentOption, number>();
  const left = (o: ExperimentOption) => (o.available ?? Number.POSITIVE_INFINITY) - (out.get(o) ?? 0);
  let remaining = runs;
  const take = (o: ExperimentOption) => {
    out.set(o, (out.get(o) ?? 0) + 1);
    remaining--;
  };
  const labels = new Set<string>();
  for (const o of ranked) {
    if (remaining === 0) break;
    if (labels.has(o.label) || left(o) <= 0) continue;
    labels.add(o.label);
    take(o);
  }
  for (let round = 0; remaining > 0; round++) {
    let took = false;
    for (const o of ranked) {
      if (remaining === 0) break;
      if (left(o) <= 0 || (out.get(o) ?? 0) > round || (out.get(o) ?? 0) >= cap) continue;
      take(o);
      took = true;
    }
    if (!took) {
      if (cap >= runs) break;
      cap = runs; // every option is at its cap: lift it rather than return a short batch
    }
  }
  return out;
}

/**
 * A balanced design: each run goes to the anomaly type and level with the fewest labelled runs so far (ties at
 * random), and within it to the option (reach) with the fewest, weighted by what the backend can still run.
 */
function balancedDesign(
  open: readonly ExperimentOption[],
  runs: number,
  labelledKeys: readonly string[],
  labelledLabels: readonly string[],
  rng: Rng,
): Map<ExperimentOption, number> {
  const byLabel = new Map<string, number>();
  const byKey = new Map<string, number>();
  for (const l of labelledLabels) byLabel.set(l, (byLabel.get(l) ?? 0) + 1);
  for (const k of labelledKeys) byKey.set(k, (byKey.get(k) ?? 0) + 1);
  const out = new Map<ExperimentOption, number>();
  const left = (o: ExperimentOption) => (o.available ?? Number.POSITIVE_INFINITY) - (out.get(o) ?? 0);
  for (let k = 0; k < runs; k++) {
    let pool = open.filter((o) => left(o) > 0);
    if (pool.length === 0) pool = open.slice();
    const fewest = Math.min(...pool.map((o) => byLabel.get(o.label) ?? 0));
    const labels = [...new Set(pool.filter((o) => (byLabel.get(o.label) ?? 0) === fewest).map((o) => o.label))];
    const label = labels[rng.int(0, labels.length - 1)] as string;
    const variants = pool.filter((o) => o.label === label);
    const least = Math.min(...variants.map((o) => byKey.get(optionKey(o)) ?? 0));
    const pick = weightedPick(
      variants.filter((o) => (byKey.get(optionKey(o)) ?? 0) === least),
      (o) => (Number.isFinite(left(o)) ? left(o) : 1),
      rng,
    );
    out.set(pick, (out.get(pick) ?? 0) + 1);
    byLabel.set(label, (byLabel.get(label) ?? 0) + 1);
    byKey.set(optionKey(pick), (byKey.get(optionKey(pick)) ?? 0) + 1);
  }
  return out;
}

function weightedPick<T>(items: readonly T[], weight: (item: T) => number, rng: Rng): T {
  const total = items.reduce((sum, item) => sum + weight(item), 0);
  let ticket = rng.float() * total;
  for (const item of items) {
    ticket -= weight(item);
    if (ticket < 0) return item;
  }
  return items[items.length - 1] as T;
}

/**
 * Chooses the next experiments (Q_k = g(s_{k-1})). Model-driven rules give each option (run configuration) a value,
 * and the batch is spread over options in the order of their values (never one anomaly type for the whole batch):
 * the uncertainty rules (`gradient`, `entropy`, `least-confidence`, `margin`) value an option by the uncertainty of
 * the runs it produced, `diversity` by uncertainty-weighted k-center anchors over run embeddings, `bandit` by the
 * values given in `optionUncertainty` (see `createOptionBandit`), `badge` picks pool runs by k-means++ over their
 * gradient embeddings (`candidates`; else over the labelled runs). Design-driven queries (`random: true`, no analysis
 * yet, or `balanced`) follow a balanced design; `random` draws in proportion to what the backend can still run.
 * The least confident jobs of an option become its target jobs (`hints.jobs`), which the backends act on.
 * @example
 * const { requests } = selectExperiments({ workflow, options: backend.options(), jobNames, analysis }, { strategy: 'gradient', runs: 2, rng });
 * @throws ProteusError PROTEUS_AL_INVALID_OPTION for an unknown strategy or runs < 1
 * @throws ProteusError PROTEUS_AL_POOL_EXHAUSTED when no option is left to run
 */
export function selectExperiments(input: SelectExperimentsInput, options: SelectExperimentsOptions): Selection {
  const where = 'active-learner/selectExperiments';
  if (!STRATEGIES.includes(options.strategy)) {
    throw new ProteusError(
      'PROTEUS_AL_INVALID_OPTION',
      `${where}: unknown strategy ${JSON.stringify(options.strategy)}; choose one of ${STRATEGIES.join(', ')}`,
    );
  }
  if (!(Number.isInteger(options.runs) && options.runs >= 1)) {
    throw new ProteusError(
      'PROTEUS_AL_INVALID_OPTION',
      `${where}: runs must be an integer >= 1, got ${String(options.runs)}`,
    );
  }
  const open = input.options.filter((o) => o.available === undefined || o.available > 0);
  if (open.length === 0)
    throw new ProteusError('PROTEUS_AL_POOL_EXHAUSTED', `${where}: the backend has no experiment left to run`);
  const anomalousWorkers = options.anomalousWorkers ?? DEFAULTS.anomalousWorkers;
  const hintCount = options.hints ?? DEFAULTS.hints;
  const analysis = input.analysis;
  const runKeys = analysis ? runOptionKeys(analysis, input.options) : [];
  const runLabels = analysis ? runKeys.map((key, r) => analysis.runLabels?.[r] ?? (key.split('@')[0] as string)) : [];
  const strategy = options.strategy;
  const finish = (
    batch: Map<ExperimentOption, number>,
    random: boolean,
    optionConfidence: Record<string, number>,
    confidence?: Float32Array,
    runIds?: Map<ExperimentOption, string[]>,
  ): Selection => {
    const requests = [...batch].map(([option, runs]) => {
      let target = option;
      if (confidence && analysis && hintCount > 0 && !option.targetJobs && option.label !== 'normal') {
        const least = targetJobs(optionKey(option), option.label, runKeys, runLabels, analysis, confidence, hintCount);
        if (least.jobs.length > 0)
          target = { ...option, targetJobs: least.jobs.map((j) => input.jobNames[j] as string) };
        const request = requestFor(input.workflow, target, runs, anomalousWorkers);
        request.hints = { ...request.hints, confidence: least.confidence };
        const ids = runIds?.get(option);
        if (ids) request.hints.runIds = ids;
        return request;
      }
      const request = requestFor(input.workflow, target, runs, anomalousWorkers);
      const ids = runIds?.get(option);
      if (ids) request.hints = { ...request.hints, runIds: ids };
      return request;
    });
    return { requests, random, optionConfidence };
  };

  const byDesign = options.random === true || !analysis || strategy === 'balanced';
  if (byDesign) return finish(balancedDesign(open, options.runs, runKeys, runLabels, options.rng), true, {});
  if (strategy === 'random') {
    const left = new Map(open.map((o) => [o, o.available ?? 1]));
    const batch = new Map<ExperimentOption, number>();
    for (let k = 0; k < options.runs; k++) {
      const choices = open.filter((o) => (left.get(o) ?? 0) > 0);
      const pick = weightedPick(choices.length > 0 ? choices : open, (o) => left.get(o) ?? 1, options.rng);
      left.set(pick, (left.get(pick) ?? 1) - 1);
      batch.set(pick, (batch.get(pick) ?? 0) + 1);
    }
    return finish(batch, true, {});
  }

  let uncertainty = jobUncertainty(analysis, strategy);
  if ((options.normalize ?? DEFAULTS.normalize) === 'node') uncertainty = perNodeRelative(uncertainty, analysis.nodes);
  const confidence = minMaxConfidence(uncertainty);
  const perRun = runUncertainty(uncertainty, analysis.nodes, 'top');
  const runConfidence = runUncertainty(confidence, analysis.nodes, 'mean');
  const value = new Map<string, number>();
  const labelValue = new Map<string, number>();
  const optionConfidence: Record<string, number> = {};
  const average = (keys: readonly string[], values: Float32Array, into: Map<string, number>) => {
    const sums = new Map<string, [number, number]>();
    keys.forEach((key, r) => {
      const s = sums.get(key) ?? [0, 0];
      s[0] += values[r] as number;
      s[1]++;
      sums.set(key, s);
    });
    for (const [key, [sum, count]] of sums) into.set(key, sum / count);
  };
  average(runKeys, perRun, value);
  average(runLabels, perRun, labelValue);
  const confidenceByKey = new Map<string, number>();
  average(runKeys, runConfidence, confidenceByKey);
  for (const [key, c] of confidenceByKey) optionConfidence[key] = c;

  if (strategy === 'diversity' || strategy === 'badge') {
    const poolPicks = strategy === 'badge' && input.candidates && input.candidates.length > 0;
    const ids = new Map<ExperimentOption, string[]>();
    const byKey = new Map(open.map((o) => [optionKey(o), o]));
    let order: string[];
    if (poolPicks) {
      const usable = (input.candidates ?? []).filter((c) => byKey.has(c.key));
      const picks = kMeansPlusPlus(
        usable.map((c) => c.embedding),
        Math.min(options.runs, usable.length),
        options.rng,
      );
      const batch = new Map<ExperimentOption, number>();
      for (const i of picks) {
        const c = usable[i] as CandidateEmbedding;
        const option = byKey.get(c.key) as ExperimentOption;
        batch.set(option, (batch.get(option) ?? 0) + 1);
        ids.set(option, [...(ids.get(option) ?? []), c.runId]);
      }
      const short = options.runs - picks.length;
      if (short > 0)
        for (const [o, n] of balancedDesign(open, short, runKeys, runLabels, options.rng))
          batch.set(o, (batch.get(o) ?? 0) + n);
      return finish(batch, false, optionConfidence, confidence, ids);
    }
    const embeddings =
      strategy === 'badge'
        ? gradientEmbeddings(analysis)
        : runEmbeddings(analysis.embedding, analysis.nodes, analysis.embeddingWidth);
    const allowed = runKeys.map((key, r) => byKey.has(key) || byKey.has(runLabels[r] as string));
    const anchors =
      strategy === 'badge'
        ? kMeansPlusPlus(
            embeddings.filter((_, r) => allowed[r]),
            Math.min(options.runs, allowed.filter(Boolean).length),
            options.rng,
          ).map((i) => allowed.flatMap((a, r) => (a ? [r] : []))[i] as number)
        : kCenterGreedy(embeddings, perRun, options.runs, (r) => allowed[r] === true);
    order = anchors.map((r) => (byKey.has(runKeys[r] as string) ? runKeys[r] : runLabels[r]) as string);
    // Options nobody ran yet come first (their runs are the least known of all), then the anchors' options.
    const unseen = open.filter((o) => !value.has(optionKey(o)) && !labelValue.has(o.label)).map(optionKey);
    order = [...new Set([...unseen, ...order])];
    const rest = open.filter((o) => !order.includes(optionKey(o))).sort((a, b) => optionValue(b) - optionValue(a));
    const ranked = [...order.map((key) => byKey.get(key) as ExperimentOption), ...rest];
    return finish(spreadBatch(ranked, options.runs, cap(options, open)), false, optionConfidence, confidence);
  }

  function optionValue(option: ExperimentOption): number {
    const key = optionKey(option);
    const external = input.optionUncertainty;
    // A value from elsewhere (the bandit, pool scores) when given; else the option's runs, its label's runs, or
    // infinity for an option never run (explore it first).
    const u = external
      ? (external[key] ?? external[option.label] ?? Number.POSITIVE_INFINITY)
      : (value.get(key) ?? labelValue.get(option.label) ?? Number.POSITIVE_INFINITY);
    const weight = options.costWeight ?? DEFAULTS.costWeight;
    if (!(weight > 0)) return u;
    const seconds = open.map((o) => expectedSeconds(o, input.durations)).filter((d) => d > 0);
    const mean = seconds.length ? seconds.reduce((a, b) => a + b, 0) / seconds.length : 0;
    const expected = expectedSeconds(option, input.durations) || mean;
    return mean > 0 && expected > 0 ? u / (expected / mean) ** weight : u;
  }
  const ranked = open
    .slice()
    .sort((a, b) => optionValue(b) - optionValue(a) || optionKey(a).localeCompare(optionKey(b)));
  return finish(spreadBatch(ranked, options.runs, cap(options, open)), false, optionConfidence, confidence);
}

function cap(options: SelectExperimentsOptions, open: readonly ExperimentOption[]): number {
  return options.maxPerOption ?? Math.max(1, Math.ceil(options.runs / open.length));
}

/** Expected wall time of a run of an option: its own, else the mean of its label's runs so far, else 0 (unknown). */
function expectedSeconds(option: ExperimentOption, durations?: Readonly<Record<string, number>>): number {
  return option.expectedSeconds ?? durations?.[optionKey(option)] ?? durations?.[option.label] ?? 0;
}

/**
 * Mean job embedding of each run, `[runs][H]`.
 * @example runEmbeddings(Float32Array.of(1, 3, 5, 7), 2, 1) // [[2], [6]]
 */
export function runEmbeddings(embedding: Float32Array, nodes: number, width: number): Float32Array[] {
  const runs = Math.floor(embedding.length / (nodes * width));
  return Array.from({ length: runs }, (_, r) => {
    const out = new Float32Array(width);
    for (let j = 0; j < nodes; j++)
      for (let i = 0; i < width; i++)
        out[i] = (out[i] as number) + (embedding[(r * nodes + j) * width + i] as number) / nodes;
    return out;
  });
}

/**
 * BADGE gradient embedding of each run (Ash et al., ICLR 2020, at run granularity): the gradient of the run's loss
 * with respect to the last layer, with each job's predicted class as its label, `sum_j (p_j - onehot(argmax p_j)) x h_j`
 * over groups, `[runs][G * C * H]`. Its norm is the model's uncertainty about the run, its direction what it would
 * change.
 * @example const g = gradientEmbeddings(analysis);
 */
export function gradientEmbeddings(
  analysis: Pick<JobAnalysis, 'nodes' | 'probabilities' | 'groups' | 'classes' | 'embedding' | 'embeddingWidth'>,
): Float32Array[] {
  const { nodes, groups, classes, probabilities, embedding } = analysis;
  const width = analysis.embeddingWidth;
  const runs = Math.floor(probabilities.length / (nodes * groups * classes));
  return Array.from({ length: runs }, (_, r) => {
    const out = new Float32Array(groups * classes * width);
    for (let j = r * nodes; j < (r + 1) * nodes; j++) {
      for (let g = 0; g < groups; g++) {
        const base = (j * groups + g) * classes;
        let top = 0;
        for (let c = 1; c < classes; c++)
          if ((probabilities[base + c] as number) > (probabilities[base + top] as number)) top = c;
        for (let c = 0; c < classes; c++) {
          const d = (probabilities[base + c] as number) - (c === top ? 1 : 0);
          if (d === 0) continue;
          const offset = (g * classes + c) * width;
          for (let i = 0; i < width; i++)
            out[offset + i] = (out[offset + i] as number) + (d * (embedding[j * width + i] as number)) / nodes;
        }
      }
    }
    return out;
  });
}

function squaredDistance(a: Float32Array, b: Float32Array): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d += ((a[i] as number) - (b[i] as number)) ** 2;
  return d;
}

/**
 * k-means++ seeding (BADGE's batch rule): the first point has the largest norm, each next one is drawn with probability
 * proportional to its squared distance to the nearest point chosen so far. Returns indices.
 * @example kMeansPlusPlus([Float32Array.of(0), Float32Array.of(5), Float32Array.of(4)], 2, createRng(0)) // [1, 0] or [1, 2]
 */
export function kMeansPlusPlus(points: readonly Float32Array[], count: number, rng: Rng): number[] {
  if (points.length === 0 || count <= 0) return [];
  const zero = new Float32Array((points[0] as Float32Array).length);
  let first = 0;
  points.forEach((p, i) => {
    if (squaredDistance(p, zero) > squaredDistance(points[first] as Float32Array, zero)) first = i;
  });
  const chosen = [first];
  const nearest = points.map((p) => squaredDistance(p, points[first] as Float32Array));
  while (chosen.length < Math.min(count, points.length)) {
    const total = nearest.reduce((a, b) => a + b, 0);
    let next = -1;
    if (total > 0) {
      let ticket = rng.float() * total;
      for (let i = 0; i < nearest.length; i++) {
        ticket -= nearest[i] as number;
        if (ticket < 0 && (nearest[i] as number) > 0) {
          next = i;
          break;
        }
      }
    }
    if (next < 0) next = nearest.findIndex((d, i) => d > 0 || !chosen.includes(i));
    if (next < 0 || chosen.includes(next)) break;
    chosen.push(next);
    const point = points[next] as Float32Array;
    points.forEach((p, i) => {
      nearest[i] = Math.min(nearest[i] as number, squaredDistance(p, point));
    });
  }
  return chosen;
}

/**
 * Each job's uncertainty divided by the mean of the same DAG node over the labelled runs (0 for a node whose mean is 0).
 * @example perNodeRelative(Float32Array.of(1, 10, 3, 30), 2) // [0.5, 0.5, 1.5, 1.5]
 */
export function perNodeRelative(uncertainty: Float32Array, nodes: number): Float32Array {
  const sums = new Float64Array(nodes);
  const runs = uncertainty.length / nodes;
  uncertainty.forEach((u, job) => {
    sums[job % nodes] = (sums[job % nodes] as number) + u;
  });
  return uncertainty.map((u, job) => {
    const mean = (sums[job % nodes] as number) / runs;
    return mean > 0 ? u / mean : 0;
  });
}

/**
 * Uncertainty-weighted k-center greedy over runs (Sener & Savarese, ICLR 2018): the first anchor is the most uncertain
 * run, each next one maximizes its uncertainty x distance to the nearest anchor so far. Returns run indices.
 * @example const anchors = kCenterGreedy(runEmbeddings(a.embedding, a.nodes, a.embeddingWidth), perRun, 2, () => true);
 */
export function kCenterGreedy(
  points: readonly Float32Array[],
  uncertainty: Float32Array,
  count: number,
  allowed: (run: number) => boolean,
): number[] {
  const candidates = points.map((_, r) => r).filter(allowed);
  if (candidates.length === 0) return [];
  candidates.sort((a, b) => (uncertainty[b] as number) - (uncertainty[a] as number) || a - b);
  const maxU = uncertainty[candidates[0] as number] as number;
  const weight = (run: number) => (maxU > 0 ? (uncertainty[run] as number) / maxU : 1);
  const anchors = [candidates[0] as number];
  const nearest = candidates.map((run) =>
    Math.sqrt(squaredDistance(points[run] as Float32Array, points[anchors[0] as number] as Float32Array)),
  );
  while (anchors.length < Math.min(count, candidates.length)) {
    let best = -1;
    let bestValue = -1;
    candidates.forEach((run, i) => {
      const v = weight(run) * (nearest[i] as number);
      if (v > bestValue && !anchors.includes(run)) {
        bestValue = v;
        best = i;
      }
    });
    if (best < 0) break;
    const run = candidates[best] as number;
    anchors.push(run);
    candidates.forEach((other, i) => {
      nearest[i] = Math.min(
        nearest[i] as number,
        Math.sqrt(squaredDistance(points[other] as Float32Array, points[run] as Float32Array)),
      );
    });
  }
  return anchors;
}

/** How the job uncertainties of a run become the run's: `mean`, `max`, or `top` (mean of the top tenth of its jobs). */
export type RunReduce = 'mean' | 'max' | 'top';

/**
 * Per-run uncertainty from per-job uncertainties `[runs * nodes]` (pool-based selection ranks candidate runs by it).
 * @example runUncertainty(Float32Array.of(1, 3, 2, 2), 2, 'max') // [3, 2]
 */
export function runUncertainty(uncertainty: Float32Array, nodes: number, reduce: RunReduce): Float32Array {
  const runs = Math.floor(uncertainty.length / nodes);
  const out = new Float32Array(runs);
  const top = Math.max(1, Math.ceil(nodes / 10));
  for (let r = 0; r < runs; r++) {
    const jobs = uncertainty.subarray(r * nodes, (r + 1) * nodes);
    if (reduce === 'mean') out[r] = jobs.reduce((a, b) => a + b, 0) / nodes;
    else if (reduce === 'max') out[r] = jobs.reduce((a, b) => Math.max(a, b), Number.NEGATIVE_INFINITY);
    else
      out[r] =
        Float32Array.from(jobs)
          .sort()
          .subarray(nodes - top)
          .reduce((a, b) => a + b, 0) / top;
  }
  return out;
}
