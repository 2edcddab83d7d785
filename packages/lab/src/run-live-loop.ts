import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import {
  type ActiveLearningResult,
  type ActiveModelKind,
  defineLearningTask,
  describeAnomalyEffects,
  type EmulationSummary,
  type LearningTaskOptions,
  reachTarget,
  renderReport,
  runActiveLearning,
  type StoppingOptions,
  type StrategyName,
  type StrategySummary,
  seedCurveOf,
  summarizeLearningCurves,
  summarizePairedComparison,
  type TrainingProtocolOptions,
} from '@proteus-wf/active-learner';
import { type ProgressEvent, reportProgress, type Testbed, writeFileAtomic } from '@proteus-wf/core';
import { assertFreshLoop, liveLoopPaths } from './checkpoints.js';
import { createLiveLab } from './create-live-lab.js';
import { invalidOptions } from './internal/lab-errors.js';

/** Options of {@link runLiveLoop}. */
export interface LiveLoopOptions {
  /** Pegasus YAML 5.0 file of the workflow. */
  workflow: string;
  /** Output folder: `summary.json`, `report.html`, `checkpoints/`, `requests/`, `traces/`. */
  out: string;
  model?: ActiveModelKind;
  /**
   * What the model predicts (default job-level binary): per run (`level: 'graph'`) and/or one class per anomaly
   * (`labels: 'multiclass'`, the classes `normal` and `anomalies`); see `defineLearningTask`.
   */
  task?: LearningTaskOptions;
  strategy?: StrategyName;
  /** Baselines run on the same test set after `strategy` (e.g. `random`). */
  compare?: StrategyName[];
  iterations?: number;
  perIteration?: number;
  burnIn?: number;
  reselectEvery?: number;
  /** Optimizer steps per iteration of the fixed protocol (shorthand for `training: { kind: 'fixed', steps }`). */
  steps?: number;
  /** How much to train per iteration (default: converge on every labelled run, patience on a validation fold). */
  training?: TrainingProtocolOptions;
  /** When a strategy's loop stops before its budget (default: the `stable-predictions` rule). */
  stopping?: StoppingOptions;
  costWeight?: number;
  testRuns?: number;
  calibrationRuns?: number;
  anomalies?: string[];
  /** Transformations a placed anomaly can follow (see `LiveLabOptions.placeOn`). */
  placeOn?: string[];
  workers?: number;
  seed?: number;
  /** Continue the loop whose checkpoints are in `out`. */
  resume?: boolean;
  /** The testbed to run on (default: testbed-local with `workers` workers, released at the end). */
  testbed?: Testbed;
  /** How to rerun it, recorded in the summary (the CLI passes its command line and package versions). */
  reproduce?: { command: string; versions: Record<string, string> };
  signal?: AbortSignal;
  /**
   * Progress: `setup` (the testbed: `data.workers`, `data.isolation`), `stage` (test set, calibration, a strategy
   * starts), `warning` (a caveat on the data), `iteration` (`data.strategy` and the learner's iteration data), and the
   * lab's `batch`, `experiment` and `jobs` events.
   */
  onProgress?: (event: ProgressEvent) => void;
}

/** What {@link runLiveLoop} returns and writes to `<out>/summary.json`: the emulation summary plus the live facts. */
export interface LiveLoopSummary extends EmulationSummary {
  live: {
    testbed: string;
    /** `cgroup` (root) or `process-group` (stressor anomalies), as the testbed reported it. */
    isolation: string;
    workers: string[];
    anomalies: string[];
    /** Every run kind offered (`normal`, anomalies, placed anomalies). */
    kinds: string[];
    testRuns: number;
    calibrationRuns: number;
    /** Training runs executed per strategy. */
    trainingRuns: Record<string, number>;
    /** Why each strategy's loop ended: the stopping rule's reason, or `budget`. */
    stopped: Record<string, string>;
    /**
     * Testbed-seconds of the training runs per strategy after each iteration (cumulative sums of the runs' traced wall
     * times); `null` for iterations restored from a checkpoint, whose runs this process did not see.
     */
    trainingSeconds: Record<string, Array<number | null>>;
    traces: string;
    wallSeconds: number;
  };
  report: string;
}

