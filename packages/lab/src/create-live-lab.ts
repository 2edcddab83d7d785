/*
 * The live lab: active-learner queries -> experiment-request files (the translation layer) -> the controller -> a
 * testbed (testbed-local by default) -> Flow-Bench gen-2 CSVs -> labelled, scaled tensors.
 * Reference: Raghavan, Papadimitriou et al., active-learning paper §3.2.2 (translation layer) and §4 (the live
 * setting: one workflow, 2 executions per iteration, a held-out test set); testbeds.md §1.8.
 */
import { type AnomalyEffectAssessment, assessAnomalyEffects } from '@proteus-wf/active-learner';
import {
  createRng,
  type Deployment,
  type LongOperationOptions,
  type ProgressEvent,
  ProteusError,
  type Testbed,
} from '@proteus-wf/core';
import { type FeaturePipelineName, NORMAL_LABEL, type Scaler, type ScalerKind } from '@proteus-wf/features';
import type { WorkflowGraph } from '@proteus-wf/workflow-graph';
import { calibrateScaler } from './calibrate-scaler.js';
import { type CollectedRunSet, collectRunSet, type LiveRunSet } from './collect-run-set.js';
import { createLiveBackend, type LiveBackend } from './create-live-backend.js';
import { createLabContext } from './internal/lab-context.js';
import { WHERE } from './internal/lab-errors.js';
import { gather, jobObservations } from './internal/trace-cache.js';

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
  /**
   * Transformations whose jobs can carry a placed anomaly: for each anomaly `a` and transformation `t` the lab also
   * offers `a@t`, the anomaly on the worker running `t`'s jobs while they run (needs `testbed.supportsPlacement`).
   */
  placeOn?: readonly string[];
  /** Feature pipeline of the tensors (default `flowbench-v1`). */
  pipeline?: FeaturePipelineName;
  /** Scaler fitted on the calibration runs (default `minmax`). */
  scaler?: ScalerKind;
  /** The testbed to run on; default a `createLocalTestbed` in `<outDir>/.testbed` that the lab releases. */
  testbed?: Testbed;
  /**
   * Progress: phase `batch` (a backend starts a request file; `data.backend`, `data.id`, `data.runs`), `experiment` (a
   * run starts; `data.runId`, `data.anomaly`, `data.run`/`data.runs`) and `jobs` (the running run's jobs:
   * `data.done`, `data.running`, `data.total`).
   */
  onProgress?: (event: ProgressEvent) => void;
}

export type { LiveRunSet } from './collect-run-set.js';

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

/** A live lab: one testbed, a held-out test set, a scaler, and backends that share them. */
export interface LiveLab extends AsyncDisposable {
  /** The workflow's name (from its YAML), which names its traces. */
  readonly workflow: string;
  readonly workflowPath: string;
  /** The DAG in the node order of the tensors. */
  readonly graph: WorkflowGraph;
  readonly anomalies: readonly string[];
  /** Every run kind the lab offers: `normal`, each anomaly, each placed anomaly. */
  readonly kinds: readonly string[];
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

/**
 * Creates a live lab on a testbed. The held-out test set goes to `<outDir>/test-set/`, the scaler's calibration runs
 * to `<outDir>/calibration/`, and every backend's experiments to `<outDir>/traces/`: each folder is a Flow-Bench
 * gen-2 dataset with its own experiment log and injector ledger, so a test run can never be trained on or scaled
 * with. Request ids are deterministic, so a rerun after a crash finishes the interrupted runs instead of repeating
 * the finished ones.
 * @example
 * await using lab = await createLiveLab({ workflow: 'wf/workflow.yml', outDir: 'out', seed: 1 });
 * await lab.collectTestSet(4);
 * await lab.calibrate(2);
 * const backend = lab.createBackend('gradient');
 * const runs = await backend.runExperiments({ requests: [{ workflow: lab.workflow, anomaly: 'hdd', level: 1, anomalousWorkers: 1, runs: 2 }] });
 * @throws ProteusError PROTEUS_LAB_INVALID_OPTIONS for a bad seed, worker count, anomaly, placement, run count or
 *   workflow name
 * @throws ProteusError PROTEUS_GRAPH_* when the workflow cannot be read
 * @throws ProteusError (from the lab's methods) PROTEUS_LAB_COLLECT_FAILED when test or calibration runs fail,
 *   PROTEUS_LAB_NOT_READY when `evaluationSet`/`createBackend` come before `collectTestSet`/`calibrate`,
 *   PROTEUS_LAB_RUNS_FAILED when every run of a request file fails, PROTEUS_LAB_WORKFLOW_MISMATCH,
 *   PROTEUS_LAB_TRACE_INVALID, PROTEUS_LAB_RELEASED, and the testbed's and controller's codes
 */
export async function createLiveLab(options: LiveLabOptions): Promise<LiveLab> {
  const context = await createLabContext(options);
  // Drawn once here, in a fixed order, so the test set and the calibration runs do not depend on which comes first.
  const base = createRng(context.seed);
  const testRng = base.fork();
  const calibrationRng = base.fork();
  let testSet: CollectedRunSet | undefined;
  let calibrationSet: CollectedRunSet | undefined;
  let scaler: Scaler | undefined;
  const notReady = (method: string, needs: string) =>
    new ProteusError('PROTEUS_LAB_NOT_READY', `${WHERE}/${method}: call ${needs} first`);

  const lab: LiveLab = {
    workflow: context.workflow,
    workflowPath: context.workflowPath,
    graph: context.graph,
    anomalies: context.anomalies,
    kinds: context.kinds,
    outDir: context.outDir,
    get scaler() {
      return scaler;
    },
    provision: context.provision,
    async collectTestSet(runs, runOptions = {}) {
      testSet = await collectRunSet(context, 'test', testRng, runs, runOptions);
      return publicSet(testSet);
    },
    async calibrate(runs, runOptions = {}) {
      const set = await collectRunSet(context, 'calibration', calibrationRng, runs, runOptions);
      calibrationSet = set;
      scaler = await calibrateScaler(context, set);
      return publicSet(set);
    },
    async evaluationSet() {
      if (!testSet || !scaler) throw notReady('evaluationSet', 'collectTestSet and calibrate');
      const loaded = await context.caches.test.load(testSet.localIds);
      const indices = testSet.localIds.map((id) => loaded.runIndex.get(id) as number);
      return { runIds: [...testSet.runIds], runs: indices.length, ...gather(loaded.set, indices, scaler) };
    },
    async measureAnomalyEffects() {
      if (!testSet || !calibrationSet) throw notReady('measureAnomalyEffects', 'collectTestSet and calibrate');
      const jobs = [
        ...jobObservations(await context.caches.test.load(testSet.localIds), testSet.localIds, 'test-set'),
        ...jobObservations(
          await context.caches.calibration.load(calibrationSet.localIds),
          calibrationSet.localIds,
          'calibration',
        ),
      ];
      return assessAnomalyEffects(jobs, { normalLabel: NORMAL_LABEL, quantity: 'traced runtime' });
    },
    createBackend(name) {
      context.assertLive();
      if (!scaler) throw notReady('createBackend', 'calibrate (the scaler comes from it)');
      return createLiveBackend(context, name, scaler);
    },
    release: context.release,
    async [Symbol.asyncDispose]() {
      await context.release();
    },
  };
  return lab;
}

function publicSet(set: CollectedRunSet): LiveRunSet {
  return { runIds: [...set.runIds], labels: [...set.labels], csvPaths: [...set.csvPaths] };
}
