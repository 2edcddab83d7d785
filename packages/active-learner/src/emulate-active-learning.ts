/*
 * The emulation experiment of the active-learning paper (§4.4): Algorithm 1 over pre-captured traces for several
 * strategies and seeds, with optional random baseline and ablation, summarized as learning curves and a report, and
 * measured in experiments (issue 14): per seed a full-pool model sets the target (its test ROC-AUC minus
 * `targetGap`); every strategy gets runs and testbed-seconds to target, AULC over the first 16 runs, the worst seed,
 * the swing and where the stopping rule stopped; each one is compared with `random` paired by seed.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type LongOperationOptions,
  ProteusError,
  reportProgress,
  throwIfAborted,
  writeFileAtomic,
} from '@proteus-wf/core';
import type { FeaturePipelineName, FlowBenchDataset } from '@proteus-wf/features';
import type { AnomalyEffectAssessment } from './assess-anomaly-effects.js';
import {
  type PairedComparison,
  type StrategyMetrics,
  seedCurveOf,
  summarizePairedComparison,
  summarizeStrategyMetrics,
} from './compare-strategies.js';
import { createEmulationBackend } from './emulation-backend.js';
import { defineLearningTask, type LearningTask, type LearningTaskOptions } from './learning-task.js';
import { renderReport } from './render-report.js';
import {
  type ActiveLearningOptions,
  type ActiveLearningResult,
  type ActiveModelKind,
  runActiveLearning,
} from './run-active-learning.js';
import { defineStoppingRule, type StoppingOptions } from './stopping-rule.js';
import { STRATEGIES, type StrategyName } from './strategies.js';
import { type StrategySummary, samplesToReach, summarizeLearningCurves } from './summarize-learning-curves.js';
import { defineTrainingProtocol, type TrainingProtocolOptions } from './training-protocol.js';
import type { UpdateTermsOptions } from './update-terms.js';

/** Options of {@link emulateActiveLearning}. */
export interface EmulateActiveLearningOptions
  extends LongOperationOptions,
    Pick<
      ActiveLearningOptions,
      | 'iterations'
      | 'perIteration'
      | 'burnIn'
      | 'reselectEvery'
      | 'stepsPerIteration'
      | 'memoryRuns'
      | 'threshold'
      | 'optimizer'
      | 'costWeight'
      | 'normalize'
      | 'runSelection'
      | 'typeScore'
      | 'runReduce'
      | 'candidatesPerType'
      | 'classWeights'
      | 'anomalousWorkers'
      | 'hidden'
      | 'threads'
    > {
  model?: ActiveModelKind;
  /**
   * What the model predicts (default job-level binary): `{ level: 'graph' }` one label per run (run ROC-AUC on the test
   * runs), `{ labels: 'multiclass' }` one class per anomaly type and level (macro one-vs-rest ROC-AUC). The classes are
   * the dataset's run labels; see `defineLearningTask`.
   */
  task?: LearningTaskOptions;
  /** The strategy under test (default `gradient`). */
  strategy?: StrategyName;
  /** Baselines run with the same seeds (e.g. `['random']`). */
  compare?: StrategyName[];
  /** Also run the strategy without Eq. 6's third term (the paper's Figs. 9-10). */
  ablation?: boolean;
  /**
   * Also run the paper's "standard learning" baseline: random queries and the plain loss (term 1 only), entry
   * `strategy: 'random', label: 'random, plain loss'`.
   */
  standard?: boolean;
  /** Number of seeds (0..seeds-1; default 5). Each seed fixes the test split, the init and every draw. */
  seeds?: number;
  terms?: UpdateTermsOptions;
  pipeline?: FeaturePipelineName;
  testFraction?: number;
  /**
   * Tune without the test set: set this share of each seed's pool aside (`createEmulationBackend`'s
   * `validationFraction`) and evaluate every curve on it instead of the test runs (default 0: evaluate on the test set).
   */
  validationFraction?: number;
  /** Output folder: `summary.json`, `report.html`, `checkpoints/`, `requests/`. */
  out?: string;
  /** Continue from the checkpoints in `out`. */
  resume?: boolean;
  /** Training per iteration (default: to convergence; `defineTrainingProtocol`). */
  training?: TrainingProtocolOptions;
  /**
   * The stopping rule (default stabilising predictions). The emulation records where it stops and replays on to
   * `iterations`, so that runs to target and AULC are measured past the stop (`onStop` is always `record` here).
   */
  stopping?: StoppingOptions;
  /** Target = the full-pool model's test ROC-AUC minus this gap (default 0.01). */
  targetGap?: number;
  /** AULC over the first this many runs (default 16). */
  aulcRuns?: number;
  /**
   * Most optimizer steps of the full-pool model (default 400), trained to convergence under either protocol with at
   * least 100 steps and a patience of at least 10 looks.
   */
  fullPoolSteps?: number;
}