/** The settings {@link runLiveLoop} fills in when they are not given. */
export interface LiveLoopDefaults {
  model: ActiveModelKind;
  strategy: StrategyName;
  iterations: number;
  perIteration: number;
  burnIn: number;
  reselectEvery: number;
  costWeight: number;
  testRuns: number;
  calibrationRuns: number;
  anomalies: readonly string[];
  workers: number;
  seed: number;
}

/** The defaults of {@link runLiveLoop} (and of `proteus al run`'s flags). */
export const LIVE_LOOP_DEFAULTS: Readonly<LiveLoopDefaults> = {
  model: 'gcn',
  strategy: 'gradient',
  iterations: 4,
  perIteration: 2,
  burnIn: 1,
  reselectEvery: 4,
  costWeight: 0,
  testRuns: 4,
  calibrationRuns: 2,
  anomalies: ['cpu_1', 'hdd_1'],
  workers: 2,
  seed: 0,
};

/**
 * Runs the live loop: collects the held-out test set and the scaler's calibration runs once, then Algorithm 1 for
 * the strategy and each `compare` baseline on the testbed, and writes `summary.json` and `report.html`. Never prints:
 * progress goes to `onProgress`.
 * @example const summary = await runLiveLoop({ workflow: 'wf.yml', out: 'live', compare: ['random'], onProgress: console.error });
 * @throws ProteusError PROTEUS_LAB_INVALID_OPTIONS for bad counts, PROTEUS_LAB_ALREADY_STARTED when `out` holds a loop
 *   and `resume` is off, and the codes of the lab, the controller and `runActiveLearning`
 */
