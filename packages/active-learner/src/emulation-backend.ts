/*
 * Pool-based emulation of experiments over pre-captured Flow-Bench traces (active-learning paper §4.4): the runs are
 * split into a held-out test set FIRST, the rest form the pool, grouped by experiment option: the run label and the
 * reach of its anomaly (the share of its jobs on an anomalous worker, `reachOf`). A request for `cpu_2@many` gets
 * unseen pool runs labelled `cpu_2` whose anomaly reaches many jobs, and among them the ones whose anomalous jobs
 * include most of the request's target jobs (`hints.jobs`). The scaler is fitted on the pool only. The test runs can never be returned, and
 * `isHeldOut` lets the loop assert that none reaches its replay memory (the reference leaked it, ml.md §5.2).
 */
import { createRng, ProteusError, type Rng, type RngState, restoreRng, throwIfAborted } from '@proteus-wf/core';
import {
  extractFeatures,
  type FeaturePipelineName,
  type FeatureSet,
  type FlowBenchDataset,
  fitScaler,
  type Scaler,
  type ScalerKind,
  splitByRun,
  toTensors,
} from '@proteus-wf/features';
import type { CandidateRuns, ExperimentBackend, ExperimentOption, LabelledRuns } from './experiment-backend.js';
import { type ExperimentRequest, type ExperimentRequestFile, optionOf, requestLabel } from './experiment-requests.js';
import { optionKey, reachOf } from './strategies.js';

/** Options of {@link createEmulationBackend}. */
export interface EmulationBackendOptions {
  /** Feature pipeline (default `flowbench-v1`; `works22` for generation 1, as `proteus train`). */
  pipeline?: FeaturePipelineName;
  /** Seed of the test split and of the pool draws (default 0). */
  seed?: number;
  /** Share of runs held out for testing, stratified by run label (default 0.2). */
  testFraction?: number;
  /** Scaler fitted on the pool runs (default `minmax`). */
  scaler?: ScalerKind;
  /**
   * `reach` (default): one option per run label and reach of its anomaly (`cpu_2@few`, `cpu_2@some`, `cpu_2@many`);
   * `label`: one option per run label, as the reference (the reach is then left to chance). Generation 1
   * (exogeni-2020) has run-level labels (every job of a run carries its label), so its options are always its labels.
   */
  options?: 'reach' | 'label';
  /**
   * Share of the pool (after the test split) set aside as a validation set for tuning (default 0: none). The test split
   * is the same as without it; the validation runs are held out like the test runs and the scaler never sees them.
   */
  validationFraction?: number;
}

/** The held-out test runs, scaled with the pool's scaler. */
export interface TestSet {
  runIds: string[];
  runs: number;
  x: Float32Array;
  jobBinary: Uint8Array;
  /** Each job's label `[runs, N]`. */
  jobLabels: string[];
  /** Each run's label (the label folder in generation 1). */
  runLabels: string[];
}

/** An emulation backend plus what an evaluation needs. */
export interface EmulationBackend extends ExperimentBackend {
  readonly testRunIds: readonly string[];
  /** Validation runs (empty unless `validationFraction` > 0). */
  readonly validationRunIds: readonly string[];
  readonly scaler: Scaler;
  /** Pool runs not drawn yet, by run id. */
  remaining(): string[];
  testSet(): TestSet;
  /** The validation runs, scaled like the test set: evaluate on these while tuning, never on `testSet()`. */
  validationSet(): TestSet;
  isHeldOut(runId: string): boolean;
  candidates(label: string): CandidateRuns;
}

interface EmulationState {
  drawn: string[];
  rng: RngState;
}

const DEFAULTS = {
  pipeline: 'flowbench-v1' as FeaturePipelineName,
  seed: 0,
  testFraction: 0.2,
  scaler: 'minmax' as ScalerKind,
};
const WHERE = 'active-learner/createEmulationBackend';

