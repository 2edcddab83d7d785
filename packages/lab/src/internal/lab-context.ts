import { mkdir } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import {
  type CampaignConfig,
  type CampaignResult,
  type Controller,
  createController,
  type ExperimentRequest,
} from '@proteus-wf/controller';
import {
  type Deployment,
  type LongOperationOptions,
  type ProgressEvent,
  ProteusError,
  reportProgress,
} from '@proteus-wf/core';
import type { FeaturePipelineName, ScalerKind } from '@proteus-wf/features';
import { createInjector, parseAnomaly } from '@proteus-wf/injector';
import { createLocalTestbed } from '@proteus-wf/testbed-local';
import {
  loadWorkflowGraph,
  parseFlowBenchAdjacency,
  topologicalOrder,
  type WorkflowGraph,
} from '@proteus-wf/workflow-graph';
import type { LiveLabOptions } from '../create-live-lab.js';
import { invalidOptions, NAME, WHERE } from './lab-errors.js';
import { createTraceCache, type TraceCache } from './trace-cache.js';

/** The folders of a lab: each is its own Flow-Bench gen-2 dataset with its own experiment log and ledger. */
export type LabFolder = 'test' | 'calibration' | 'traces';

/** Options a lab is created from: those of `createLiveLab`. */
export type LabContextOptions = LiveLabOptions;

/** What the lab's modules share: the workflow, the testbed, one controller and trace cache per folder. */
export interface LabContext {
  readonly workflow: string;
  readonly workflowPath: string;
  readonly graph: WorkflowGraph;
  readonly outDir: string;
  readonly seed: number;
  readonly anomalies: readonly string[];
  /** Every run kind a lab offers: `normal`, each anomaly, and each anomaly placed on each `placeOn` transformation. */
  readonly kinds: readonly string[];
  readonly pipeline: FeaturePipelineName;
  readonly scalerKind: ScalerKind;
  readonly folders: Readonly<Record<LabFolder, string>>;
  readonly caches: Readonly<Record<LabFolder, TraceCache>>;
  readonly onProgress: ((event: ProgressEvent) => void) | undefined;
  provision(options?: LongOperationOptions): Promise<Deployment>;
  /** Runs a request file in one folder (resumes it when the batch id was run before). */
  runBatch(
    folder: LabFolder,
    batch: string,
    requests: ExperimentRequest[],
    options: LongOperationOptions,
  ): Promise<CampaignResult>;
  /**
   * The controller request of `runs` runs of a kind (`cpu_1`, `cpu_1@individuals`, `normal`); `targetJobs` places the
   * anomaly on the workers running those jobs instead (the learner's hints), when the testbed supports placement.
   */
  requestOf(kind: string, runs: number, targetJobs?: readonly string[]): ExperimentRequest;
  /** The jobs a placed kind targets (`cpu_1@individuals` -> the `individuals` jobs); undefined for other kinds. */
  targetJobsOf(kind: string): string[] | undefined;
  /** Whether the testbed can place an anomaly on given jobs. */
  readonly canPlace: boolean;
  assertLive(): void;
  release(): Promise<void>;
}

const DEFAULTS = {
  seed: 0,
  workers: 2,
  anomalies: ['cpu_1', 'hdd_1'] as readonly string[],
  pipeline: 'flowbench-v1' as FeaturePipelineName,
  scaler: 'minmax' as ScalerKind,
};
/** `<anomaly>@<transformation>`: the anomaly on the worker running that transformation's jobs, while they run. */
const PLACED = '@';

/**
 * Validates the options, reads the workflow and wires the testbed, controllers and trace caches.
 * @throws ProteusError PROTEUS_LAB_INVALID_OPTIONS listing every problem
 */
