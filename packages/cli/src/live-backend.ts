/*
 * The live experiment backend: active-learner queries -> experiment-request files (the translation layer) -> the
 * controller -> a testbed (testbed-local by default) -> Flow-Bench gen-2 CSVs -> labelled, scaled tensors.
 * Reference: Raghavan, Papadimitriou et al., active-learning paper §3.2.2 (translation layer) and §4 (the live
 * setting: one workflow, 2 executions per iteration, a held-out test set); testbeds.md §1.8.
 */
import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import {
  type AnomalyEffectAssessment,
  assessAnomalyEffects,
  type ExperimentBackend,
  type ExperimentOption,
  type ExperimentRequestFile,
  type JobObservation,
  type LabelledRuns,
  optionOf,
  requestLabel,
} from '@proteus-wf/active-learner';
import {
  type CampaignConfig,
  type CampaignResult,
  type Controller,
  createController,
  type ExperimentRequest,
} from '@proteus-wf/controller';
import {
  createRng,
  type Deployment,
  type LongOperationOptions,
  type ProgressEvent,
  ProteusError,
  type Rng,
  reportProgress,
  restoreRng,
  type Testbed,
  throwIfAborted,
} from '@proteus-wf/core';
import {
  applyScaler,
  extractFeatures,
  type FeaturePipelineName,
  type FeatureSet,
  type FlowBenchDataset,
  fitScaler,
  loadFlowBench,
  NORMAL_LABEL,
  type Scaler,
  type ScalerKind,
} from '@proteus-wf/features';
import { createInjector, parseAnomaly } from '@proteus-wf/injector';
import { createLocalTestbed } from '@proteus-wf/testbed-local';
import {
  loadWorkflowGraph,
  parseFlowBenchAdjacency,
  topologicalOrder,
  type WorkflowGraph,
} from '@proteus-wf/workflow-graph';

/** Options of {@link createLiveLab}. */
export interface LiveLabOptions {
  /** The workflow's Pegasus YAML 5.0 file (transformations are local programs). */
  workflow: string;
  /** Where the test set, the calibration runs, the traces, logs, ledgers and the testbed's work go. */
  outDir: string;
  /** Seeds the random anomalies, the anomalous workers and the testbed's placement (default 0). */
  seed?: number;
  /** Workers of the default local testbed (default 2). */
  workers?: number;
  /** Anomalies (dataset names) the learner may ask for and the random runs draw from (default `cpu_1`, `hdd_1`). */
  anomalies?: readonly string[];
  /** Feature pipeline of the tensors (default `flowbench-v1`). */
  pipeline?: FeaturePipelineName;
  /** Scaler fitted on the calibration runs (default `minmax`). */
  scaler?: ScalerKind;
  /** The testbed to run on; default a `createLocalTestbed` in `<outDir>/.testbed` that the lab releases. */
  testbed?: Testbed;
  /**
   * Progress: phase `batch` (a backend starts a request file; `data.backend`, `data.id`, `data.runs`), `experiment` (a run starts; `data.runId`,
   * `data.anomaly`, `data.run`/`data.runs`) and `jobs` (the running run's jobs: `data.done`, `data.running`, `data.total`).
   */
  onProgress?: (event: ProgressEvent) => void;
}

/** Runs a lab collected for its own use (test set, calibration): ids, labels and CSVs. */
export interface LiveRunSet {
  /** `<folder>/<run>` (`test-set/1000genome-like-run0001`): unique across the lab's folders. */
  runIds: string[];
  /** Run labels (`normal`, `cpu_1`, ...). */
  labels: string[];
  csvPaths: string[];
}

/** The held-out test set as scaled tensors (the loop's `evaluation`). */
export interface LiveEvaluationSet {
  runIds: string[];
  runs: number;
  /** Scaled features `[runs, N, F]`. */
  x: Float32Array;
  /** 1 = anomalous job, `[runs, N]`. */
  jobBinary: Uint8Array;
  /** Each job's label (`normal`, `cpu_1`, ...), `[runs, N]`: per-anomaly metrics. */
  jobLabels: string[];
}

