import { access, mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import {
  isProteusError,
  type LongOperationOptions,
  ProteusError,
  reportProgress,
  type Testbed,
  throwIfAborted,
  type WorkerInfo,
  type WorkflowRunResult,
  writeFileAtomic,
} from '@proteus-wf/core';
import type { CampaignConfig } from './campaign-config.js';
import { readJsonFile } from './campaign-config.js';
import { type ExperimentLog, openExperimentLog, readExperimentLog } from './experiment-log.js';
import {
  type ExperimentRequestFile,
  parseExperimentRequests,
  planExperimentRequests,
  requestKeyOf,
} from './experiment-requests.js';
import { type AdjacencyDag, formatAdjacencyJson, formatRunCsv } from './format-run-csv.js';
import { lockCampaignFolder } from './internal/campaign-lock.js';
import { chooseInjection } from './internal/choose-injection.js';
import { type AnomalyHandle, type CampaignInjector, readAnomalyWindows } from './internal/injector-port.js';
import { loadWorkflowDag as defaultLoadWorkflowDag } from './internal/load-workflow-dag.js';
import { createAnomalyPlacement, placementJobsOf } from './internal/place-anomaly.js';
import { readBackRun } from './internal/read-back-run.js';
import { type AnomalyWindow, labelJobs, NONE_LABEL } from './label-jobs.js';
import { type CampaignPlan, type PlannedRun, planCampaign } from './plan-campaign.js';

/** Options of {@link createController}: the testbed and injector it drives and where its outputs go. */
export interface CreateControllerOptions {
  /** Runs the workflows; provisioned when a campaign has pending runs, never released by the controller. */
  testbed: Testbed;
  /** Applies and reverts anomalies; its `recover()` runs at the start of every campaign. */
  injector: CampaignInjector;
  /** Where CSVs, adjacency JSON, plans and the experiment log go (resolved to an absolute path). */
  outDir: string;
  /** Seeds the choice of anomalous workers. */
  seed: number;
  /** The injector's ledger (label source); default: `injector.ledgerPath`. */
  ledgerPath?: string;
  /** How to get a workflow's executed DAG from its definition; default: Pegasus YAML 5.0 via workflow-graph. */
  loadWorkflowDag?: (workflowPath: string) => Promise<AdjacencyDag>;
  /** The `kickstart_user` column; default: the current user (`proteus` when the OS cannot tell). */
  user?: string;
}

/** Options of `Controller.runCampaign`: cancellation, progress (`run`, `run:<phase>`; ratio over all runs), resume. */
export interface RunCampaignOptions extends LongOperationOptions {
  /** Continue a campaign found in the experiment log (default `true`); `false` throws PROTEUS_CONTROLLER_ALREADY_STARTED. */
  resume?: boolean;
}

/** What happened to one planned run. */
export interface CampaignRunOutcome {
  id: string;
  workflow: string;
  anomaly: string;
  anomalousWorkers: string[];
  status: 'done' | 'failed';
  /** `done` in an earlier invocation (found in the experiment log). */
  resumed: boolean;
  /** Absolute path of the CSV (when done). */
  csv?: string;
  jobs?: number;
  anomalousJobs?: number;
  error?: { code: string; message: string };
}

/** What a campaign produced: one outcome per planned run (including runs resumed from the log) and their totals. */
export interface CampaignResult {
  /** The `id` of the plan that was run. */
  planId: string;
  /** The controller's output folder, as an absolute path. */
  outDir: string;
  /** One outcome per planned run, in plan order. */
  runs: CampaignRunOutcome[];
  /** CSVs of every done run, in plan order. */
  csvPaths: string[];
  /** Runs with status `done` (resumed ones included). */
  done: number;
  /** Runs with status `failed`; `done + failed` is the number of planned runs. */
  failed: number;
}

/** Drives campaigns on one testbed with one injector. */
export interface Controller {
  readonly outDir: string;
  /** See {@link planCampaign}; uses the controller's seed. */
  planCampaign(config: CampaignConfig, options?: { firstRunNumbers?: Record<string, number> }): CampaignPlan;
  /** Runs every planned run not yet done; resumable after any crash. */
  runCampaign(plan: CampaignPlan, options?: RunCampaignOptions): Promise<CampaignResult>;
  /** The translation layer: runs an experiment-request file (path or object) and returns the CSV paths. */
  runRequests(
    requests: string | ExperimentRequestFile,
    options: LongOperationOptions & { config: Pick<CampaignConfig, 'infrastructure' | 'workflows'> },
  ): Promise<CampaignResult>;
}

const LOG_FILE = 'experiments.log.jsonl';
const WHERE = 'controller/runCampaign';

/**
 * Creates the experiment controller: Poseidon-X's loop (testbeds.md §1) over any `Testbed`. For each run it applies
 * the anomaly on the chosen workers through the injector, runs the workflow, reverts, labels every job from the
 * injector's ledger, and writes `<outDir>/<workflow>/<workflow>-runNNNN.csv` (Flow-Bench gen-2) plus
 * `<outDir>/adjacency_list_dags/<workflow>.json`. Every file is written atomically and every step is logged
 * (fsync'd) to `<outDir>/experiments.log.jsonl`, so a campaign killed at any point resumes with no run lost,
 * duplicated or half-written; each campaign starts with `injector.recover()`, so no anomaly outlives a crash.
 * The controller provisions the testbed (idempotent) but never releases it: the caller owns it.
 * @example
 * const controller = createController({ testbed, injector, outDir: 'out', seed: 7 });
 * const result = await controller.runCampaign(controller.planCampaign(config), { signal, onProgress });
 * Only one process at a time runs a campaign in an output folder: `runCampaign` and `runRequests` hold
 * `<outDir>/campaign.lock` (pid, start time, boot id, host) while they work and take over the lock of a dead holder.
 * @throws ProteusError PROTEUS_CONTROLLER_LOCKED when another live process holds the folder (named in the message),
 * PROTEUS_CONTROLLER_ALREADY_STARTED, PROTEUS_CONTROLLER_OUTPUT_CONFLICT,
 * PROTEUS_CONTROLLER_WORKER_MISSING, PROTEUS_CONTROLLER_DAG_MISMATCH, PROTEUS_CONTROLLER_NO_LEDGER, PROTEUS_CORE_ABORTED
 */
export function createController(options: CreateControllerOptions): Controller {
  const outDir = resolve(options.outDir);
  const ledgerPath = options.ledgerPath ?? options.injector.ledgerPath;
  if (!ledgerPath) {
    throw new ProteusError(
      'PROTEUS_CONTROLLER_NO_LEDGER',
      'controller/createController: the injector exposes no ledgerPath and none was given; pass { ledgerPath }',
    );
  }
  const loadDag = options.loadWorkflowDag ?? defaultLoadWorkflowDag;
  const user = options.user ?? safeUserName();
  const dags = new Map<string, Promise<AdjacencyDag>>();

  const dagOf = (workflow: string, path: string): Promise<AdjacencyDag> => {
    let dag = dags.get(workflow);
    if (!dag) {
      dag = loadDag(path);
      dags.set(workflow, dag);
    }
    return dag;
  };

  /** Runs `body` holding the output folder's lock, so that one process at a time writes a campaign there. */
  async function withFolderLock<T>(signal: AbortSignal | undefined, body: () => Promise<T>): Promise<T> {
    throwIfAborted(signal, WHERE);
    await mkdir(outDir, { recursive: true });
    const lock = await lockCampaignFolder(outDir, WHERE);
    try {
      return await body();
    } finally {
      await lock.release();
    }
  }

  function runCampaign(plan: CampaignPlan, runOptions: RunCampaignOptions = {}): Promise<CampaignResult> {
    return withFolderLock(runOptions.signal, () => runLockedCampaign(plan, runOptions));
  }

  async function runLockedCampaign(plan: CampaignPlan, runOptions: RunCampaignOptions): Promise<CampaignResult> {
    const { signal, onProgress } = runOptions;
    throwIfAborted(signal, WHERE);
    const logPath = join(outDir, LOG_FILE);
    const previous = await readExperimentLog(logPath);
    const mine = previous.filter((entry) => entry.planId === plan.id);
    if (mine.length > 0 && runOptions.resume === false) {
      throw new ProteusError(
        'PROTEUS_CONTROLLER_ALREADY_STARTED',
        `${WHERE}: ${outDir} already holds campaign ${plan.id} (${mine.filter((e) => e.event === 'run-done').length} of ${plan.runs.length} runs done). Resume it (--resume) or choose another output folder.`,
        { details: { planId: plan.id, outDir } },
      );
    }
    await removeStaleTemporaries(outDir, plan);
    await savePlan(outDir, plan);
    // Revert whatever a crashed campaign left applied before anything else happens.
    await options.injector.recover();
    const log = await openExperimentLog(logPath);
    await log.append({ event: 'campaign-start', at: now(), planId: plan.id, runs: plan.runs.length });

    const outcomes = new Map<string, CampaignRunOutcome>();
    const started = new Set(mine.filter((e) => e.event === 'run-start').map((e) => (e as { runId: string }).runId));
    for (const entry of mine) {
      if (entry.event !== 'run-done') continue;
      const csv = join(outDir, entry.csv);
      if (!(await exists(csv))) continue; // deleted since: run it again
      outcomes.set(entry.runId, {
        ...outcomeOf(plan, entry.runId, 'done', true),
        csv,
        jobs: entry.jobs,
        anomalousJobs: entry.anomalousJobs,
      });
    }
    // A CSV on disk without its run-done line: killed between the atomic rename and the log append. Adopt it if this
    // plan started that run; refuse to overwrite anything else.
    for (const run of plan.runs) {
      if (outcomes.has(run.id)) continue;
      const csv = csvPathOf(outDir, run);
      if (!(await exists(csv))) continue;
      if (!started.has(run.id)) {
        throw new ProteusError(
          'PROTEUS_CONTROLLER_OUTPUT_CONFLICT',
          `${WHERE}: ${csv} exists but campaign ${plan.id} never started run ${run.id}. Use another output folder, or plan with firstRunNumbers after the existing runs.`,
          { details: { csv, runId: run.id, planId: plan.id } },
        );
      }
      const counts = await countCsvLabels(csv);
      // The run's times were lost with the crash; the CSV keeps the jobs' own timestamps.
      await appendRunDone(log, plan.id, run, {
        jobs: counts.jobs,
        anomalousJobs: counts.anomalous,
        startedAt: Number.NaN,
        endedAt: Number.NaN,
      });
      outcomes.set(run.id, {
        ...outcomeOf(plan, run.id, 'done', true),
        csv,
        jobs: counts.jobs,
        anomalousJobs: counts.anomalous,
      });
    }

    const pending = plan.runs.filter((run) => !outcomes.has(run.id));
    if (pending.length > 0) {
      const deployment = await options.testbed.provision({ signal });
      const workers = new Map(deployment.workers.map((worker) => [worker.name, worker]));
      const missing = plan.workers.filter((worker) => !workers.has(worker.name)).map((worker) => worker.name);
      if (missing.length > 0) {
        throw new ProteusError(
          'PROTEUS_CONTROLLER_WORKER_MISSING',
          `${WHERE}: testbed "${options.testbed.name}" has no worker${missing.length === 1 ? '' : 's'} ${missing.join(', ')} (it has ${[...workers.keys()].join(', ') || 'none'}). Make the infrastructure match the testbed's workers.`,
          { details: { missing, available: [...workers.keys()] } },
        );
      }
      const attempts = new Map<string, number>();
      for (const entry of mine) if (entry.event === 'run-start') attempts.set(entry.runId, entry.attempt);
      for (const run of pending) {
        throwIfAborted(signal, WHERE);
        const completed = outcomes.size;
        reportProgress(onProgress, {
          phase: 'run',
          ratio: completed / plan.runs.length,
          message: `${run.id}: ${run.anomaly}${run.anomalousWorkers.length ? ` on ${run.anomalousWorkers.join(', ')}` : ''}`,
          data: { run: completed + 1, runs: plan.runs.length, runId: run.id, anomaly: run.anomaly },
        });
        const attempt = (attempts.get(run.id) ?? 0) + 1;
        try {
          const outcome = await executeRun(plan, run, attempt, workers, log, {
            ...(signal ? { signal } : {}),
            onProgress: (event) =>
              reportProgress(onProgress, {
                ...event,
                phase: `run:${event.phase}`,
                ratio: (completed + event.ratio) / plan.runs.length,
              }),
          });
          outcomes.set(run.id, outcome);
        } catch (error) {
          if (signal?.aborted || !isRunFailure(error)) throw error;
          const code = (error as ProteusError).code;
          const message = (error as ProteusError).message;
          await log.append({ event: 'run-failed', at: now(), planId: plan.id, runId: run.id, code, message });
          outcomes.set(run.id, { ...outcomeOf(plan, run.id, 'failed', false), error: { code, message } });
        }
      }
    }
    const runs = plan.runs.map((run) => outcomes.get(run.id) ?? outcomeOf(plan, run.id, 'failed', false));
    const done = runs.filter((run) => run.status === 'done').length;
    await log.append({ event: 'campaign-end', at: now(), planId: plan.id, done, failed: runs.length - done });
    reportProgress(onProgress, { phase: 'run', ratio: 1, message: `${done} of ${runs.length} runs done` });
    return {
      planId: plan.id,
      outDir,
      runs,
      csvPaths: runs.flatMap((run) => (run.csv ? [run.csv] : [])),
      done,
      failed: runs.length - done,
    };
  }

  async function executeRun(
    plan: CampaignPlan,
    run: PlannedRun,
    attempt: number,
    workers: Map<string, WorkerInfo>,
    log: ExperimentLog,
    runOptions: LongOperationOptions,
  ): Promise<CampaignRunOutcome> {
    const workflowPath = plan.workflows[run.workflow]?.path;
    if (!workflowPath) {
      throw new ProteusError(
        'PROTEUS_CONTROLLER_INVALID_PLAN',
        `${WHERE}: plan ${plan.id} has no path for workflow "${run.workflow}"`,
      );
    }
    const dag = await dagOf(run.workflow, workflowPath);
    const attemptStart = Date.now() / 1000;
    await log.append({
      event: 'run-start',
      at: now(),
      planId: plan.id,
      runId: run.id,
      workflow: run.workflow,
      anomaly: run.anomaly,
      workers: run.anomalousWorkers,
      attempt,
    });
    const workDir = join(outDir, '.work', run.id);
    await rm(workDir, { recursive: true, force: true });
    await mkdir(workDir, { recursive: true });

    const handles: Array<{ worker: string; handle: AnomalyHandle }> = [];
    const logged = <E extends 'anomaly-applied' | 'anomaly-reverted'>(event: E, worker: string) => ({
      event,
      at: now(),
      planId: plan.id,
      runId: run.id,
      worker,
    });
    const placementJobs = run.anomaly === 'normal' ? undefined : placementJobsOf(run.hints);
    const placement =
      placementJobs &&
      createAnomalyPlacement({
        runId: run.id,
        anomaly: run.anomaly,
        jobs: placementJobs,
        workers,
        injector: options.injector,
        applied: handles,
        onApplied: async (worker, target) => {
          await log.append({ ...logged('anomaly-applied', worker), target, anomaly: run.anomaly });
        },
        onReverted: async (worker) => {
          await log.append(logged('anomaly-reverted', worker));
        },
      });
    let result: WorkflowRunResult | undefined;
    let failure: unknown;
    try {
      if (placementJobs) {
        const unknown = placementJobs.filter((job) => !(job in dag));
        if (unknown.length > 0) {
          throw new ProteusError(
            'PROTEUS_CONTROLLER_INVALID_PLACEMENT',
            `${WHERE}: ${run.id} places its anomaly on ${unknown.length} job(s) not in the DAG of ${workflowPath}: ${unknown.slice(0, 5).join(', ')}; name jobs of that workflow`,
            { details: { runId: run.id, unknown } },
          );
        }
      }
      for (const name of placement ? [] : run.anomalousWorkers) {
        const worker = workers.get(name) as WorkerInfo;
        const { target, spec } = chooseInjection(worker, run.anomaly);
        const handle = await options.injector.apply(target, spec, { runId: run.id, worker: name });
        handles.push({ worker: name, handle });
        await log.append({
          event: 'anomaly-applied',
          at: now(),
          planId: plan.id,
          runId: run.id,
          worker: name,
          target,
          anomaly: run.anomaly,
        });
      }
      try {
        result = await options.testbed.runWorkflow(workflowPath, {
          runId: run.id,
          workDir,
          ...runOptions,
          ...(placement ? { placement } : {}),
        });
      } catch (error) {
        if (runOptions.signal?.aborted) throw error;
        throw new ProteusError(
          'PROTEUS_CONTROLLER_RUN_FAILED',
          `${WHERE}: testbed "${options.testbed.name}" could not run ${run.id} (${error instanceof Error ? error.message : String(error)})`,
          { cause: error, details: { runId: run.id, workDir } },
        );
      }
    } catch (error) {
      failure = error;
    } finally {
      const revertErrors: unknown[] = [];
      for (const { worker, handle } of handles.reverse()) {
        try {
          await handle.revert();
          await log.append({ event: 'anomaly-reverted', at: now(), planId: plan.id, runId: run.id, worker });
        } catch (error) {
          revertErrors.push(error);
        }
      }
      if (revertErrors.length > 0 && failure === undefined) {
        failure = new ProteusError(
          'PROTEUS_CONTROLLER_REVERT_FAILED',
          `${WHERE}: ${revertErrors.length} anomal${revertErrors.length === 1 ? 'y' : 'ies'} of ${run.id} could not be reverted; run \`proteus inject recover\` on the ledger`,
          { cause: revertErrors[0], details: revertErrors.map(String) },
        );
      }
    }
    if (failure !== undefined) throw failure;
    if (!result) throw new ProteusError('PROTEUS_CONTROLLER_RUN_FAILED', `${WHERE}: ${run.id} returned no result`);
    if (!result.succeeded) {
      const failures =
        result.failures ??
        result.jobs
          .filter((job) => job.exitCode !== 0)
          .map((job) => ({ job: job.job, attempts: job.attempts, reason: `exited with ${job.exitCode}` }));
      const skipped = result.skipped?.length ?? 0;
      const listed = failures.slice(0, 5).map((failure) => `${failure.job}: ${failure.reason}`);
      throw new ProteusError(
        'PROTEUS_CONTROLLER_RUN_FAILED',
        `${WHERE}: workflow ${run.workflow} failed in ${run.id} (${failures.length} failed job(s)${
          listed.length > 0
            ? `: ${listed.join('; ')}${failures.length > 5 ? '; ...' : ''}`
            : ', none reported by the testbed'
        }${skipped > 0 ? `; ${skipped} skipped after them` : ''}); its work folder is ${workDir}`,
        { details: { runId: run.id, failedJobs: failures.map((failure) => failure.job), failures, skipped } },
      );
    }

    const csv = csvPathOf(outDir, run);
    await mkdir(join(outDir, run.workflow), { recursive: true });
    result = (await readBackRun(workDir, result, csv.replace(/\.csv$/, '.submit'), WHERE)).result;
    const unknownJobs = result.jobs.filter((job) => !(job.job in dag)).map((job) => job.job);
    if (unknownJobs.length > 0) {
      throw new ProteusError(
        'PROTEUS_CONTROLLER_DAG_MISMATCH',
        `${WHERE}: ${run.id} ran ${unknownJobs.length} job(s) that are not in the DAG of ${workflowPath}: ${unknownJobs.slice(0, 5).join(', ')}`,
        { details: { runId: run.id, unknownJobs } },
      );
    }
    const windows: AnomalyWindow[] = (await readAnomalyWindows(ledgerPath as string, run.id)).filter(
      (window) => window.appliedAt >= attemptStart - 1,
    );
    const labels = labelJobs(result.jobs, windows);
    const sites = new Map([...workers.values()].map((worker) => [worker.name, worker.site]));
    await writeAdjacency(outDir, run.workflow, dag);
    await writeFileAtomic(csv, formatRunCsv(result, { labels, dag, sites, user }));
    const anomalousJobs = [...labels.values()].filter((label) => label !== NONE_LABEL).length;
    await appendRunDone(log, plan.id, run, {
      jobs: result.jobs.length,
      anomalousJobs,
      startedAt: result.startedAt,
      endedAt: result.endedAt,
    });
    await rm(workDir, { recursive: true, force: true });
    return { ...outcomeOf(plan, run.id, 'done', false), csv, jobs: result.jobs.length, anomalousJobs };
  }

  return {
    outDir,
    planCampaign: (config, planOptions = {}) => planCampaign(config, { seed: options.seed, ...planOptions }),
    runCampaign,
    async runRequests(requests, requestOptions) {
      const source = typeof requests === 'string' ? requests : undefined;
      const input = source ? await readJsonFile(source, 'controller/runRequests') : requests;
      const file = parseExperimentRequests(input, requestOptions.config, source ? { source } : {});
      const key = requestKeyOf(file);
      const { signal, onProgress } = requestOptions;
      // The run numbers of a new plan depend on the folder's content: plan under the lock too.
      return withFolderLock(signal, async () => {
        const plans = await readSavedPlans(outDir);
        const plan =
          plans.find((saved) => saved.source?.kind === 'requests' && saved.source.key === key) ??
          planExperimentRequests(file, requestOptions.config, {
            seed: options.seed,
            firstRunNumbers: await nextRunNumbers(outDir, plans),
          });
        return runLockedCampaign(plan, {
          resume: true,
          ...(signal ? { signal } : {}),
          ...(onProgress ? { onProgress } : {}),
        });
      });
    },
  };
}

/** Errors that fail one run but let the campaign go on: the workflow failed or the testbed could not run it. */
function isRunFailure(error: unknown): boolean {
  return isProteusError(error, 'PROTEUS_CONTROLLER_RUN_FAILED');
}

function outcomeOf(plan: CampaignPlan, runId: string, status: 'done' | 'failed', resumed: boolean): CampaignRunOutcome {
  const run = plan.runs.find((candidate) => candidate.id === runId) as PlannedRun;
  return {
    id: run.id,
    workflow: run.workflow,
    anomaly: run.anomaly,
    anomalousWorkers: run.anomalousWorkers,
    status,
    resumed,
  };
}

/** Logs a finished run: the line whose presence makes a rerun skip it. */
function appendRunDone(
  log: ExperimentLog,
  planId: string,
  run: PlannedRun,
  counts: { jobs: number; anomalousJobs: number; startedAt: number; endedAt: number },
): Promise<void> {
  return log.append({
    event: 'run-done',
    at: now(),
    planId,
    runId: run.id,
    workflow: run.workflow,
    anomaly: run.anomaly,
    workers: run.anomalousWorkers,
    csv: relativeCsv(run),
    ...counts,
  });
}

function relativeCsv(run: PlannedRun): string {
  return `${run.workflow}/${run.id}.csv`;
}

function csvPathOf(outDir: string, run: PlannedRun): string {
  return join(outDir, relativeCsv(run));
}

async function writeAdjacency(outDir: string, workflow: string, dag: AdjacencyDag): Promise<void> {
  const path = join(outDir, 'adjacency_list_dags', `${workflow}.json`);
  const text = formatAdjacencyJson(dag);
  const existing = await readFile(path, 'utf8').catch(() => undefined);
  if (existing === text) return;
  if (existing !== undefined) {
    throw new ProteusError(
      'PROTEUS_CONTROLLER_DAG_MISMATCH',
      `${WHERE}: ${path} holds a different DAG for workflow "${workflow}"; a workflow name must keep one definition per output folder`,
      { details: { path } },
    );
  }
  await writeFileAtomic(path, text);
}

/** `writeFileAtomic` leaves `.<name>.<random>.tmp` behind when killed between write and rename; sweep them. */
async function removeStaleTemporaries(outDir: string, plan: CampaignPlan): Promise<void> {
  const folders = new Set([outDir, join(outDir, 'plans'), join(outDir, 'adjacency_list_dags')]);
  for (const run of plan.runs) folders.add(join(outDir, run.workflow));
  for (const folder of folders) {
    for (const name of await readdir(folder).catch(() => [] as string[])) {
      if (name.startsWith('.') && name.endsWith('.tmp')) await rm(join(folder, name), { force: true });
    }
  }
}

async function savePlan(outDir: string, plan: CampaignPlan): Promise<void> {
  const path = join(outDir, 'plans', `${plan.id}.json`);
  if (await exists(path)) return;
  await writeFileAtomic(path, `${JSON.stringify(plan, null, 2)}\n`);
}

async function readSavedPlans(outDir: string): Promise<CampaignPlan[]> {
  const folder = join(outDir, 'plans');
  const names = await readdir(folder).catch(() => [] as string[]);
  const plans: CampaignPlan[] = [];
  for (const name of names.filter((entry) => entry.endsWith('.json')).sort()) {
    plans.push(JSON.parse(await readFile(join(folder, name), 'utf8')) as CampaignPlan);
  }
  return plans;
}

/** The next free run number per workflow: after every saved plan's runs and every CSV already in the folder. */
async function nextRunNumbers(outDir: string, plans: CampaignPlan[]): Promise<Record<string, number>> {
  const next: Record<string, number> = {};
  const bump = (workflow: string, runNumber: number) => {
    next[workflow] = Math.max(next[workflow] ?? 1, runNumber + 1);
  };
  for (const plan of plans) for (const run of plan.runs) bump(run.workflow, run.runNumber);
  const folders = await readdir(outDir, { withFileTypes: true }).catch(() => []);
  for (const folder of folders) {
    if (!folder.isDirectory() || folder.name.startsWith('.')) continue;
    for (const name of await readdir(join(outDir, folder.name)).catch(() => [] as string[])) {
      const match = /^(.+)-run(\d+)\.csv$/.exec(name);
      if (match?.[1] === folder.name) bump(folder.name, Number(match[2]));
    }
  }
  return next;
}

async function countCsvLabels(path: string): Promise<{ jobs: number; anomalous: number }> {
  const lines = (await readFile(path, 'utf8'))
    .split('\n')
    .slice(1)
    .filter((line) => line.length > 0);
  let anomalous = 0;
  for (const line of lines) {
    // The job name may be quoted; the label never contains a comma.
    const afterName = line.startsWith('"') ? line.slice(line.indexOf('",', 1) + 2) : line.slice(line.indexOf(',') + 1);
    const label = afterName.slice(0, afterName.indexOf(','));
    if (label !== NONE_LABEL && label !== '') anomalous++;
  }
  return { jobs: lines.length, anomalous };
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

function now(): string {
  return new Date().toISOString();
}

function safeUserName(): string {
  try {
    return userInfo().username;
  } catch {
    return 'proteus';
  }
}
