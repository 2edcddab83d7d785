/*
 * Query strategies: per-job uncertainty from the model's analysis of the labelled runs (s_{k-1}), aggregated per
 * experiment option (anomaly type), turned into experiment requests with per-job hints.
 * Reference: active-learning paper §3.2 (s_k = dH/dQ_k, "gradient"), §4.4 (lowest-confidence anomaly type, one type
 * per batch); Settles, "Active Learning Literature Survey" (2009) §3.1 (entropy, least confidence, margin); Sener &
 * Savarese, ICLR 2018 (k-center greedy core-sets, "diversity").
 */
import { ProteusError, type Rng } from '@proteus-wf/core';
import type { ExperimentOption } from './experiment-backend.js';
import type { ExperimentRequest } from './experiment-requests.js';

/** Names of the query strategies. */
export type StrategyName = 'gradient' | 'entropy' | 'least-confidence' | 'margin' | 'random' | 'diversity';

/** Every strategy, default first. */
export const STRATEGIES: readonly StrategyName[] = [
  'gradient',
  'entropy',
  'least-confidence',
  'margin',
  'random',
  'diversity',
];

/** What a model said about the labelled runs: the input of every strategy but `random`. */
export interface JobAnalysis {
  /** Jobs per run. */
  nodes: number;
  /** Label of each labelled job `[runs * N]` (`normal` or the anomaly). */
  jobLabels: readonly string[];
  /** Label of each labelled run (the experiment that produced it); needed by `aggregate: 'run'`. */
  runLabels?: readonly string[];
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
  if (strategy === 'gradient' || strategy === 'diversity' || strategy === 'random')
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
   * Uncertainty per option computed elsewhere (pool-based emulation: from the unlabelled candidate runs of each type,
   * see `runUncertainty`); replaces the per-type aggregation over the labelled runs for the ranking.
   */
  optionUncertainty?: Readonly<Record<string, number>>;
}

/** Options of {@link selectExperiments}. */
export interface SelectExperimentsOptions {
  strategy: StrategyName;
  /** Runs to request. */
  runs: number;
  rng: Rng;
  /** Query at random (burn-in, or the periodic random re-selection of the emulation). */
  random?: boolean;
  /** Workers that get the anomaly (default 1). */
  anomalousWorkers?: number;
  /** Least-confident jobs named in each request's hints (default 5). */
  hints?: number;
  /**
   * How job uncertainties become an anomaly type's: `job` (default) averages the jobs labelled with it (the reference's
   * per-job label); `run` averages all jobs of the runs of that type (the experiment that confused the model).
   */
  aggregate?: 'run' | 'job';
  /**
   * `node` (default): divide each job's uncertainty by the mean of the same DAG node over the labelled runs before
   * ranking, so jobs whose gradients are structurally large (auxiliary stage-in jobs, which never run on an anomalous
   * worker) do not decide the query; `none`: raw values.
   */
  normalize?: 'node' | 'none';
  /** Divide each option's uncertainty by (expected runtime / mean runtime)^costWeight (default 0: off). */
  costWeight?: number;
}

/** A selection: the requests and each option's mean confidence (the paper's "confidence of the anomaly type"). */
export interface Selection {
  requests: ExperimentRequest[];
  random: boolean;
  optionConfidence: Record<string, number>;
}

const DEFAULTS = {
  anomalousWorkers: 1,
  hints: 5,
  costWeight: 0,
  aggregate: 'job' as 'run' | 'job',
  normalize: 'node' as 'node' | 'none',
};

function requestFor(
  workflow: string,
  option: ExperimentOption,
  runs: number,
  anomalousWorkers: number,
): ExperimentRequest {
  return {
    workflow,
    anomaly: option.anomaly,
    ...(option.level === undefined ? {} : { level: option.level }),
    anomalousWorkers: option.label === 'normal' ? 0 : anomalousWorkers,
    runs,
  };
}