/** Wall time of each run: latest job end minus earliest `ready` (seconds), from the trace columns. */
function runDurations(dataset: FlowBenchDataset): number[] {
  const column = (name: string) => dataset.jobs.getChild(name);
  const ready = column('ready');
  const ends = ['execute_end', 'post_script_end', 'stage_out_end'].map(column).filter((c) => c !== null);
  const n = dataset.jobsPerRun;
  return dataset.runs.map((_, r) => {
    let start = Number.POSITIVE_INFINITY;
    let end = Number.NEGATIVE_INFINITY;
    for (let j = r * n; j < (r + 1) * n; j++) {
      const s = ready?.get(j) as number | null | undefined;
      if (typeof s === 'number' && Number.isFinite(s) && s < start) start = s;
      for (const c of ends) {
        const e = c?.get(j) as number | null | undefined;
        if (typeof e === 'number' && Number.isFinite(e) && e > end) end = e;
      }
    }
    return Number.isFinite(start) && Number.isFinite(end) && end >= start ? end - start : 0;
  });
}

/**
 * Creates the emulation backend over a loaded Flow-Bench dataset.
 * @example
 * const backend = createEmulationBackend(await loadFlowBench('1000genome.zip'), { seed: 0 });
 * const runs = await backend.runExperiments({ requests: [{ workflow: '1000genome', anomaly: 'cpu', level: 2, anomalousWorkers: 1, runs: 2 }] });
 * @throws ProteusError PROTEUS_AL_INVALID_OPTION for a test fraction outside (0, 1) or a bad seed
 * @throws ProteusError PROTEUS_AL_WORKFLOW_MISMATCH when a request names another workflow
 * @throws ProteusError PROTEUS_AL_POOL_EXHAUSTED when the pool has fewer unseen runs than requested
 */