/** What `proteus al emulate` prints and writes to `<out>/summary.json`. */
export interface EmulationSummary {
  workflow: string;
  model: ActiveModelKind;
  dataset: { runs: number; pool: number; test: number; testJobs: number };
  settings: {
    strategy: StrategyName;
    seeds: number;
    iterations: number;
    perIteration: number;
    burnIn: number;
    /** Steps per iteration of the fixed protocol (absent under `converge`). */
    stepsPerIteration?: number;
    /** The training protocol every entry used. */
    training?: string;
    /** The task: level, labels, classes and the metric that `rocAuc` holds in every curve and comparison. */
    task?: LearningTask;
    /** The stopping rule whose stop points `metrics[].stopped` report. */
    stopping?: string;
    targetGap?: number;
  };
  strategies: StrategySummary[];
  /**
   * The model trained to convergence on each seed's whole pool (same split and init): mean test ROC-AUC, the pool's
   * runs, and per seed. The target is its ROC-AUC minus `targetGap`, per seed.
   */
  fullPool?: { rocAuc: number; runs: number; perSeed: { seed: number; rocAuc: number }[] };
  /** Per entry of `strategies` (same order): runs and seconds to target, AULC, worst seed, swing, stop point. */
  metrics?: StrategyMetrics[];
  /** Every non-random entry against `random`, paired by seed, with 95% t-intervals. */
  comparisons?: PairedComparison[];
  /** The strategy against the random baseline, when `compare` includes `random`. */
  comparison?: {
    aulcGain: number;
    target: number;
    samples: number | null;
    randomSamples: number;
    fraction: number | null;
    /** False when the anomalies did not measurably change the runs: the gain compares noise (live loop). */
    meaningful?: boolean;
  };
  /** Whether the injected anomalies measurably changed the runs (live loop); see `assessAnomalyEffects`. */
  anomalyEffects?: AnomalyEffectAssessment;
  /** Plain-language caveats the report shows first. */
  warnings?: string[];
  /** How to rerun it: the command line, package versions and the seeds. */
  reproduce?: { command: string; versions: Record<string, string>; seeds: number[] };
}

interface Variant {
  key: string;
  strategy: StrategyName;
  label: string;
  terms: UpdateTermsOptions;
}

/**
 * Runs the emulation for every variant and seed, summarizes the learning curves and writes the outputs.
 * @example
 * const summary = await emulateActiveLearning(await loadFlowBench('1000genome.zip'), { compare: ['random'], seeds: 5, out: 'al-out' });
 * summary.strategies.map((s) => [s.strategy, s.aulc]);
 * @throws ProteusError PROTEUS_AL_INVALID_OPTION for an unknown strategy or a bad count
 * @throws ProteusError the codes of `runActiveLearning` and `createEmulationBackend`
 */