export async function createLabContext(options: LabContextOptions): Promise<LabContext> {
  const seed = options.seed ?? DEFAULTS.seed;
  const workerCount = options.workers ?? DEFAULTS.workers;
  const anomalies = [...(options.anomalies ?? DEFAULTS.anomalies)];
  const placeOn = [...(options.placeOn ?? [])];
  const problems = checkOptions(seed, workerCount, anomalies);
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
  const jobsOf = new Map<string, string[]>();
  for (const job of definition.jobs())
    jobsOf.set(job.transformation, [...(jobsOf.get(job.transformation) ?? []), job.name]);
  const missing = placeOn.filter((transformation) => !jobsOf.has(transformation));
  if (missing.length > 0) {
    throw invalidOptions(
      missing.map(
        (transformation) =>
          `placeOn: ${workflow} has no jobs of transformation "${transformation}" (it has ${[...jobsOf.keys()].join(', ')})`,
      ),
    );
  }
  // The controller writes the DAG as a Flow-Bench adjacency list in topological order; build the same graph here so
  // the node order is known before the first run.
  const adjacency: Record<string, string[]> = {};
  for (const job of topologicalOrder(definition)) adjacency[job] = definition.children(job);
  const graph = parseFlowBenchAdjacency(adjacency, { workflow, source: workflowPath });
  const pipeline = options.pipeline ?? DEFAULTS.pipeline;

  const ownsTestbed = options.testbed === undefined;
  const testbed =
    options.testbed ??
    // Workers weighted like dedicated machines, so a withheld core slows their jobs even on a busy host.
    createLocalTestbed({ workers: workerCount, workDir: join(outDir, '.testbed'), seed, cpuWeight: 64 });
  if (placeOn.length > 0 && testbed.supportsPlacement !== true) {
    throw invalidOptions([`placeOn needs a testbed that supports placement; "${testbed.name}" does not`]);
  }
  const folders: Record<LabFolder, string> = {
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
  const controllers: Record<LabFolder, Controller> = {
    test: makeController(folders.test),
    calibration: makeController(folders.calibration),
    traces: makeController(folders.traces),
  };
  const caches: Record<LabFolder, TraceCache> = {
    test: createTraceCache(join(folders.test, workflow), graph, pipeline),
    calibration: createTraceCache(join(folders.calibration, workflow), graph, pipeline),
    traces: createTraceCache(join(folders.traces, workflow), graph, pipeline),
  };
  const targetJobsOf = (kind: string): string[] | undefined => {
    const transformation = kind.split(PLACED)[1];
    return transformation === undefined ? undefined : jobsOf.get(transformation);
  };
  let config: Pick<CampaignConfig, 'infrastructure' | 'workflows'> | undefined;
  let deployment: Deployment | undefined;
  let released = false;

  const assertLive = () => {
    if (released) throw new ProteusError('PROTEUS_LAB_RELEASED', `${WHERE}: the lab was released; create a new one`);
  };

  async function provision(provisionOptions: LongOperationOptions = {}): Promise<Deployment> {
    assertLive();
    if (deployment) return deployment;
    await mkdir(outDir, { recursive: true });
    const provisioned = await testbed.provision(provisionOptions);
    config = {
      infrastructure: {
        workers: provisioned.workers.map(({ name, cores, memoryMb, site }) => ({ name, cores, memoryMb, site })),
      },
      workflows: { [workflow]: { path: workflowPath } },
    };
    deployment = provisioned;
    return provisioned;
  }

  return {
    workflow,
    workflowPath,
    graph,
    outDir,
    seed,
    anomalies,
    kinds: [
      'normal',
      ...anomalies,
      ...placeOn.flatMap((transformation) => anomalies.map((anomaly) => `${anomaly}${PLACED}${transformation}`)),
    ],
    pipeline,
    scalerKind: options.scaler ?? DEFAULTS.scaler,
    folders,
    caches,
    onProgress: options.onProgress,
    provision,
    async runBatch(folder, batch, requests, runOptions) {
      await provision(runOptions.signal ? { signal: runOptions.signal } : {});
      const onProgress = forwardProgress(basename(folders[folder]), batch, options.onProgress);
      return controllers[folder].runRequests(
        { id: batch, requests },
        {
          config: config as NonNullable<typeof config>,
          ...(runOptions.signal ? { signal: runOptions.signal } : {}),
          ...(onProgress ? { onProgress } : {}),
        },
      );
    },
    canPlace: testbed.supportsPlacement === true,
    targetJobsOf,
    requestOf(kind, runs, targetJobs) {
      const [anomaly = kind] = kind.split(PLACED);
      const request: ExperimentRequest = {
        workflow,
        anomaly,
        anomalousWorkers: anomaly === 'normal' ? 0 : 1,
        runs,
      };
      const known = new Set(graph.jobNames());
      const hinted = testbed.supportsPlacement === true ? targetJobs?.filter((job) => known.has(job)) : undefined;
      const jobs = hinted && hinted.length > 0 ? hinted : targetJobsOf(kind);
      if (jobs && anomaly !== 'normal') request.hints = { placement: { jobs: [...jobs] } };
      return request;
    },
    assertLive,
    async release() {
      if (released) return;
      released = true;
      if (ownsTestbed) await testbed.release();
    },
  };
}

function checkOptions(seed: number, workers: number, anomalies: string[]): string[] {
  const problems: string[] = [];
  if (!Number.isSafeInteger(seed)) problems.push(`seed must be an integer (got ${String(seed)})`);
  if (!Number.isInteger(workers) || workers < 1) problems.push(`workers must be ≥ 1 (got ${String(workers)})`);
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
  return problems;
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