export async function runLiveLoop(options: LiveLoopOptions): Promise<LiveLoopSummary> {
  const started = Date.now();
  const settings: Settings = { ...LIVE_LOOP_DEFAULTS, ...withoutUndefined(options) } as Settings;
  checkCounts(settings);
  const outDir = resolve(options.out);
  const paths = liveLoopPaths(outDir);
  await assertFreshLoop(outDir, options.resume === true);
  const { onProgress, signal } = options;
  const strategies = [settings.strategy, ...(settings.compare ?? []).filter((name) => name !== settings.strategy)];
  const say = (phase: string, message: string, data?: Record<string, string | number | boolean>) =>
    reportProgress(onProgress, { phase, ratio: 0, message, ...(data ? { data } : {}) });

  await using lab = await createLiveLab({
    workflow: options.workflow,
    outDir,
    seed: settings.seed,
    workers: settings.workers,
    anomalies: settings.anomalies,
    ...(options.placeOn ? { placeOn: options.placeOn } : {}),
    ...(options.testbed ? { testbed: options.testbed } : {}),
    ...(onProgress ? { onProgress } : {}),
  });
  const deployment = await lab.provision(signal ? { signal } : {});
  const isolation = 'isolation' in deployment ? String(deployment.isolation) : 'unknown';
  const workers = deployment.workers.map((worker) => worker.name);
  say(
    'setup',
    `testbed ${deployment.testbed}: ${workers.length} workers (${workers.join(', ')}), isolation ${isolation}${isolation === 'cgroup' ? '' : ' (anomalies from stressor processes)'}; workflow ${lab.workflow} (${lab.graph.size} jobs)`,
    { testbed: deployment.testbed, workers: workers.join(','), isolation },
  );
  say('stage', `held-out test set: ${settings.testRuns} runs with random anomalies`);
  const testSet = await lab.collectTestSet(settings.testRuns, signal ? { signal } : {});
  say('stage', `calibration: ${settings.calibrationRuns} runs to fit the feature scaler`);
  await lab.calibrate(settings.calibrationRuns, signal ? { signal } : {});
  const evaluation = await lab.evaluationSet();
  // Before any learning: do the labels show in the traces at all? If not, every curve below is noise.
  const anomalyEffects = await lab.measureAnomalyEffects();
  const warnings = describeAnomalyEffects(anomalyEffects, {
    isolation,
    runs: testSet.runIds.length + settings.calibrationRuns,
  });
  for (const warning of warnings) say('warning', warning);

  const results: ActiveLearningResult[] = [];
  const trainingSeconds: Record<string, Array<number | null>> = {};
  for (const strategy of strategies) {
    say('stage', `${strategy}: ${settings.iterations} iterations of ${settings.perIteration} runs (${settings.model})`);
    const backend = lab.createBackend(strategy);
    const seconds: number[] = [];
    const runExperiments = backend.runExperiments.bind(backend);
    backend.runExperiments = async (file, runOptions) => {
      const runs = await runExperiments(file, runOptions);
      seconds.push(sum(runs.durations));
      return runs;
    };
    const result = await runActiveLearning({
      backend,
      evaluation,
      model: settings.model,
      ...(options.task ? { task: defineLearningTask(options.task, ['normal', ...lab.anomalies]) } : {}),
      strategy,
      seed: settings.seed,
      iterations: settings.iterations,
      perIteration: settings.perIteration,
      burnIn: settings.burnIn,
      reselectEvery: settings.reselectEvery,
      ...(settings.steps === undefined ? {} : { stepsPerIteration: settings.steps }),
      ...(options.training ? { training: options.training } : {}),
      ...(options.stopping ? { stopping: options.stopping } : {}),
      costWeight: settings.costWeight,
      checkpoint: paths.checkpoint(strategy),
      requestsDir: paths.requests(strategy),
      resume: options.resume === true,
      ...(signal ? { signal } : {}),
      onProgress: (event) =>
        reportProgress(onProgress, { ...event, phase: 'iteration', data: { ...(event.data ?? {}), strategy } }),
    });
    results.push(result);
    const restored = result.iterations.length - seconds.length;
    const cumulative = seconds.map((_, i) => sum(seconds.slice(0, i + 1)));
    trainingSeconds[strategy] = [...Array<null>(Math.max(0, restored)).fill(null), ...cumulative];
  }

  const summaries = results.map((result) => summarizeLearningCurves([result], { label: result.strategy }));
  const trainingRuns = Object.fromEntries(results.map((r) => [r.strategy, r.iterations.at(-1)?.samples ?? 0]));
  const summary: LiveLoopSummary = {
    workflow: lab.workflow,
    model: settings.model,
    dataset: {
      runs: testSet.runIds.length + settings.calibrationRuns + sum(Object.values(trainingRuns)),
      pool: 0,
      test: evaluation.runs,
      testJobs: evaluation.runs * lab.graph.size,
    },
    settings: {
      strategy: settings.strategy,
      seeds: 1,
      iterations: settings.iterations,
      perIteration: settings.perIteration,
      burnIn: settings.burnIn,
      ...(settings.steps === undefined ? {} : { stepsPerIteration: settings.steps }),
    },
    strategies: summaries,
    live: {
      testbed: deployment.testbed,
      isolation,
      workers,
      anomalies: [...lab.anomalies],
      kinds: [...lab.kinds],
      testRuns: evaluation.runs,
      calibrationRuns: settings.calibrationRuns,
      trainingRuns,
      stopped: Object.fromEntries(results.map((r) => [r.strategy, r.stopAt?.reason ?? r.stopped])),
      trainingSeconds,
      traces: resolve(outDir, 'traces', lab.workflow),
      wallSeconds: (Date.now() - started) / 1000,
    },
    report: paths.report,
    anomalyEffects,
    warnings,
  };
  if (options.reproduce) summary.reproduce = { ...options.reproduce, seeds: [settings.seed] };
  const comparison = compareWithRandom(results, summaries, settings.strategy);
  if (comparison) summary.comparison = { ...comparison, meaningful: anomalyEffects.measurable };
  await mkdir(outDir, { recursive: true });
  await writeFileAtomic(paths.summary, `${JSON.stringify(summary, null, 2)}\n`);
  await writeFileAtomic(paths.report, describeLive(await renderReport(summary), summary));
  return summary;
}