/** An `ExperimentBackend` that runs real experiments on the lab's testbed. */
export interface LiveBackend extends ExperimentBackend {
  /** Prefix of this backend's request ids (one backend per strategy). */
  readonly name: string;
  isHeldOut(runId: string): boolean;
}

/** A live lab: one testbed, a held-out test set, a scaler, and backends that share them. */
export interface LiveLab extends AsyncDisposable {
  /** The workflow's name (from its YAML), which names its traces. */
  readonly workflow: string;
  readonly workflowPath: string;
  /** The DAG in the node order of the tensors. */
  readonly graph: WorkflowGraph;
  readonly anomalies: readonly string[];
  readonly outDir: string;
  /** Fitted by `calibrate`; `undefined` before. */
  readonly scaler: Scaler | undefined;
  /** Provisions the testbed (idempotent) and returns its deployment. */
  provision(options?: LongOperationOptions): Promise<Deployment>;
  /** Runs (or, after a crash, finishes) the held-out test set: `runs` runs with seeded random anomalies. */
  collectTestSet(runs: number, options?: LongOperationOptions): Promise<LiveRunSet>;
  /** Runs `runs` more random runs, used only to fit the feature scaler (never trained or tested on). */
  calibrate(runs: number, options?: LongOperationOptions): Promise<LiveRunSet>;
  /** The test set scaled with the calibration scaler. */
  evaluationSet(): Promise<LiveEvaluationSet>;
  /**
   * Whether the injected anomalies measurably changed the jobs they label, from the traced runtimes of the test and
   * calibration runs (labels only, no model): see `assessAnomalyEffects`. Needs `collectTestSet` and `calibrate`.
   */
  measureAnomalyEffects(): Promise<AnomalyEffectAssessment>;
  /** A backend whose requests are named `<name>-<request id>` in the shared `traces/` folder; needs `calibrate`. */
  createBackend(name: string): LiveBackend;
  /** Releases the testbed when the lab created it. Idempotent. */
  release(): Promise<void>;
}

interface LiveBackendState {
  batches: number;
}

interface CollectedSet extends LiveRunSet {
  localIds: string[];
}

const DEFAULTS = {
  seed: 0,
  workers: 2,
  anomalies: ['cpu_1', 'hdd_1'] as readonly string[],
  pipeline: 'flowbench-v1' as FeaturePipelineName,
  scaler: 'minmax' as ScalerKind,
};
const WHERE = 'cli/live';
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/**
 * Creates a live lab on a testbed. The held-out test set goes to `<outDir>/test-set/`, the scaler's calibration runs
 * to `<outDir>/calibration/`, and every backend's experiments to `<outDir>/traces/`: each folder is a Flow-Bench
 * gen-2 dataset with its own experiment log and injector ledger (`proteus dataset inspect <outDir>/traces/<workflow>`
 * reads it), so a test run can never be trained on or scaled with. Request ids are deterministic, so a rerun after a
 * crash finishes the interrupted runs instead of repeating the finished ones.
 * @example
 * await using lab = await createLiveLab({ workflow: 'wf/workflow.yml', outDir: 'out', seed: 1 });
 * await lab.collectTestSet(4);
 * await lab.calibrate(2);
 * const backend = lab.createBackend('gradient');
 * const runs = await backend.runExperiments({ requests: [{ workflow: lab.workflow, anomaly: 'hdd', level: 1, anomalousWorkers: 1, runs: 2 }] });
 * @throws ProteusError PROTEUS_CLI_LIVE_INVALID_OPTIONS for a bad seed, worker count, anomaly, run count or workflow name
 * @throws ProteusError PROTEUS_GRAPH_* when the workflow cannot be read
 * @throws ProteusError (from the lab's methods) PROTEUS_CLI_LIVE_COLLECT_FAILED when test or calibration runs fail,
 *   PROTEUS_CLI_LIVE_NOT_READY when `evaluationSet`/`createBackend` come before `collectTestSet`/`calibrate`,
 *   PROTEUS_CLI_LIVE_RUNS_FAILED when every run of a request file fails, PROTEUS_CLI_LIVE_WORKFLOW_MISMATCH,
 *   PROTEUS_CLI_LIVE_TRACE_INVALID, PROTEUS_CLI_LIVE_RELEASED, and the testbed's and controller's codes
 */
