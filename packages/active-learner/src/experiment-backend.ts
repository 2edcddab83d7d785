import type { WorkflowGraph } from '@proteus-wf/workflow-graph';
import type { ExperimentRequestFile } from './experiment-requests.js';

/** Labelled runs an `ExperimentBackend` returns: scaled features and labels, in request order. */
export interface LabelledRuns {
  runIds: string[];
  /** Run labels (`normal`, `cpu_2`, ...). */
  labels: string[];
  /** Scaled features `[runs, N, F]`. */
  x: Float32Array;
  /** 1 = anomalous job, `[runs, N]`. */
  jobBinary: Uint8Array;
  /** Job labels `[runs, N]` (`normal` or the anomaly). */
  jobLabels: string[];
  /** Wall time of each run in seconds (the cost-aware strategies' expected runtime). */
  durations: number[];
  /** Option key of each run (`cpu_2@many`), when the backend knows its placement; else the label is the key. */
  optionKeys?: string[];
  /** Requests the backend could not serve exactly (e.g. the pool ran out of a type), and what it ran instead. */
  substitutions: { requested: string; ran: string }[];
}

/** Unlabelled pool runs that an experiment option would replay (pool-based emulation only): features, no labels. */
export interface CandidateRuns {
  runIds: string[];
  runs: number;
  /** Scaled features `[runs, N, F]`. */
  x: Float32Array;
}

/**
 * How much of a run an anomaly reaches: the share of the run's jobs that ran on an anomalous worker, in buckets
 * (`none` for normal runs). In emulation it picks pool runs; on a testbed it follows from the placement.
 */
export type AnomalyReach = 'none' | 'few' | 'some' | 'many';

/**
 * One experiment the backend can run: a run configuration (anomaly type x level x number and placement of anomalous
 * workers x target jobs), never a job label. Compatible with a testbed placement: `anomalousWorkers` workers get the
 * anomaly, on the workers running `targetJobs` when given.
 */
export interface ExperimentOption {
  /** `normal`, `cpu_2`, `hdd_10`, ...: the label of the runs it produces. */
  label: string;
  anomaly: string;
  level?: number;
  /** Distinguishes options of one label (default `label`): `cpu_2@many`, see `optionKey`. */
  key?: string;
  /** Workers that get the anomaly (0 for normal runs; default the request's). */
  anomalousWorkers?: number;
  /** Inject on the workers running these jobs, while they run (the placement). */
  targetJobs?: readonly string[];
  /** Share of jobs the anomaly reaches (emulation: which pool runs an option replays). */
  reach?: AnomalyReach;
  /** Runs of this option the backend can still return (emulation); absent when unbounded (a live testbed). */
  available?: number;
  /** Mean wall time in seconds of this option's runs, when known (emulation: from the pool's traces). */
  expectedSeconds?: number;
}

/** Where experiments run: the emulation over pre-captured traces, or a live testbed through the controller. */
export interface ExperimentBackend {
  readonly workflow: string;
  /** The workflow's DAG (the models aggregate over it). */
  readonly graph: WorkflowGraph;
  /** Job names in node order (the hints name them). */
  readonly jobNames: readonly string[];
  readonly nodes: number;
  readonly features: number;
  /** What can be requested. */
  options(): ExperimentOption[];
  /** Runs the requests and returns the labelled traces. */
  runExperiments(file: ExperimentRequestFile, options?: { signal?: AbortSignal }): Promise<LabelledRuns>;
  /** True for runs held out for testing: the loop asserts none reaches its training data or replay memory. */
  isHeldOut?(runId: string): boolean;
  /**
   * The not-yet-run pool runs of an option, unlabelled (pool-based emulation): the learner may score them and name the
   * ones it wants in `hints.runIds`. Absent on live testbeds, where a run does not exist before it is executed.
   */
  candidates?(label: string): CandidateRuns;
  /** A JSON snapshot (pool, RNG) for checkpoints; `restore` continues from it exactly. */
  save(): unknown;
  restore(state: unknown): void;
}