/**
 * The single-seed comparison with random through active-learner's shared summary (the one the emulation and the live
 * benchmark use): target = random's final test ROC-AUC, runs to it, and the AULC gain paired on this seed.
 */
function compareWithRandom(
  results: ActiveLearningResult[],
  summaries: StrategySummary[],
  strategy: StrategyName,
): NonNullable<EmulationSummary['comparison']> | undefined {
  const main = results.find((r) => r.strategy === strategy);
  const random = results.find((r) => r.strategy === 'random');
  const randomSummary = summaries.find((s) => s.strategy === 'random');
  if (!main || !random || main === random || !randomSummary) return undefined;
  const target = randomSummary.final.rocAuc.mean;
  const [mainCurve, randomCurve] = [seedCurveOf(main), seedCurveOf(random)];
  const aulcRuns = Math.max(...mainCurve.points.map((p) => p.runs), ...randomCurve.points.map((p) => p.runs));
  const paired = summarizePairedComparison(strategy, [mainCurve], 'random', [randomCurve], { target, aulcRuns });
  const samples = reachTarget(mainCurve, { target })?.runs ?? null;
  return {
    aulcGain: paired.aulcGain.mean ?? 0,
    target,
    samples,
    randomSamples: randomSummary.final.samples,
    fraction: samples === null ? null : samples / randomSummary.final.samples,
  };
}

type Settings = LiveLoopDefaults & Omit<LiveLoopOptions, keyof LiveLoopDefaults>;

function checkCounts(settings: Settings): void {
  const problems: string[] = [];
  const atLeast = (value: number, min: number, name: string) => {
    if (!Number.isInteger(value) || value < min) problems.push(`${name} must be an integer ≥ ${min} (got ${value})`);
  };
  atLeast(settings.iterations, 2, 'iterations');
  atLeast(settings.perIteration, 1, 'perIteration');
  atLeast(settings.burnIn, 0, 'burnIn');
  atLeast(settings.reselectEvery, 0, 'reselectEvery');
  if (settings.steps !== undefined) atLeast(settings.steps, 1, 'steps');
  if (!(settings.costWeight >= 0)) problems.push(`costWeight must be ≥ 0 (got ${settings.costWeight})`);
  atLeast(settings.testRuns, 2, 'testRuns');
  atLeast(settings.calibrationRuns, 2, 'calibrationRuns');
  atLeast(settings.workers, 1, 'workers');
  if (!Number.isSafeInteger(settings.seed)) problems.push(`seed must be an integer (got ${settings.seed})`);
  if (problems.length > 0) throw invalidOptions(problems);
}

/** `renderReport` titles its page for emulation; say what this run was instead. */
function describeLive(html: string, summary: LiveLoopSummary): string {
  const training = Object.entries(summary.live.trainingRuns)
    .map(([strategy, runs]) => `${runs} ${strategy}`)
    .join(', ');
  return html
    .replace('Active learning emulation:', `Active learning, live on testbed-${summary.live.testbed}:`)
    .replace(
      /\b0 pool runs\b/,
      `live runs on ${summary.live.workers.length} workers (isolation ${summary.live.isolation}; anomalies ${summary.live.kinds.filter((kind) => kind !== 'normal').join(', ')}): ${training} training runs, ${summary.live.calibrationRuns} calibration runs`,
    );
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function sum(values: number[]): number {
  return values.reduce((total, value) => total + value, 0);
}