export async function createLiveLab(options: LiveLabOptions): Promise<LiveLab> {
  const seed = options.seed ?? DEFAULTS.seed;
  const workerCount = options.workers ?? DEFAULTS.workers;
  const anomalies = [...(options.anomalies ?? DEFAULTS.anomalies)];
  const problems: string[] = [];
  if (!Number.isSafeInteger(seed)) problems.push(`seed must be an integer (got ${String(seed)})`);
  if (!Number.isInteger(workerCount) || workerCount < 1)
    problems.push(`workers must be ≥ 1 (got ${String(workerCount)})`);
  if (anomalies.length === 0) problems.push('anomalies must name at least one anomaly (e.g. cpu_1, hdd_1)');
  for (const anomaly of anomalies) {
    if (anomaly === 'normal') problems.push('anomalies lists what can be injected; "normal" is always available');
    else if (!/^[a-z]+_\d+(\.\d+)?$/.test(anomaly))
      problems.push(`anomaly "${anomaly}" is not a dataset name like cpu_1 or hdd_5`);
    else {
      try {
        parseAnomaly(anomaly);
      } catch (error) {
        problems.push(error instanceof Error ? error.message : String(error));
      }
    }
  }
  if (problems.length > 0) throw invalidOptions(problems);

  const outDir = resolve(options.outDir);
  const workflowPath = resolve(options.workflow);
  const definition = await loadWorkflowGraph(workflowPath);
  const workflow = definition.workflow;
  if (!NAME.test(workflow)) {
    throw invalidOptions([
      `the workflow in ${workflowPath} needs a "name" of letters, digits, ".", "_" and "-" (got "${workflow}")`,
    ]);
  }
  // The controller writes the DAG as a Flow-Bench adjacency list in topological order; build the same graph here so
  // the node order is known before the first run.
  const adjacency: Record<string, string[]> = {};
  for (const job of topologicalOrder(definition)) adjacency[job] = definition.children(job);
  const graph = parseFlowBenchAdjacency(adjacency, { workflow, source: workflowPath });
  const pipeline = options.pipeline ?? DEFAULTS.pipeline;
  const scalerKind = options.scaler ?? DEFAULTS.scaler;
  // Drawn once here, in a fixed order, so the test set and the calibration runs do not depend on which comes first.
  const base = createRng(seed);
  const testRng = base.fork();
  const calibrationRng = base.fork();

  const ownsTestbed = options.testbed === undefined;
  const testbed =
    options.testbed ??
    // Workers weighted like dedicated machines, so a withheld core slows their jobs even on a busy host.
    createLocalTestbed({ workers: workerCount, workDir: join(outDir, '.testbed'), seed, cpuWeight: 64 });
  const folders = {
    test: join(outDir, 'test-set'),
    calibration: join(outDir, 'calibration'),
    traces: join(outDir, 'traces'),
  };
  const makeController = (folder: string): Controller => {
    const ledgerPath = join(folder, 'injector-ledger.jsonl');
    return createController({
      testbed,
      injector: createInjector({ ledgerPath, workDir: outDir }),
      outDir: folder,
      seed,
      ledgerPath,
    });
  };
  const controllers = {
    test: makeController(folders.test),
    calibration: makeController(folders.calibration),
    traces: makeController(folders.traces),
  };
  const caches = {
    test: createTraceCache(join(folders.test, workflow), graph, pipeline),
    calibration: createTraceCache(join(folders.calibration, workflow), graph, pipeline),
    traces: createTraceCache(join(folders.traces, workflow), graph, pipeline),
  };
  let config: Pick<CampaignConfig, 'infrastructure' | 'workflows'> | undefined;
  let deployment: Deployment | undefined;
  let testSet: CollectedSet | undefined;
  let calibrationSet: CollectedSet | undefined;
  let scaler: Scaler | undefined;
  let released = false;

  const assertLive = () => {
    if (released)
      throw new ProteusError('PROTEUS_CLI_LIVE_RELEASED', `${WHERE}: the lab was released; create a new one`);
  };

  async function provision(provisionOptions: LongOperationOptions = {}): Promise<Deployment> {
    assertLive();
    if (deployment) return deployment;
    await mkdir(outDir, { recursive: true });
    const provisioned = await testbed.provision(provisionOptions);
    config = {
      infrastructure: {
        workers: provisioned.workers.map((worker) => ({
          name: worker.name,
          cores: worker.cores,
          memoryMb: worker.memoryMb,
          site: worker.site,
        })),
      },
      workflows: { [workflow]: { path: workflowPath } },
    };
    deployment = provisioned;
    return provisioned;
  }

  async function runBatch(
    kind: keyof typeof controllers,
    batch: string,
    requests: ExperimentRequest[],
    runOptions: LongOperationOptions,
  ): Promise<CampaignResult> {
    await provision(runOptions.signal ? { signal: runOptions.signal } : {});
    const onProgress = forwardProgress(basename(folders[kind]), batch, options.onProgress);
    return controllers[kind].runRequests(
      { id: batch, requests },
      {
        config: config as NonNullable<typeof config>,
        ...(runOptions.signal ? { signal: runOptions.signal } : {}),
        ...(onProgress ? { onProgress } : {}),
      },
    );
  }

  /** `runs` single-run requests whose anomalies cycle through seeded shuffles of normal + every anomaly. */
  function randomRequests(rng: Rng, runs: number): ExperimentRequest[] {
    const kinds = ['normal', ...anomalies];
    const drawn: string[] = [];
    while (drawn.length < runs) drawn.push(...rng.fork().shuffle([...kinds]));
    return drawn
      .slice(0, runs)
      .map((anomaly) => ({ workflow, anomaly, anomalousWorkers: anomaly === 'normal' ? 0 : 1, runs: 1 }));
  }

  async function collect(
    kind: 'test' | 'calibration',
    rng: Rng,
    runs: number,
    runOptions: LongOperationOptions,
  ): Promise<CollectedSet> {
    assertLive();
    const name = kind === 'test' ? 'test-set' : 'calibration';
    if (!Number.isInteger(runs) || runs < 2) {
      throw invalidOptions([`the ${name} needs at least 2 runs (one normal, one anomalous); got ${String(runs)}`]);
    }
    throwIfAborted(runOptions.signal, `${WHERE}/${name}`);
    // A fork per call keeps the draw independent of how many sets were collected before (resume-safe).
    const requests = randomRequests(restoreRng(rng.save()), runs);
    const result = await runBatch(kind, `${name}-${runs}r-s${seed}-${digestOf(requests)}`, requests, runOptions);
    const done = result.runs.filter((run) => run.status === 'done');
    if (done.length < 2 || done.every((run) => run.anomaly === 'normal')) {
      throw new ProteusError(
        'PROTEUS_CLI_LIVE_COLLECT_FAILED',
        `${WHERE}/${name}: ${result.failed} of ${result.runs.length} runs failed (${firstError(result)}); see ${join(folders[kind], 'experiments.log.jsonl')}`,
        { details: result.runs },
      );
    }
    return {
      runIds: done.map((run) => `${name}/${run.id}`),
      localIds: done.map((run) => run.id),
      labels: done.map((run) => run.anomaly),
      csvPaths: done.map((run) => run.csv as string),
    };
  }

  const publicSet = (set: CollectedSet): LiveRunSet => ({
    runIds: [...set.runIds],
    labels: [...set.labels],
    csvPaths: [...set.csvPaths],
  });

  const lab: LiveLab = {
    workflow,
    workflowPath,
    graph,
    anomalies,
    outDir,
    get scaler() {
      return scaler;
    },
    provision,
    async collectTestSet(runs, runOptions = {}) {
      testSet = await collect('test', testRng, runs, runOptions);
      return publicSet(testSet);
    },
    async calibrate(runs, runOptions = {}) {
      const set = await collect('calibration', calibrationRng, runs, runOptions);
      calibrationSet = set;
      const loaded = await caches.calibration.load(set.localIds);
      scaler = fitScaler(loaded.set, {
        kind: scalerKind,
        runs: set.localIds.map((id) => loaded.runIndex.get(id) as number),
      });
      return publicSet(set);
    },
    async evaluationSet() {
      if (!testSet || !scaler) {
        throw new ProteusError(
          'PROTEUS_CLI_LIVE_NOT_READY',
          `${WHERE}/evaluationSet: call collectTestSet and calibrate first`,
        );
      }
      const loaded = await caches.test.load(testSet.localIds);
      const indices = testSet.localIds.map((id) => loaded.runIndex.get(id) as number);
      const { x, jobBinary, jobLabels } = gather(loaded.set, indices, scaler);
      return { runIds: [...testSet.runIds], runs: indices.length, x, jobBinary, jobLabels };
    },
    async measureAnomalyEffects() {
      if (!testSet || !calibrationSet) {
        throw new ProteusError(
          'PROTEUS_CLI_LIVE_NOT_READY',
          `${WHERE}/measureAnomalyEffects: call collectTestSet and calibrate first`,
        );
      }
      const jobs = [
        ...jobObservations(await caches.test.load(testSet.localIds), testSet.localIds, 'test-set'),
        ...jobObservations(
          await caches.calibration.load(calibrationSet.localIds),
          calibrationSet.localIds,
          'calibration',
        ),
      ];
      return assessAnomalyEffects(jobs, { normalLabel: NORMAL_LABEL, quantity: 'traced runtime' });
    },
    createBackend(name) {
      assertLive();
      if (!NAME.test(name)) throw invalidOptions([`backend name "${name}" must be letters, digits, ".", "_" and "-"`]);
      const frozen = scaler;
      if (!frozen)
        throw new ProteusError(
          'PROTEUS_CLI_LIVE_NOT_READY',
          `${WHERE}/createBackend: call calibrate first (the scaler comes from it)`,
        );
      let state: LiveBackendState = { batches: 0 };
      const backend: LiveBackend = {
        name,
        workflow,
        graph,
        jobNames: graph.jobNames(),
        nodes: graph.size,
        features: frozen.featureNames.length,
        options(): ExperimentOption[] {
          return ['normal', ...anomalies].map((label) => ({ label, ...optionOf(label) }));
        },
        isHeldOut: (runId) => runId.startsWith('test-set/'),
        async runExperiments(file: ExperimentRequestFile, runOptions = {}): Promise<LabelledRuns> {
          assertLive();
          const wrong = file.requests.find((request) => request.workflow !== workflow);
          if (wrong) {
            throw new ProteusError(
              'PROTEUS_CLI_LIVE_WORKFLOW_MISMATCH',
              `${WHERE}/runExperiments: request for workflow "${wrong.workflow}" but this lab runs "${workflow}"`,
            );
          }
          const requests = file.requests.map((request): ExperimentRequest => {
            const copy: ExperimentRequest = {
              workflow,
              anomaly: request.anomaly,
              anomalousWorkers: request.anomalousWorkers,
              runs: request.runs,
            };
            if (request.level !== undefined) copy.level = request.level;
            if (request.hints) copy.hints = request.hints;
            return copy;
          });
          // The id names the experiments: the same query again (a resumed iteration) reuses its runs; a different
          // query under the same file id (other settings) gets new ones.
          const batch = `${name}-${file.id ?? `q${String(state.batches + 1).padStart(4, '0')}`}-${digestOf(requests)}`;
          reportProgress(options.onProgress, {
            phase: 'batch',
            ratio: 0,
            message: `${batch}: ${requests.map((request) => `${requestLabel(request)} ×${request.runs}`).join(', ')}`,
            data: {
              backend: name,
              batch,
              id: file.id ?? '',
              runs: requests.reduce((sum, request) => sum + request.runs, 0),
            },
          });
          const result = await runBatch('traces', batch, requests, runOptions);
          const done = result.runs.filter((run) => run.status === 'done');
          if (done.length === 0) {
            throw new ProteusError(
              'PROTEUS_CLI_LIVE_RUNS_FAILED',
              `${WHERE}/runExperiments: every run of ${batch} failed (${firstError(result)}); see ${join(folders.traces, 'experiments.log.jsonl')}`,
              { details: result.runs },
            );
          }
          const loaded = await caches.traces.load(done.map((run) => run.id));
          const indices = done.map((run) => loaded.runIndex.get(run.id) as number);
          state.batches++;
          return {
            runIds: done.map((run) => `traces/${run.id}`),
            labels: done.map((run) => run.anomaly),
            durations: indices.map((index) => runDuration(loaded.dataset, index)),
            substitutions: result.runs
              .filter((run) => run.status !== 'done')
              .map((run) => ({ requested: run.anomaly, ran: `none (${run.error?.code ?? 'failed'})` })),
            ...gather(loaded.set, indices, frozen),
          };
        },
        save(): LiveBackendState {
          return { ...state };
        },
        restore(saved: unknown) {
          const candidate = saved as Partial<LiveBackendState> | null;
          if (!candidate || !Number.isInteger(candidate.batches)) {
            throw new ProteusError('PROTEUS_CLI_LIVE_CHECKPOINT_INVALID', `${WHERE}/restore: not a live backend state`);
          }
          state = { batches: candidate.batches as number };
        },
      };
      return backend;
    },
    async release() {
      if (released) return;
      released = true;
      if (ownsTestbed) await testbed.release();
    },
    async [Symbol.asyncDispose]() {
      await lab.release();
    },
  };
  return lab;
}