function addHints(
  request: ExperimentRequest,
  label: string,
  input: SelectExperimentsInput,
  confidence: Float32Array,
  count: number,
): void {
  const analysis = input.analysis;
  if (!analysis || count === 0) return;
  // A type never seen yet has no jobs of its own: hint at the least confident jobs overall.
  const seen = analysis.jobLabels.includes(label);
  const best = new Map<number, number>();
  analysis.jobLabels.forEach((l, job) => {
    if (seen && l !== label) return;
    const node = job % analysis.nodes;
    const c = confidence[job] as number;
    if (c < (best.get(node) ?? Number.POSITIVE_INFINITY)) best.set(node, c);
  });
  const least = [...best.entries()].sort((a, b) => a[1] - b[1] || a[0] - b[0]).slice(0, count);
  if (least.length === 0) return;
  request.hints = {
    jobs: least.map(([node]) => input.jobNames[node] as string),
    confidence: least.map(([, c]) => Math.round(c * 1e4) / 1e4),
  };
}

/**
 * Chooses the next experiments (Q_k = g(s_{k-1})): the option whose jobs the model is least confident about gets all
 * `runs` (one anomaly type per batch, as the paper's emulation); `diversity` spreads the batch over k-center anchors
 * of the job embeddings; `random` (and `random: true`) draws runs in proportion to what the backend can still run.
 * @example
 * const { requests } = selectExperiments({ workflow, options: backend.options(), jobNames, analysis }, { strategy: 'gradient', runs: 2, rng });
 * @throws ProteusError PROTEUS_AL_INVALID_OPTION for an unknown strategy, runs < 1, or no option to run
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
  let uncertainty = analysis ? jobUncertainty(analysis, options.strategy) : undefined;
  if (analysis && uncertainty && (options.normalize ?? DEFAULTS.normalize) === 'node')
    uncertainty = perNodeRelative(uncertainty, analysis.nodes);
  const confidence = uncertainty ? minMaxConfidence(uncertainty) : new Float32Array(0);
  const optionConfidence: Record<string, number> = {};
  const optionUncertainty = new Map<string, number>();
  if (analysis && uncertainty) {
    const sums = new Map<string, [number, number, number]>();
    const byRun = (options.aggregate ?? DEFAULTS.aggregate) === 'run' && analysis.runLabels !== undefined;
    analysis.jobLabels.forEach((jobLabel, job) => {
      const label = byRun ? (analysis.runLabels?.[Math.floor(job / analysis.nodes)] ?? jobLabel) : jobLabel;
      const s = sums.get(label) ?? [0, 0, 0];
      s[0] += uncertainty[job] as number;
      s[1] += confidence[job] as number;
      s[2]++;
      sums.set(label, s);
    });
    for (const [label, [u, c, count]] of sums) {
      optionUncertainty.set(label, u / count);
      optionConfidence[label] = c / count;
    }
  }
  if (input.optionUncertainty) {
    optionUncertainty.clear();
    for (const [label, u] of Object.entries(input.optionUncertainty)) optionUncertainty.set(label, u);
  }
  const random = options.random === true || options.strategy === 'random' || !analysis;
  const merged = new Map<string, ExperimentRequest>();
  const add = (option: ExperimentOption, runs: number) => {
    const existing = merged.get(option.label);
    if (existing) existing.runs += runs;
    else {
      const request = requestFor(input.workflow, option, runs, anomalousWorkers);
      if (!random) addHints(request, option.label, input, confidence, hintCount);
      merged.set(option.label, request);
    }
  };

  if (random) {
    // Uniform over the runs the backend can still produce (uniform over options when unbounded).
    const left = new Map(open.map((o) => [o.label, o.available ?? 1]));
    for (let k = 0; k < options.runs; k++) {
      const choices = open.filter((o) => (left.get(o.label) ?? 0) > 0);
      const pool = choices.length > 0 ? choices : open;
      const total = pool.reduce((sum, o) => sum + (left.get(o.label) ?? 1), 0);
      let ticket = options.rng.float() * total;
      let pick = pool[pool.length - 1] as ExperimentOption;
      for (const o of pool) {
        ticket -= left.get(o.label) ?? 1;
        if (ticket < 0) {
          pick = o;
          break;
        }
      }
      left.set(pick.label, (left.get(pick.label) ?? 1) - 1);
      add(pick, 1);
    }
    return { requests: [...merged.values()], random: true, optionConfidence };
  }

  const utility = (option: ExperimentOption) => {
    // An option never seen is the most uncertain of all: explore it first.
    const u = optionUncertainty.get(option.label) ?? Number.POSITIVE_INFINITY;
    const weight = options.costWeight ?? DEFAULTS.costWeight;
    const durations = input.durations ?? {};
    const known = Object.values(durations).filter((d) => d > 0);
    const mean = known.length ? known.reduce((a, b) => a + b, 0) / known.length : 0;
    const expected = durations[option.label] ?? mean;
    return weight > 0 && mean > 0 && expected > 0 ? u / (expected / mean) ** weight : u;
  };
  if (options.strategy === 'diversity' && analysis && uncertainty) {
    const labelsOpen = new Map(open.map((o) => [o.label, o]));
    const anchors = kCenterGreedy(analysis, uncertainty, options.runs, (label) => labelsOpen.has(label));
    const unseen = open.filter((o) => !optionUncertainty.has(o.label));
    for (let k = 0; k < options.runs; k++) {
      // Unseen types first, then one run per anchor's type.
      const anchor = anchors[k - unseen.length];
      const option =
        k < unseen.length
          ? (unseen[k] as ExperimentOption)
          : anchor !== undefined
            ? labelsOpen.get(analysis.jobLabels[anchor] as string)
            : undefined;
      add(option ?? (open.slice().sort((a, b) => utility(b) - utility(a))[0] as ExperimentOption), 1);
    }
    return { requests: [...merged.values()], random: false, optionConfidence };
  }
  const ranked = open.slice().sort((a, b) => utility(b) - utility(a) || a.label.localeCompare(b.label));
  let remaining = options.runs;
  for (const option of ranked) {
    const runs = Math.min(remaining, option.available ?? remaining);
    if (runs > 0) add(option, runs);
    remaining -= runs;
    if (remaining === 0) break;
  }
  return { requests: [...merged.values()], random: false, optionConfidence };
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
 * Uncertainty-weighted k-center greedy over job embeddings: the first anchor is the most uncertain job, each next one
 * maximizes uncertainty x distance to the nearest anchor so far. Candidates are the most uncertain quarter of the jobs
 * (at most 2000, evenly thinned). Returns job indices.
 * @example const anchors = kCenterGreedy(analysis, uncertainty, 2, () => true);
 */