export function createEmulationBackend(
  dataset: FlowBenchDataset,
  options: EmulationBackendOptions = {},
): EmulationBackend {
  const testFraction = options.testFraction ?? DEFAULTS.testFraction;
  if (!(testFraction > 0 && testFraction < 1)) {
    throw new ProteusError(
      'PROTEUS_AL_INVALID_OPTION',
      `${WHERE}: testFraction must be in (0, 1), got ${String(testFraction)}`,
    );
  }
  const validationFraction = options.validationFraction ?? 0;
  if (!(validationFraction >= 0 && validationFraction < 1)) {
    throw new ProteusError(
      'PROTEUS_AL_INVALID_OPTION',
      `${WHERE}: validationFraction must be in [0, 1), got ${String(validationFraction)}`,
    );
  }
  const seed = options.seed ?? DEFAULTS.seed;
  if (!Number.isSafeInteger(seed))
    throw new ProteusError('PROTEUS_AL_INVALID_OPTION', `${WHERE}: seed must be an integer, got ${String(seed)}`);
  const pipeline = options.pipeline ?? (dataset.generation === 1 ? 'works22' : DEFAULTS.pipeline);
  const features: FeatureSet = extractFeatures(dataset, { pipeline });
  // The test runs are set aside before anything else reads the data.
  const split = splitByRun(features, { seed, ratios: { train: 1 - testFraction, validation: 0, test: testFraction } });
  const testIndices = new Set(split.test);
  let poolIndices = features.runs.map((_, i) => i).filter((i) => !testIndices.has(i));
  // The validation runs come out of the pool (never out of the test split), with a stream of their own.
  let validationIndices: number[] = [];
  if (validationFraction > 0) {
    const inner = splitByRun(
      {
        runs: poolIndices.map((i) => features.runs[i] as (typeof features.runs)[number]),
        jobsPerRun: features.jobsPerRun,
      },
      { seed: seed + 0x5eed, ratios: { train: 1 - validationFraction, validation: 0, test: validationFraction } },
    );
    validationIndices = inner.test.map((k) => poolIndices[k] as number);
    const held = new Set(validationIndices);
    poolIndices = poolIndices.filter((i) => !held.has(i));
  }
  const scaler = fitScaler(features, { kind: options.scaler ?? DEFAULTS.scaler, runs: poolIndices });
  const tensors = toTensors(features, { scaler });
  const durations = runDurations(dataset);
  const n = features.jobsPerRun;
  const f = features.featureNames.length;
  const runIds = features.runs.map((run) => run.runId);
  const indexOf = new Map(runIds.map((id, i) => [id, i]));
  const testRunIds = split.test.map((i) => runIds[i] as string);
  const validationRunIds = validationIndices.map((i) => runIds[i] as string);
  const heldOut = new Set([...testRunIds, ...validationRunIds]);
  const poolSet = new Set(poolIndices);
  const byReach = (options.options ?? 'reach') === 'reach' && dataset.generation !== 1;
  const share = features.runs.map((_, r) => {
    let anomalous = 0;
    for (let j = r * n; j < (r + 1) * n; j++) anomalous += tensors.jobBinary[j] as number;
    return anomalous / n;
  });
  const keyOf = features.runs.map((run, r) =>
    byReach ? optionKey({ label: run.label, reach: reachOf(share[r] as number) }) : run.label,
  );
  const keys = [...new Set(poolIndices.map((i) => keyOf[i] as string))].sort();
  const nodeOf = new Map(features.graph.jobNames().map((name, node) => [name, node]));
  /** The option a request asks for: its `hints.option`, else its label and `hints.reach`, else its label. */
  const wantedKey = (request: ExperimentRequest) => {
    const label = requestLabel(request);
    const hinted = request.hints?.option;
    if (typeof hinted === 'string' && hinted.split('@')[0] === label) return hinted;
    const reach = request.hints?.reach;
    return byReach && typeof reach === 'string' && reach !== 'none' ? `${label}@${reach}` : label;
  };
  const matches = (run: number, key: string) => keyOf[run] === key || features.runs[run]?.label === key;

  let rng: Rng = createRng(seed).fork();
  let drawn = new Set<string>();

  const gather = (indices: number[]) => {
    const x = new Float32Array(indices.length * n * f);
    const jobBinary = new Uint8Array(indices.length * n);
    const jobLabels: string[] = [];
    indices.forEach((run, k) => {
      x.set(tensors.X.subarray(run * n * f, (run + 1) * n * f), k * n * f);
      jobBinary.set(tensors.jobBinary.subarray(run * n, (run + 1) * n), k * n);
      for (let j = 0; j < n; j++) jobLabels.push(features.jobLabels[run * n + j] as string);
    });
    return { x, jobBinary, jobLabels };
  };

  const backend: EmulationBackend = {
    workflow: features.workflow,
    graph: features.graph,
    jobNames: features.graph.jobNames().slice(),
    nodes: n,
    features: f,
    testRunIds,
    validationRunIds,
    scaler,
    options(): ExperimentOption[] {
      const free = poolIndices.filter((i) => !drawn.has(runIds[i] as string));
      return keys.map((key) => {
        const label = key.split('@')[0] as string;
        const runs = poolIndices.filter((i) => keyOf[i] === key);
        const reach = reachOf(runs.reduce((sum, i) => sum + (share[i] as number), 0) / Math.max(1, runs.length));
        const seconds = runs.reduce((sum, i) => sum + (durations[i] as number), 0) / Math.max(1, runs.length);
        return {
          label,
          ...optionOf(label),
          ...(key === label ? {} : { key, reach: key.slice(label.length + 1) as ExperimentOption['reach'] }),
          ...(key === label && byReach ? { reach } : {}),
          available: free.filter((i) => keyOf[i] === key).length,
          ...(seconds > 0 ? { expectedSeconds: seconds } : {}),
        };
      });
    },
    remaining() {
      return poolIndices.map((i) => runIds[i] as string).filter((id) => !drawn.has(id));
    },
    isHeldOut: (runId) => heldOut.has(runId),
    testSet() {
      const runLabels = split.test.map((i) => features.runs[i]?.label as string);
      return { runIds: testRunIds, runs: split.test.length, runLabels, ...gather(split.test) };
    },
    validationSet() {
      const runLabels = validationIndices.map((i) => features.runs[i]?.label as string);
      return { runIds: validationRunIds, runs: validationIndices.length, runLabels, ...gather(validationIndices) };
    },
    candidates(key) {
      // Features only: what the model may look at before an experiment is run (no job labels).
      const free = poolIndices.filter((i) => !drawn.has(runIds[i] as string) && matches(i, key));
      return { runIds: free.map((i) => runIds[i] as string), runs: free.length, x: gather(free).x };
    },
    async runExperiments(file: ExperimentRequestFile, runOptions = {}): Promise<LabelledRuns> {
      throwIfAborted(runOptions.signal, 'active-learner/emulation.runExperiments');
      const chosen: number[] = [];
      const substitutions: LabelledRuns['substitutions'] = [];
      for (const request of file.requests) {
        if (request.workflow !== features.workflow) {
          throw new ProteusError(
            'PROTEUS_AL_WORKFLOW_MISMATCH',
            `active-learner/emulation.runExperiments: request for workflow "${request.workflow}" but the emulation replays "${features.workflow}"`,
          );
        }
        const wanted = requestLabel(request);
        const key = wantedKey(request);
        const targets = (Array.isArray(request.hints?.jobs) ? request.hints.jobs : [])
          .map((name) => nodeOf.get(name as string))
          .filter((node): node is number => node !== undefined);
        // Pool runs the learner ranked for this request (pool-based selection); the rest are drawn at random.
        const preferred = (Array.isArray(request.hints?.runIds) ? request.hints.runIds : []) as unknown[];
        for (let k = 0; k < request.runs; k++) {
          const id = preferred[k];
          if (typeof id === 'string' && heldOut.has(id)) {
            throw new ProteusError(
              'PROTEUS_AL_TEST_LEAK',
              `active-learner/emulation.runExperiments: request ${wanted} names held-out run ${id} in hints.runIds; only pool runs (candidates()) can be replayed`,
            );
          }
          const index = typeof id === 'string' ? indexOf.get(id) : undefined;
          if (index !== undefined && poolSet.has(index) && !drawn.has(id as string) && matches(index, key)) {
            drawn.add(id as string);
            chosen.push(index);
            continue;
          }
          const free = poolIndices.filter((i) => !drawn.has(runIds[i] as string));
          if (free.length === 0) {
            throw new ProteusError(
              'PROTEUS_AL_POOL_EXHAUSTED',
              `active-learner/emulation.runExperiments: the pool of ${poolIndices.length} runs is used up; lower --iterations or --per-iteration`,
              { details: { pool: poolIndices.length } },
            );
          }
          const family = wanted.split('_')[0] as string;
          const exact = free.filter((i) => keyOf[i] === key);
          const sameLabel = free.filter((i) => features.runs[i]?.label === wanted);
          const sameFamily = free.filter((i) => (features.runs[i]?.label ?? '').split('_')[0] === family);
          let candidates =
            exact.length > 0 ? exact : sameLabel.length > 0 ? sameLabel : sameFamily.length > 0 ? sameFamily : free;
          // The placement: runs whose anomaly reached the most target jobs (ties at random).
          if (targets.length > 0 && wanted !== 'normal') {
            const hit = (run: number) => targets.filter((node) => tensors.jobBinary[run * n + node] === 1).length;
            const best = Math.max(...candidates.map(hit));
            candidates = candidates.filter((run) => hit(run) === best);
          }
          const run = candidates[rng.int(0, candidates.length - 1)] as number;
          if (sameLabel.length === 0 || (exact.length === 0 && key !== wanted))
            substitutions.push({
              requested: key,
              ran: key === wanted ? (features.runs[run]?.label as string) : (keyOf[run] as string),
            });
          drawn.add(runIds[run] as string);
          chosen.push(run);
        }
      }
      for (const run of chosen) {
        if (testIndices.has(run)) {
          throw new ProteusError(
            'PROTEUS_AL_TEST_LEAK',
            `active-learner/emulation.runExperiments: test run ${runIds[run]} reached the pool`,
          );
        }
      }
      return {
        runIds: chosen.map((i) => runIds[i] as string),
        labels: chosen.map((i) => features.runs[i]?.label as string),
        optionKeys: chosen.map((i) => keyOf[i] as string),
        durations: chosen.map((i) => durations[i] as number),
        substitutions,
        ...gather(chosen),
      };
    },
    save(): EmulationState {
      return { drawn: [...drawn], rng: rng.save() };
    },
    restore(state: unknown) {
      const s = state as EmulationState;
      if (!s || !Array.isArray(s.drawn) || s.drawn.some((id) => !indexOf.has(id) || heldOut.has(id))) {
        throw new ProteusError(
          'PROTEUS_AL_CHECKPOINT_INVALID',
          'active-learner/emulation.restore: the checkpoint does not match this dataset and split',
        );
      }
      drawn = new Set(s.drawn);
      rng = restoreRng(s.rng);
    },
  };
  return backend;
}