/**
 * Re-emits the controller's progress as `experiment` (a run starts) and `jobs` (its jobs) events of a batch;
 * `data.labRunId` is the run's lab-wide id (`<folder>/<run>`).
 */
function forwardProgress(
  folder: string,
  batch: string,
  onProgress: ((event: ProgressEvent) => void) | undefined,
): ((event: ProgressEvent) => void) | undefined {
  if (!onProgress) return undefined;
  return (event) => {
    const data = (event.data ?? {}) as Record<string, unknown>;
    if (event.phase === 'run' && typeof data.runId === 'string') {
      reportProgress(onProgress, {
        phase: 'experiment',
        ratio: event.ratio,
        message: `${batch} ${event.message ?? ''}`,
        data: { batch, ...data, labRunId: `${folder}/${data.runId}` },
      });
    } else if (event.phase === 'run:run' && typeof data.total === 'number') {
      reportProgress(onProgress, {
        phase: 'jobs',
        ratio: event.ratio,
        message: event.message ?? '',
        data: { batch, ...data },
      });
    }
  };
}

interface LoadedTraces {
  dataset: FlowBenchDataset;
  set: FeatureSet;
  runIndex: Map<string, number>;
}

/** Loads a controller's trace folder once per new run and keeps the features of every run it holds. */
function createTraceCache(folder: string, graph: WorkflowGraph, pipeline: FeaturePipelineName) {
  let loaded: LoadedTraces | undefined;
  return {
    async load(runIds: string[]): Promise<LoadedTraces> {
      if (loaded && runIds.every((id) => loaded?.runIndex.has(id))) return loaded;
      const dataset = await loadFlowBench(folder, { adjacency: graph, generation: 2 });
      const set = extractFeatures(dataset, { pipeline });
      const runIndex = new Map(dataset.runs.map((run) => [run.runId, run.runIndex]));
      const missing = runIds.filter((id) => !runIndex.has(id));
      if (missing.length > 0) {
        const skipped = dataset.skipped.filter((run) => missing.some((id) => run.file.includes(id)));
        throw new ProteusError(
          'PROTEUS_CLI_LIVE_TRACE_INVALID',
          `${WHERE}: ${missing.length} trace(s) in ${folder} could not be read: ${skipped.map((run) => `${run.file}: ${run.message}`).join('; ') || missing.join(', ')}`,
          { details: { missing, skipped } },
        );
      }
      loaded = { dataset, set, runIndex };
      return loaded;
    },
  };
}