export function kCenterGreedy(
  analysis: JobAnalysis,
  uncertainty: Float32Array,
  count: number,
  allowed: (label: string) => boolean,
): number[] {
  const width = analysis.embeddingWidth;
  const order = Array.from(uncertainty.keys())
    .filter((job) => allowed(analysis.jobLabels[job] as string))
    .sort((a, b) => (uncertainty[b] as number) - (uncertainty[a] as number) || a - b);
  let candidates = order.slice(0, Math.max(count, Math.ceil(order.length / 4)));
  if (candidates.length > 2000) {
    const stride = candidates.length / 2000;
    candidates = Array.from({ length: 2000 }, (_, i) => candidates[Math.floor(i * stride)] as number);
  }
  if (candidates.length === 0) return [];
  const maxU = uncertainty[candidates[0] as number] as number;
  const weight = (job: number) => (maxU > 0 ? (uncertainty[job] as number) / maxU : 1);
  const distance = (a: number, b: number) => {
    let d = 0;
    for (let i = 0; i < width; i++)
      d += ((analysis.embedding[a * width + i] as number) - (analysis.embedding[b * width + i] as number)) ** 2;
    return Math.sqrt(d);
  };
  const anchors = [candidates[0] as number];
  const nearest = candidates.map((job) => distance(job, anchors[0] as number));
  while (anchors.length < Math.min(count, candidates.length)) {
    let best = -1;
    let bestValue = -1;
    candidates.forEach((job, i) => {
      const value = weight(job) * (nearest[i] as number);
      if (value > bestValue) {
        bestValue = value;
        best = i;
      }
    });
    const job = candidates[best] as number;
    anchors.push(job);
    candidates.forEach((other, i) => {
      nearest[i] = Math.min(nearest[i] as number, distance(other, job));
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