export async function emulateActiveLearning(
  dataset: FlowBenchDataset,
  options: EmulateActiveLearningOptions = {},
): Promise<EmulationSummary> {
  const where = 'active-learner/emulateActiveLearning';
  const strategy = options.strategy ?? 'gradient';
  for (const name of [strategy, ...(options.compare ?? [])]) {
    if (!STRATEGIES.includes(name)) {
      throw new ProteusError(
        'PROTEUS_AL_INVALID_OPTION',
        `${where}: unknown strategy ${JSON.stringify(name)}; choose one of ${STRATEGIES.join(', ')}`,
      );
    }
  }
  const seeds = options.seeds ?? 5;
  if (!(Number.isInteger(seeds) && seeds >= 1))
    throw new ProteusError(
      'PROTEUS_AL_INVALID_OPTION',
      `${where}: seeds must be an integer >= 1, got ${String(seeds)}`,
    );
  const terms = options.terms ?? {};
  const variants: Variant[] = [{ key: strategy, strategy, label: strategy, terms }];
  if (options.ablation)
    variants.push({
      key: `${strategy}-no-term3`,
      strategy,
      label: `${strategy} without term 3`,
      terms: { ...terms, inputSensitivity: false },
    });
  for (const name of options.compare ?? []) {
    if (name !== strategy) variants.push({ key: name, strategy: name, label: name, terms });
  }
  if (options.standard) {
    const plain = { ...terms, finiteDifference: false, inputSensitivity: false };
    variants.push({ key: 'random-plain', strategy: 'random', label: 'random, plain loss', terms: plain });
  }
  const iterations = options.iterations ?? 10;
  const training = defineTrainingProtocol(
    options.training ??
      (options.stepsPerIteration === undefined ? {} : { kind: 'fixed', steps: options.stepsPerIteration }),
  );
  const stopping = { ...defineStoppingRule(options.stopping), onStop: 'record' as const };
  const targetGap = options.targetGap ?? 0.01;
  if (!(targetGap >= 0 && targetGap < 1))
    throw new ProteusError(
      'PROTEUS_AL_INVALID_OPTION',
      `${where}: targetGap must be in [0, 1), got ${String(targetGap)}`,
    );
  const task = defineLearningTask(
    options.task ?? {},
    dataset.runs.map((run) => run.label),
  );
  const total = (variants.length + 1) * seeds;
  const fullPool: { seed: number; rocAuc: number; runs: number }[] = [];
  const results = new Map<string, ActiveLearningResult[]>();
  let done = 0;
  let poolSize = 0;
  let testSize = 0;
  let testJobs = 0;
  const backendFor = (seed: number) =>
    createEmulationBackend(dataset, {
      seed,
      ...(options.pipeline ? { pipeline: options.pipeline } : {}),
      ...(options.testFraction === undefined ? {} : { testFraction: options.testFraction }),
      ...(options.validationFraction ? { validationFraction: options.validationFraction } : {}),
    });
  for (let seed = 0; seed < seeds; seed++) {
    throwIfAborted(options.signal, where);
    const backend = backendFor(seed);
    const runs = backend.remaining().length;
    const fullPoolSteps = options.fullPoolSteps ?? 400;
    // Every pool run in one random query, trained to convergence from the same init: the target's reference.
    const result = await runActiveLearning({
      ...pick(options),
      backend,
      evaluation: options.validationFraction ? backend.validationSet() : backend.testSet(),
      model: options.model ?? 'gcn',
      task,
      strategy: 'random',
      seed,
      terms,
      iterations: 1,
      perIteration: runs,
      burnIn: 1,
      // Patient: a reference stopped early by a noisy fold would set too easy a target.
      training: {
        ...(training.kind === 'converge' ? training : {}),
        kind: 'converge',
        maxSteps: fullPoolSteps,
        minSteps: Math.min(100, fullPoolSteps),
        patience: Math.max(10, training.kind === 'converge' ? training.patience : 0),
      },
      stopping: { rule: 'never' },
      ...(options.signal ? { signal: options.signal } : {}),
    });
    fullPool.push({ seed, rocAuc: result.iterations[0]?.metrics?.rocAuc ?? Number.NaN, runs });
    done++;
    reportProgress(options.onProgress, {
      phase: 'emulate',
      ratio: done / total,
      message: `full pool, seed ${seed + 1}/${seeds}: ${runs} runs, ROC-AUC ${fullPool[seed]?.rocAuc.toFixed(3)}`,
      data: { variant: 'full-pool', seed },
    });
  }
  for (const variant of variants) {
    const list: ActiveLearningResult[] = [];
    for (let seed = 0; seed < seeds; seed++) {
      throwIfAborted(options.signal, where);
      const backend = backendFor(seed);
      const evaluation = options.validationFraction ? backend.validationSet() : backend.testSet();
      poolSize = backend.remaining().length;
      testSize = evaluation.runs;
      testJobs = evaluation.runs * backend.nodes;
      const base = done;
      const result = await runActiveLearning({
        ...pick(options),
        backend,
        evaluation,
        model: options.model ?? 'gcn',
        task,
        strategy: variant.strategy,
        seed,
        terms: variant.terms,
        training,
        stopping,
        ...(options.out
          ? {
              checkpoint: join(options.out, 'checkpoints', variant.key, `seed-${seed}.json`),
              requestsDir: join(options.out, 'requests', variant.key, `seed-${seed}`),
              resume: options.resume === true,
            }
          : {}),
        ...(options.signal ? { signal: options.signal } : {}),
        onProgress: (event) =>
          reportProgress(options.onProgress, {
            phase: 'emulate',
            ratio: (base + event.ratio) / total,
            message: `${variant.label}, seed ${seed + 1}/${seeds}: ${event.message ?? ''}`,
            data: { variant: variant.key, seed, ...(event.data as object) },
          }),
      });
      list.push(result);
      done++;
    }
    results.set(variant.key, list);
  }
  const strategies = variants.map((v) => summarizeLearningCurves(results.get(v.key) ?? [], { label: v.label }));
  const summary: EmulationSummary = {
    workflow: dataset.workflow,
    model: options.model ?? 'gcn',
    dataset: { runs: dataset.runs.length, pool: poolSize, test: testSize, testJobs },
    settings: {
      strategy,
      seeds,
      iterations,
      perIteration: options.perIteration ?? 2,
      burnIn: options.burnIn ?? 1,
      training:
        training.kind === 'converge'
          ? `converge (at most ${training.maxSteps} steps, patience ${training.patience} × ${training.checkEvery})`
          : `fixed (${training.steps} steps)`,
      stopping:
        stopping.rule === 'never'
          ? 'never'
          : `${stopping.rule} (kappa >= ${stopping.agreement} for ${stopping.window} iterations, >= ${stopping.minRuns} runs)`,
      targetGap,
      task,
      ...(training.kind === 'fixed' ? { stepsPerIteration: training.steps } : {}),
    },
    strategies,
  };
  const meanOf = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
  summary.fullPool = {
    rocAuc: meanOf(fullPool.map((f) => f.rocAuc)),
    runs: meanOf(fullPool.map((f) => f.runs)),
    perSeed: fullPool.map(({ seed, rocAuc }) => ({ seed, rocAuc })),
  };
  // Each seed's curve is held to its own full-pool model's ROC-AUC minus the gap.
  const target = summary.fullPool.rocAuc - targetGap;
  const targetBySeed = Object.fromEntries(fullPool.map((f) => [f.seed, f.rocAuc - targetGap]));
  const curvesOf = (key: string) => (results.get(key) ?? []).map(seedCurveOf);
  const metricOptions = {
    target,
    targetBySeed,
    ...(options.aulcRuns === undefined ? {} : { aulcRuns: options.aulcRuns }),
  };
  summary.metrics = variants.map((v) => summarizeStrategyMetrics(v.label, curvesOf(v.key), metricOptions));
  const baseline = variants.find((v) => v.key === 'random');
  if (baseline) {
    summary.comparisons = variants
      .filter((v) => v !== baseline)
      .map((v) => summarizePairedComparison(v.label, curvesOf(v.key), 'random', curvesOf(baseline.key), metricOptions));
  }
  const random = strategies.find((s) => s.label === 'random') ?? strategies.find((s) => s.strategy === 'random');
  const main = strategies[0] as StrategySummary;
  if (random && main.strategy !== 'random') {
    const samples = samplesToReach(main.curve, random.final.rocAuc.mean);
    summary.comparison = {
      aulcGain: (main.aulc - random.aulc) / random.aulc,
      target: random.final.rocAuc.mean,
      samples,
      randomSamples: random.final.samples,
      fraction: samples === null ? null : samples / random.final.samples,
    };
  }
  if (options.out) {
    await mkdir(options.out, { recursive: true });
    await writeFileAtomic(join(options.out, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
    await writeFileAtomic(join(options.out, 'report.html'), await renderReport(summary));
  }
  return summary;
}

function pick(options: EmulateActiveLearningOptions): Partial<ActiveLearningOptions> {
  const keys = [
    'iterations',
    'perIteration',
    'burnIn',
    'reselectEvery',
    'stepsPerIteration',
    'memoryRuns',
    'threshold',
    'optimizer',
    'costWeight',
    'normalize',
    'runSelection',
    'typeScore',
    'runReduce',
    'candidatesPerType',
    'classWeights',
    'anomalousWorkers',
    'hidden',
    'threads',
  ] as const;
  const out: Record<string, unknown> = {};
  for (const key of keys) if (options[key] !== undefined) out[key] = options[key];
  return out as Partial<ActiveLearningOptions>;
}