/** Scaled features, binary and named job labels of some runs. Labels are any anomaly name (not only Flow-Bench's). */
function gather(
  set: FeatureSet,
  indices: number[],
  scaler: Scaler,
): { x: Float32Array; jobBinary: Uint8Array; jobLabels: string[] } {
  const scaled = applyScaler(set, scaler).values;
  const n = set.jobsPerRun;
  const f = set.featureNames.length;
  const x = new Float32Array(indices.length * n * f);
  const jobBinary = new Uint8Array(indices.length * n);
  const jobLabels: string[] = [];
  indices.forEach((run, k) => {
    x.set(scaled.subarray(run * n * f, (run + 1) * n * f), k * n * f);
    for (let j = 0; j < n; j++) {
      const label = set.jobLabels[run * n + j] ?? NORMAL_LABEL;
      jobBinary[k * n + j] = label === NORMAL_LABEL ? 0 : 1;
      jobLabels.push(label);
    }
  });
  return { x, jobBinary, jobLabels };
}

/** Each job's traced runtime and label in some runs of a trace folder. */
function jobObservations(loaded: LoadedTraces, runIds: string[], folder: string): JobObservation[] {
  const runtime = loaded.dataset.jobs.getChild('runtime');
  const names = loaded.dataset.graph.jobNames();
  const n = loaded.set.jobsPerRun;
  return runIds.flatMap((id) => {
    const run = loaded.runIndex.get(id) as number;
    return names.map((job, j) => ({
      run: `${folder}/${id}`,
      job,
      label: loaded.set.jobLabels[run * n + j] ?? NORMAL_LABEL,
      value: Math.max(0, Number(runtime?.get(run * n + j) ?? 0) || 0),
    }));
  });
}

