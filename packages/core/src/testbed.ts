import type { CommandRunner } from './command-runner.js';
import type { LongOperationOptions } from './progress.js';

/** One worker of a testbed: the unit that runs jobs and that anomalies are injected into. */
export interface WorkerInfo {
  /** Worker name; it is the `kickstart_hostname` of the jobs it runs. */
  name: string;
  cores: number;
  memoryMb: number;
  site: string;
  /** Injector target for this worker: `local`, `cgroup:<path>`, `netns:<name>` or `ssh:<user@host>`. */
  target: string;
  /** Job slots (HTCondor partitionable slots); defaults to `cores`. */
  slots?: number;
}

/** What `provision` produced; enough to run workflows and to release everything later. */
export interface Deployment {
  testbed: string;
  workers: WorkerInfo[];
  /** Where workflows are submitted from. */
  submitNode?: { name: string; target: string };
  /** Testbed-specific resources (slice ids, lease ids...) tracked for release. */
  resources: Array<{ kind: string; id: string; name?: string }>;
}

/**
 * The timestamps and counters of one job, the raw material of a Flow-Bench gen-2 row.
 * Timestamps are epoch seconds; a phase a job did not have is `undefined`.
 */
export interface JobRecord {
  job: string;
  type: 'auxiliary' | 'compute' | 'transfer' | 'subwf';
  transformation: string;
  worker: string;
  ready: number;
  preScriptStart?: number;
  preScriptEnd?: number;
  submit: number;
  stageInStart?: number;
  stageInEnd?: number;
  stageInBytes?: number;
  executeStart: number;
  executeEnd: number;
  stageOutStart?: number;
  stageOutEnd?: number;
  stageOutBytes?: number;
  postScriptStart?: number;
  postScriptEnd?: number;
  cpuTimeSeconds: number;
  bytesRead: number;
  bytesWritten: number;
  readSyscalls?: number;
  writeSyscalls?: number;
  userSeconds?: number;
  systemSeconds?: number;
  exitCode: number;
  attempts: number;
  executable: string;
  argv: string[];
}

/** A finished workflow run on a testbed. */
export interface WorkflowRunResult {
  runId: string;
  workflow: string;
  startedAt: number;
  endedAt: number;
  succeeded: boolean;
  jobs: JobRecord[];
  /**
   * The jobs that failed for good, each with why its last attempt failed (`cannot start bin/x: EACCES ...`,
   * `exited with 3`), so that a failure names its cause even when the job never produced a record.
   */
  failures?: JobFailure[];
  /** Jobs never run because an ancestor failed (DAGMan's rescue semantics). */
  skipped?: string[];
}

/** One job that failed for good in a run: its name, attempts made and the reason of the last one. */
export interface JobFailure {
  job: string;
  attempts: number;
  reason: string;
}

/**
 * Where and when a run's anomaly lands: on the worker that runs one of `jobs`, while that job runs there. The testbed
 * awaits `enter` before it starts a target job on a worker (so the anomaly is in place when the job starts) and awaits
 * `leave` after the job ended; a rejected `enter` or `leave` fails the run. The controller implements the hooks with
 * its injector; a testbed that cannot call them throws `PROTEUS_<TESTBED>_PLACEMENT_UNSUPPORTED`.
 */
export interface JobPlacement {
  /** The target jobs (DAG job names). */
  readonly jobs: readonly string[];
  enter(worker: string, job: string): Promise<void>;
  leave(worker: string, job: string): Promise<void>;
}

/** Options of `Testbed.runWorkflow`: the run id, its working folder, and `{ signal?, onProgress? }`. */
export interface RunWorkflowOptions extends LongOperationOptions {
  runId: string;
  /** Working folder for this run's files. */
  workDir: string;
  /** Inject on the worker running these jobs, while they run (see {@link JobPlacement}). */
  placement?: JobPlacement;
}

/**
 * A place where workflows run: the local machine, a FABRIC slice, a Chameleon lease.
 * `createController({ testbed, injector })` drives any implementation the same way.
 */
export interface Testbed extends AsyncDisposable {
  readonly name: string;
  /** Acquire and configure the workers. Idempotent: a second call returns the same deployment. */
  provision(options?: LongOperationOptions): Promise<Deployment>;
  /** A runner for commands on one worker (used by the injector). */
  runnerFor(worker: string): CommandRunner;
  /** Whether `runWorkflow` honours `placement` (testbed-local does; the cloud testbeds refuse it). */
  readonly supportsPlacement?: boolean;
  /** Run a Pegasus YAML 5.0 workflow and wait for it to finish. */
  runWorkflow(workflowPath: string, options: RunWorkflowOptions): Promise<WorkflowRunResult>;
  /** Release every resource `provision` created. Idempotent. */
  release(): Promise<void>;
}