/** Wall time of one run: latest job end minus earliest `ready`, in seconds. */
function runDuration(dataset: FlowBenchDataset, run: number): number {
  const ready = dataset.jobs.getChild('ready');
  const ends = ['execute_end', 'post_script_end', 'stage_out_end'].map((name) => dataset.jobs.getChild(name));
  let start = Number.POSITIVE_INFINITY;
  let end = Number.NEGATIVE_INFINITY;
  for (let row = run * dataset.jobsPerRun; row < (run + 1) * dataset.jobsPerRun; row++) {
    const s = ready?.get(row) as number | null | undefined;
    if (typeof s === 'number' && Number.isFinite(s)) start = Math.min(start, s);
    for (const column of ends) {
      const e = column?.get(row) as number | null | undefined;
      if (typeof e === 'number' && Number.isFinite(e)) end = Math.max(end, e);
    }
  }
  return Number.isFinite(start) && Number.isFinite(end) && end >= start ? end - start : 0;
}

/** Eight hex digits naming a list of requests, so other requests never reuse a batch's runs. */
function digestOf(requests: ExperimentRequest[]): string {
  return createHash('sha256').update(JSON.stringify(requests)).digest('hex').slice(0, 8);
}

function firstError(result: CampaignResult): string {
  const failed = result.runs.find((run) => run.error);
  return failed?.error ? `${failed.error.code}: ${failed.error.message}` : 'no error recorded';
}

function invalidOptions(problems: string[]): ProteusError {
  return new ProteusError(
    'PROTEUS_CLI_LIVE_INVALID_OPTIONS',
    `${WHERE}: ${problems.length} problem${problems.length === 1 ? '' : 's'}: ${problems.join('; ')}`,
    { details: { problems } },
  );
}
