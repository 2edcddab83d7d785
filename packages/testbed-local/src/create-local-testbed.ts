import { constants, existsSync, rmSync } from 'node:fs';
import { access, appendFile, mkdir, readFile, rm, stat } from 'node:fs/promises';
import { availableParallelism, hostname, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import {
  type CommandRunner,
  createRng,
  type Deployment,
  isProteusError,
  type JobFailure,
  type JobRecord,
  type LongOperationOptions,
  ProteusError,
  type RunWorkflowOptions,
  reportProgress,
  type Testbed,
  throwIfAborted,
  type WorkerInfo,
  type WorkflowRunResult,
  writeFileAtomic,
} from '@proteus-wf/core';
import { createLocalRunner, createNetnsRunner } from '@proteus-wf/injector';
import { createSubmitDirWriter, type SubmitDirWriter } from '@proteus-wf/pegasus';
import {
  type CgroupTracker,
  createWorkerCgroup,
  probeCgroups,
  removeCgroups,
  type WorkerCgroup,
} from './internal/cgroups.js';
import { type DataNode, isSafeLfn, startDataNode, TRANSFER_SCRIPT } from './internal/data-node.js';
import { executeDag } from './internal/execute-dag.js';
import { registerExitCleanup } from './internal/exit-cleanup.js';
import { diskNameOf, pathInside } from './internal/job-paths.js';
import { type JobProcessResult, runJobProcess } from './internal/job-process.js';
import { type JobWatchdog, startJobWatchdog } from './internal/job-watchdog.js';
import { createNetwork, type NetworkTracker, probeNetwork, removeNetwork } from './internal/network.js';
import { TESTBED_VARIABLE } from './internal/proc.js';
import { ownerIdentity, ownTestbeds, stateFilePath, type TestbedStateFile } from './internal/state-file.js';
import { type LocalJob, type LocalWorkflow, loadLocalWorkflow } from './load-local-workflow.js';
import {
  GENERATED_TESTBED_ID,
  type RecoverLocalTestbedsResult,
  recoverLocalTestbeds,
} from './recover-local-testbeds.js';

/** One worker of the local testbed. */
export interface WorkerSpec {
  /** Worker name: letters, digits, `_`, `.`, `-` (at most 20). It is the jobs' hostname in the traces. */
  name: string;
  /** Concurrent jobs; defaults to `slotsPerWorker`, then to `cores`. */
  slots?: number;
  /** Core list to pin the worker to (cgroup cpuset syntax, e.g. `0` or `0-1`); only with cgroup isolation. */
  cpus?: string;
  /** Cores advertised for the worker; defaults to the size of `cpus`, else the host's cores shared out evenly. */
  cores?: number;
  memoryMb?: number;
  /** CPU weight of the worker against the host's other processes (see `LocalTestbedOptions.cpuWeight`). */
  cpuWeight?: number;
}

/**
 * Options of {@link createLocalTestbed}: the workers, their isolation and job policy; aborting `signal` releases the
 * testbed, and `onProgress` is the default of `provision` and `runWorkflow`.
 */
export interface LocalTestbedOptions extends LongOperationOptions {
  /** A count (named `worker-1`...) or explicit specs. */
  workers: number | WorkerSpec[];
  /** Concurrent jobs of every worker without its own `slots`; default: the worker's cores. */
  slotsPerWorker?: number;
  /** `cgroup` needs root and a cgroup filesystem; `auto` (default) falls back to process groups. */
  isolation?: 'auto' | 'cgroup' | 'process-group';
  /** A network namespace per worker and a data node on a bridge; needs root, `ip` and `nsenter` (default `false`). */
  network?: boolean;
  /**
   * The testbed's own folder: `testbed-<testbedId>.json` there names the owner process (pid, start time, boot) and
   * lists the cgroups and namespaces while the testbed is provisioned, so that `recoverLocalTestbeds` (which
   * `provision` runs first for this folder) can tear it down after a `kill -9`. Runs use `runWorkflow`'s `workDir`.
   */
  workDir: string;
  /**
   * Names cgroups (`proteus/<testbedId>/<worker>`) and namespaces; defaults to `tl<pid>x<counter>`. That generated
   * form is reserved: the orphan sweep of `recoverLocalTestbeds` reads the owner pid from it.
   */
  testbedId?: string;
  /** Extra attempts for a failed job (DAGMan RETRY); default 0. */
  retries?: number;
  /** Deadline for one attempt of a job (stage-in, execution and stage-out); default none. */
  jobTimeoutMs?: number;
  /** Seed of the worker placement; default 0. */
  seed?: number;
  /**
   * CPU weight of each worker cgroup, counted in ordinary processes of the host (cgroup v1 `cpu.shares` = 1024 ×
   * weight, v2 `cpu.weight` = 100 × weight); default: the worker's cores, so a worker competes with the host's other
   * processes like that many processes would. A cgroup is one scheduling entity: without this, a whole worker would
   * weigh as one process, and on a busy host the workers get a sliver of a core each, which hides CPU anomalies
   * (withholding a core from a worker that cannot get one anyway changes nothing). A large weight (e.g. 64) makes
   * the workers behave like dedicated machines on a shared host; the anomaly-effect tests use it.
   */
  cpuWeight?: number;
}

/** A worker as deployed, with every injector target it offers. */
export interface LocalWorkerInfo extends WorkerInfo {
  /** `cgroup:<path>` (CPU and disk anomalies) and/or `netns:<name>` (network anomalies), or `local`. */
  targets: string[];
  /** The namespace, when `network` is on. */
  netns?: string;
  /** The worker's address on the testbed bridge, when `network` is on. */
  address?: string;
}

/** What `provision` of the local testbed returns. */
export interface LocalDeployment extends Deployment {
  workers: LocalWorkerInfo[];
  isolation: 'cgroup' | 'process-group';
  /** Why `auto` isolation fell back to process groups. */
  isolationNote?: string;
  cgroupVersion?: 1 | 2;
  /** The data node's base URL. */
  dataNodeUrl: string;
  /** What the recovery of crashed testbeds that `provision` ran first did (problems, if any, in `recoveryProblems`). */
  recovery: RecoverLocalTestbedsResult;
  recoveryProblems?: string[];
}

/** The local testbed: a `Testbed` whose deployment describes its workers' cgroups and namespaces. */
export interface LocalTestbed extends Testbed {
  readonly testbedId: string;
  provision(options?: LongOperationOptions): Promise<LocalDeployment>;
}

/** A run in progress, as its attempts see it. */
interface ActiveRun {
  runId: string;
  runDir: string;
  url: string;
  signal: AbortSignal;
  /** Why each job's latest failed attempt failed. */
  reasons: Map<string, string>;
}

interface WorkerState {
  info: LocalWorkerInfo;
  slots: number;
  cgroup?: WorkerCgroup;
  netns?: string;
}

const DEFAULTS = { isolation: 'auto', network: false, retries: 0, seed: 0 } as const;
const NAME = /^[A-Za-z0-9_.-]{1,20}$/;
const TESTBED_ID = /^[A-Za-z0-9_.-]{1,32}$/;
const NODE_SCRIPT = /\.(mjs|cjs|js)$/;
let counter = 0;

/**
 * Creates the embedded testbed: a DAGMan-like executor that runs Pegasus YAML 5.0 workflows as real child processes
 * on N workers of this machine. A worker is a cgroup (cpu, cpuset, blkio/io) when root is available, else a process
 * group; with `network: true` it also gets a network namespace and stages files from a local HTTP data node, so
 * network anomalies hit real transfers. Nothing is created until `provision` (or the first `runWorkflow`).
 *
 * @example
 * await using testbed = createLocalTestbed({ workers: 2, workDir: '/tmp/tb' });
 * const deployment = await testbed.provision();
 * const run = await testbed.runWorkflow('examples/workflows/montage-like/workflow.yml', { runId: 'run0001', workDir: '/tmp/tb/run0001' });
 * run.jobs[0]?.worker; // 'worker-1'
 * @throws ProteusError PROTEUS_TESTBED_LOCAL_INVALID_OPTIONS for bad options (all problems in `details`)
 */
export function createLocalTestbed(options: LocalTestbedOptions): LocalTestbed {
  const specs = validateOptions(options);
  const testbedId = options.testbedId ?? `tl${process.pid}x${++counter}`;
  const stateFile = stateFilePath(options.workDir, testbedId);
  const cgroups: CgroupTracker = { created: [] };
  const network: NetworkTracker = { bridges: [], links: [], namespaces: [] };
  const lifetime = new AbortController();
  const livePids = new Set<number>();
  const activeRuns = new Set<Promise<unknown>>();
  let deployment: LocalDeployment | undefined;
  let provisioning: Promise<LocalDeployment> | undefined;
  let workers = new Map<string, WorkerState>();
  let dataNode: DataNode | undefined;
  let unregister: (() => void) | undefined;
  let watchdog: JobWatchdog | undefined;
  let released = false;
  const curl = findBinary('curl');

  const cleanupSync = (): string[] => {
    for (const pid of livePids) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    return [...removeCgroups(cgroups), ...removeNetwork(network)];
  };

  const writeState = (status: TestbedStateFile['status'], dataNodeUrl?: string): Promise<void> => {
    const { pid, pidStartTicks, bootId, host } = ownerIdentity();
    const state: TestbedStateFile = {
      version: 2,
      testbedId,
      pid,
      pidStartTicks,
      bootId,
      host,
      status,
      cgroups: cgroups.created,
      network,
      ...(dataNodeUrl === undefined ? {} : { dataNode: dataNodeUrl }),
    };
    return writeFileAtomic(stateFile, `${JSON.stringify(state, null, 2)}\n`);
  };

  /** Kills and removes everything; the state file goes too unless something is left for recovery to find. */
  const tearDownSync = (): string[] => {
    const problems = cleanupSync();
    watchdog?.stop();
    watchdog = undefined;
    if (problems.length === 0) rmSync(stateFile, { force: true });
    ownTestbeds.delete(testbedId);
    return problems;
  };

  const assertUsable = (where: string): void => {
    if (released) {
      throw new ProteusError(
        'PROTEUS_TESTBED_LOCAL_RELEASED',
        `testbed-local/${where}: testbed ${testbedId} was released; create a new one with createLocalTestbed()`,
      );
    }
  };

  const doProvision = async (progress: LongOperationOptions): Promise<LocalDeployment> => {
    throwIfAborted(progress.signal, 'testbed-local/provision');
    const isolation = options.isolation ?? DEFAULTS.isolation;
    let useCgroups = false;
    let isolationNote: string | undefined;
    let cgroupHost: ReturnType<typeof probeCgroups> | undefined;
    if (isolation !== 'process-group') {
      cgroupHost = probeCgroups();
      if (cgroupHost.ok) useCgroups = true;
      else if (isolation === 'cgroup') {
        throw new ProteusError(
          'PROTEUS_TESTBED_LOCAL_CGROUP_UNAVAILABLE',
          `testbed-local/provision: isolation "cgroup" needs ${cgroupHost.missing.join(' and ')}. Use isolation "auto" or "process-group" to run without cgroups.`,
          { details: { missing: cgroupHost.missing } },
        );
      } else isolationNote = `process groups, because cgroups need ${cgroupHost.missing.join(' and ')}`;
    }
    if (specs.some((spec) => spec.cpus !== undefined) && !useCgroups) {
      throw new ProteusError(
        'PROTEUS_TESTBED_LOCAL_CGROUP_UNAVAILABLE',
        `testbed-local/provision: worker "cpus" pinning needs cgroup isolation, but ${isolationNote ?? 'isolation is "process-group"'}. Drop "cpus" or run as root.`,
      );
    }
    if (options.network) {
      const missing = probeNetwork();
      if (missing.length > 0) {
        throw new ProteusError(
          'PROTEUS_TESTBED_LOCAL_NETWORK_UNAVAILABLE',
          `testbed-local/provision: network namespaces need ${missing.join(' and ')}. Set network: false to stage files over loopback instead.`,
          { details: { missing } },
        );
      }
    }
    // Leftovers of crashed testbeds go first: their cgroups, namespaces and jobs would otherwise compete with ours.
    let recovery: RecoverLocalTestbedsResult;
    let recoveryProblems: string[] | undefined;
    try {
      recovery = await recoverLocalTestbeds({ workDir: options.workDir });
    } catch (error) {
      if (!isProteusError(error, 'PROTEUS_TESTBED_LOCAL_RECOVERY_INCOMPLETE')) throw error;
      const details = error.details as { problems: string[]; result: RecoverLocalTestbedsResult };
      recovery = details.result;
      recoveryProblems = details.problems;
    }
    if (recovery.recovered.length > 0 || recoveryProblems) {
      reportProgress(progress.onProgress, {
        phase: 'recover',
        ratio: 1,
        message: `recovered ${recovery.recovered.length} crashed testbed(s)${recoveryProblems ? `; ${recoveryProblems.length} problem(s) left: ${recoveryProblems.join('; ')}` : ''}`,
        data: {
          recovered: recovery.recovered.map((t) => t.testbedId).join(' '),
          problems: recoveryProblems?.length ?? 0,
        },
      });
    }
    throwIfAborted(progress.signal, 'testbed-local/provision');
    ownTestbeds.add(testbedId);
    // Jobs die with this process even when it is killed with SIGKILL and no cleanup of ours runs.
    watchdog = startJobWatchdog(testbedId);
    unregister = registerExitCleanup(() => {
      tearDownSync();
    });
    try {
      await writeState('provisioning');
      const hostCores = availableParallelism();
      const next = new Map<string, WorkerState>();
      const coresOf = (spec: WorkerSpec): number =>
        spec.cores ?? (spec.cpus ? countCpus(spec.cpus) : Math.max(1, Math.floor(hostCores / specs.length)));
      const weightOf = (spec: WorkerSpec): number => spec.cpuWeight ?? options.cpuWeight ?? coresOf(spec);
      const testbedWeight = specs.reduce((sum, spec) => sum + weightOf(spec), 0);
      for (const spec of specs) {
        const cores = coresOf(spec);
        const slots = spec.slots ?? options.slotsPerWorker ?? cores;
        const info: LocalWorkerInfo = {
          name: spec.name,
          cores,
          memoryMb: spec.memoryMb ?? Math.floor(totalmem() / 1024 / 1024 / specs.length),
          site: 'local',
          target: 'local',
          targets: [],
          slots,
        };
        const state: WorkerState = { info, slots };
        if (useCgroups && cgroupHost?.ok) {
          state.cgroup = createWorkerCgroup(
            cgroupHost.host,
            testbedId,
            spec.name,
            spec.cpus,
            cgroups,
            { worker: weightOf(spec), testbed: testbedWeight },
            cores,
          );
          info.targets.push(`cgroup:${state.cgroup.relativePath}`);
        }
        next.set(spec.name, state);
      }
      let dataHost = '127.0.0.1';
      if (options.network) {
        const created = createNetwork(testbedId, [...next.keys()], network);
        dataHost = created.hostAddress;
        for (const entry of created.workers) {
          const state = next.get(entry.worker) as WorkerState;
          state.netns = entry.netns;
          state.info.netns = entry.netns;
          state.info.address = entry.address;
          state.info.targets.push(`netns:${entry.netns}`);
        }
      }
      for (const state of next.values()) {
        if (state.info.targets.length === 0) state.info.targets.push('local');
        state.info.target = state.info.targets[0] as string;
      }
      dataNode = await startDataNode(dataHost);
      workers = next;
      const result: LocalDeployment = {
        testbed: 'local',
        workers: [...next.values()].map((state) => state.info),
        submitNode: { name: hostname(), target: 'local' },
        resources: [
          ...[...next.values()].flatMap((state) => [
            ...(state.cgroup ? [{ kind: 'cgroup', id: state.cgroup.relativePath, name: state.info.name }] : []),
            ...(state.netns ? [{ kind: 'netns', id: state.netns, name: state.info.name }] : []),
          ]),
          ...network.bridges.map((bridge) => ({ kind: 'bridge', id: bridge })),
          { kind: 'data-node', id: dataNode.url },
          ...(watchdog?.pid === undefined ? [] : [{ kind: 'watchdog', id: String(watchdog.pid) }]),
        ],
        isolation: useCgroups ? 'cgroup' : 'process-group',
        dataNodeUrl: dataNode.url,
        recovery,
      };
      if (recoveryProblems) result.recoveryProblems = recoveryProblems;
      if (isolationNote) result.isolationNote = isolationNote;
      if (useCgroups && cgroupHost?.ok) result.cgroupVersion = cgroupHost.host.version;
      await writeState('provisioned', dataNode.url);
      reportProgress(progress.onProgress, { phase: 'provision', ratio: 1, message: `${specs.length} workers ready` });
      return result;
    } catch (error) {
      const problems = tearDownSync();
      await dataNode?.close();
      dataNode = undefined;
      unregister?.();
      if (isProteusError(error)) throw error;
      throw new ProteusError(
        'PROTEUS_TESTBED_LOCAL_PROVISION_FAILED',
        `testbed-local/provision: could not set up testbed ${testbedId}: ${(error as Error).message}`,
        { cause: error, details: { leftovers: problems } },
      );
    }
  };

  const provision = async (progress: LongOperationOptions = {}): Promise<LocalDeployment> => {
    assertUsable('provision');
    if (deployment) return deployment;
    provisioning ??= doProvision({
      signal: progress.signal ?? options.signal,
      onProgress: progress.onProgress ?? options.onProgress,
    }).then(
      (result) => {
        deployment = result;
        return result;
      },
      (error: unknown) => {
        provisioning = undefined;
        throw error;
      },
    );
    return provisioning;
  };

  /** One attempt that never throws: an error before or around the job's processes becomes its failure reason. */
  const runAttempt = async (
    job: LocalJob,
    worker: WorkerState,
    attempt: number,
    readyAt: number,
    submitAt: number,
    run: ActiveRun,
  ): Promise<{ ok: boolean; value: JobRecord | undefined }> => {
    try {
      return await attemptJob(job, worker, attempt, readyAt, submitAt, run);
    } catch (error) {
      run.reasons.set(job.name, `cannot start: ${describeError(error)}`);
      return { ok: false, value: undefined };
    }
  };

  const attemptJob = async (
    job: LocalJob,
    worker: WorkerState,
    attempt: number,
    readyAt: number,
    submitAt: number,
    run: ActiveRun,
  ): Promise<{ ok: boolean; value: JobRecord }> => {
    const diskName = diskNameOf(job.name);
    const scratch = pathInside(run.runDir, 'scratch', diskName);
    const logs = pathInside(run.runDir, 'logs');
    const tag = String(attempt - 1).padStart(3, '0');
    await rm(scratch, { recursive: true, force: true });
    await mkdir(scratch, { recursive: true });
    const deadline = options.jobTimeoutMs === undefined ? undefined : Date.now() + options.jobTimeoutMs;
    const common = {
      cwd: scratch,
      env: jobEnv(scratch, job.name, worker.info.name, run.runId, testbedId),
      cgroupProcs: worker.cgroup?.procsFiles ?? [],
      ...(worker.netns === undefined ? {} : { netns: worker.netns }),
      signal: run.signal,
      onSpawn: (pid: number) => livePids.add(pid),
    };
    const timeLeft = (): { timeoutMs?: number } =>
      deadline === undefined ? {} : { timeoutMs: Math.max(1, deadline - Date.now()) };
    const finished = (result: JobProcessResult): JobProcessResult => {
      if (result.pid !== undefined) livePids.delete(result.pid);
      return result;
    };
    const problems: string[] = [];
    const executeStart = Date.now();
    const record: JobRecord = {
      job: job.name,
      type: job.type,
      transformation: job.transformation,
      worker: worker.info.name,
      ready: readyAt / 1000,
      submit: submitAt / 1000,
      executeStart: executeStart / 1000,
      executeEnd: executeStart / 1000,
      cpuTimeSeconds: 0,
      bytesRead: 0,
      bytesWritten: 0,
      exitCode: -1,
      attempts: attempt,
      executable: job.executable,
      argv: job.argv,
    };
    const transfer = async (mode: 'get' | 'put', lfns: string[]): Promise<{ ok: boolean; bytes: number }> => {
      const out = join(logs, `${diskName}.${mode === 'get' ? 'in' : 'out'}-transfer.${tag}`);
      const urls = lfns.map((lfn) => `${run.url}/files/${encodeURIComponent(lfn)}`);
      // curl starts in a few ms; the Node client (~50 ms of CPU) is the fallback where curl is absent.
      const args = curl
        ? [
            '-sS',
            '-f',
            '--noproxy',
            '*',
            '-w',
            mode === 'get' ? '%{size_download}\\n' : '%{size_upload}\\n',
            ...lfns.flatMap((lfn, i) => [mode === 'get' ? '-o' : '-T', join(scratch, lfn), urls[i] as string]),
          ]
        : ['-e', TRANSFER_SCRIPT, mode, run.url, ...lfns.flatMap((lfn) => [lfn, join(scratch, lfn)])];
      const result = finished(
        await runJobProcess({
          ...common,
          ...timeLeft(),
          file: curl ?? process.execPath,
          args,
          stdoutPath: out,
          stderrPath: `${out}.err`,
        }),
      );
      if (result.exitCode !== 0) {
        const stderr = await readFile(`${out}.err`, 'utf8').catch(() => '');
        problems.push(`stage-${mode === 'get' ? 'in' : 'out'} failed: ${result.error ?? stderr.trim()}`);
        return { ok: false, bytes: 0 };
      }
      const text = await readFile(out, 'utf8');
      const bytes = curl
        ? text.split('\n').reduce((sum, line) => sum + (Number(line) || 0), 0)
        : (JSON.parse(text || '{"bytes":0}') as { bytes: number }).bytes;
      return { ok: true, bytes };
    };

    let ok = true;
    if (job.inputs.length > 0) {
      record.stageInStart = Date.now() / 1000;
      const staged = await transfer('get', job.inputs);
      record.stageInEnd = Date.now() / 1000;
      record.stageInBytes = staged.bytes;
      ok = staged.ok;
    }
    if (ok) {
      const isNode = NODE_SCRIPT.test(job.executable);
      const main = finished(
        await runJobProcess({
          ...common,
          ...timeLeft(),
          file: isNode ? process.execPath : job.executable,
          args: isNode ? [job.executable, ...job.argv] : job.argv,
          stdoutPath: join(logs, `${diskName}.out.${tag}`),
          stderrPath: join(logs, `${diskName}.err.${tag}`),
        }),
      );
      record.exitCode = main.exitCode;
      record.cpuTimeSeconds = round3(main.userSeconds + main.systemSeconds);
      record.userSeconds = main.userSeconds;
      record.systemSeconds = main.systemSeconds;
      record.bytesRead = main.io.rchar;
      record.bytesWritten = main.io.wchar;
      record.readSyscalls = main.io.syscr;
      record.writeSyscalls = main.io.syscw;
      if (main.exitCode !== 0) {
        ok = false;
        const cannotStart =
          main.exitCode === 126 || main.exitCode === 127 ? await diagnoseStart(job.executable) : undefined;
        problems.push(cannotStart ?? main.error ?? `exited with ${main.exitCode}`);
      }
    }
    if (ok && job.outputs.length > 0) {
      const missing = [];
      for (const lfn of job.outputs) {
        if (!(await isPresent(join(scratch, lfn)))) missing.push(lfn);
      }
      if (missing.length > 0) {
        ok = false;
        problems.push(`declared outputs not written: ${missing.join(', ')}`);
      } else {
        record.stageOutStart = Date.now() / 1000;
        const staged = await transfer('put', job.outputs);
        record.stageOutEnd = Date.now() / 1000;
        record.stageOutBytes = staged.bytes;
        ok = staged.ok;
      }
    }
    record.executeEnd = Date.now() / 1000;
    // The post script (pegasus-exitcode's role): the attempt succeeded and every output reached the data node.
    record.postScriptStart = Date.now() / 1000;
    if (ok) {
      for (const lfn of job.outputs) {
        if ((await dataNode?.sizeOf(run.runId, lfn)) === undefined) {
          ok = false;
          problems.push(`output ${lfn} missing on the data node`);
        }
      }
    }
    record.postScriptEnd = Date.now() / 1000;
    if (ok && record.exitCode !== 0) ok = false;
    if (ok) await rm(scratch, { recursive: true, force: true });
    else run.reasons.set(job.name, problems.join('; ') || `exited with ${record.exitCode}`);
    if (!ok && problems.length > 0) {
      await mkdir(logs, { recursive: true });
      await appendFile(join(logs, `${diskName}.post.${tag}`), `${problems.join('\n')}\n`);
    }
    return { ok, value: record };
  };

  const runWorkflow = async (workflowPath: string, runOptions: RunWorkflowOptions): Promise<WorkflowRunResult> => {
    assertUsable('runWorkflow');
    if (!isSafeLfn(runOptions.runId) || !/^[A-Za-z0-9_.-]+$/.test(runOptions.runId)) {
      throw new ProteusError(
        'PROTEUS_TESTBED_LOCAL_INVALID_OPTIONS',
        `testbed-local/runWorkflow: runId must be letters, digits, _ . - (got ${JSON.stringify(runOptions.runId)})`,
      );
    }
    const { placement } = runOptions;
    // A failed placement hook (the anomaly could not be applied or reverted) stops the run like an abort does.
    const placementStop = new AbortController();
    let placementError: unknown;
    const signal = AbortSignal.any([
      lifetime.signal,
      placementStop.signal,
      ...(runOptions.signal ? [runOptions.signal] : []),
    ]);
    const onProgress = runOptions.onProgress ?? options.onProgress;
    const active = (async () => {
      await provision({ signal });
      throwIfAborted(signal, 'testbed-local/runWorkflow');
      const workflow = await loadLocalWorkflow(workflowPath);
      const targets = new Set(placement?.jobs ?? []);
      const unknown = [...targets].filter((job) => !workflow.jobs.some((node) => node.name === job));
      if (unknown.length > 0) {
        throw new ProteusError(
          'PROTEUS_TESTBED_LOCAL_INVALID_OPTIONS',
          `testbed-local/runWorkflow: placement names ${unknown.length} job(s) that ${workflow.name} does not have (${unknown.slice(0, 3).join(', ')}); name jobs of its DAG`,
          { details: { unknown } },
        );
      }
      const hook = async (step: 'enter' | 'leave', worker: string, job: string): Promise<boolean> => {
        if (!placement || !targets.has(job)) return true;
        try {
          await placement[step](worker, job);
          return true;
        } catch (error) {
          placementError ??= error;
          placementStop.abort(error);
          return false;
        }
      };
      const runDir = resolve(runOptions.workDir);
      await mkdir(join(runDir, 'logs'), { recursive: true });
      await mkdir(join(runDir, 'data'), { recursive: true });
      const node = dataNode as DataNode;
      node.addRun(runOptions.runId, { dataDir: join(runDir, 'data'), rawInputs: workflow.rawInputs });
      const run: ActiveRun = {
        runId: runOptions.runId,
        runDir,
        url: `${node.url}/runs/${encodeURIComponent(runOptions.runId)}`,
        signal,
        reasons: new Map(),
      };
      const startedAt = Date.now();
      const submitDir = submitDirWriterFor(join(runDir, 'submit'), workflow);
      await submitDir?.start(startedAt / 1000);
      try {
        const results = await executeDag(workflow.jobs, {
          workers: [...workers.values()].map((state) => ({ name: state.info.name, slots: state.slots })),
          retries: options.retries ?? DEFAULTS.retries,
          rng: createRng(((options.seed ?? DEFAULTS.seed) ^ hashString(runOptions.runId)) >>> 0),
          signal,
          startedAt,
          launch: async (context) => {
            if (!(await hook('enter', context.worker, context.node.name))) {
              run.reasons.set(context.node.name, 'not started: its placement hook failed');
              return { ok: false, value: undefined };
            }
            try {
              const attempt = await runAttempt(
                context.node,
                workers.get(context.worker) as WorkerState,
                context.attempt,
                context.readyAt,
                context.submitAt,
                run,
              );
              if (attempt.value) await submitDir?.jobFinished(attempt.value);
              return attempt;
            } finally {
              await hook('leave', context.worker, context.node.name);
            }
          },
          onChange: (state) =>
            reportProgress(onProgress, {
              phase: 'run',
              ratio: (state.done + state.failed) / state.total,
              message: `${workflow.name} ${runOptions.runId}: ${state.done}/${state.total} jobs done, ${state.running} running`,
              data: { done: state.done, failed: state.failed, running: state.running, total: state.total },
            }),
        });
        if (placementError !== undefined) {
          throw new ProteusError(
            'PROTEUS_TESTBED_LOCAL_PLACEMENT_FAILED',
            `testbed-local/runWorkflow: ${runOptions.runId} stopped because its placement hook failed (${placementError instanceof Error ? placementError.message : String(placementError)})`,
            { cause: placementError },
          );
        }
        throwIfAborted(signal, 'testbed-local/runWorkflow');
        const jobs: JobRecord[] = [];
        const failures: JobFailure[] = [];
        const skipped: string[] = [];
        for (const job of workflow.jobs) {
          const result = results.get(job.name);
          if (result?.value) jobs.push(result.value);
          if (result?.status === 'failed') {
            const reason = run.reasons.get(job.name) ?? 'failed without a reason';
            failures.push({ job: job.name, attempts: result.attempts, reason });
          } else if (result?.status !== 'succeeded') skipped.push(job.name);
        }
        jobs.sort((a, b) => a.ready - b.ready || a.executeStart - b.executeStart);
        await submitDir?.finish(Date.now() / 1000, failures.length === 0 && skipped.length === 0);
        const outcome: WorkflowRunResult = {
          runId: runOptions.runId,
          workflow: workflow.name,
          startedAt: startedAt / 1000,
          endedAt: Date.now() / 1000,
          succeeded: failures.length === 0 && skipped.length === 0,
          jobs,
        };
        if (failures.length > 0) outcome.failures = failures;
        if (skipped.length > 0) outcome.skipped = skipped;
        return outcome;
      } finally {
        node.removeRun(runOptions.runId);
      }
    })();
    activeRuns.add(active);
    try {
      return await active;
    } finally {
      activeRuns.delete(active);
    }
  };

  const release = async (): Promise<void> => {
    if (released) return;
    released = true;
    lifetime.abort(new Error('testbed released'));
    await Promise.allSettled([...activeRuns, ...(provisioning ? [provisioning] : [])]);
    await dataNode?.close();
    dataNode = undefined;
    const problems = tearDownSync();
    unregister?.();
    deployment = undefined;
    if (problems.length > 0) {
      throw new ProteusError(
        'PROTEUS_TESTBED_LOCAL_RELEASE_INCOMPLETE',
        `testbed-local/release: ${problems.length} resources of testbed ${testbedId} could not be removed: ${problems.join('; ')}`,
        { details: { problems } },
      );
    }
  };

  options.signal?.addEventListener('abort', () => void release().catch(() => undefined), { once: true });

  return {
    name: 'local',
    testbedId,
    supportsPlacement: true,
    provision,
    runnerFor(worker: string): CommandRunner {
      assertUsable('runnerFor');
      const state = workers.get(worker);
      if (!deployment || !state) {
        throw new ProteusError(
          'PROTEUS_TESTBED_LOCAL_UNKNOWN_WORKER',
          `testbed-local/runnerFor: no provisioned worker "${worker}" (workers: ${[...workers.keys()].join(', ') || 'none; call provision() first'})`,
        );
      }
      return state.netns === undefined ? createLocalRunner() : createNetnsRunner(state.netns);
    },
    runWorkflow,
    release,
    [Symbol.asyncDispose]: release,
  };
}

function validateOptions(options: LocalTestbedOptions): WorkerSpec[] {
  const problems: string[] = [];
  const positiveInt = (value: number | undefined, what: string): void => {
    if (value !== undefined && (!Number.isInteger(value) || value < 1))
      problems.push(`${what} must be a positive integer (got ${value})`);
  };
  let specs: WorkerSpec[] = [];
  if (typeof options.workers === 'number') {
    positiveInt(options.workers, 'workers');
    if (Number.isInteger(options.workers) && options.workers > 0 && options.workers <= 64) {
      specs = Array.from({ length: options.workers }, (_, i) => ({ name: `worker-${i + 1}` }));
    } else if (options.workers > 64) problems.push(`workers must be at most 64 (got ${options.workers})`);
  } else if (Array.isArray(options.workers) && options.workers.length > 64) {
    problems.push(`workers must be at most 64 (got ${options.workers.length} specs)`);
  } else if (Array.isArray(options.workers) && options.workers.length > 0) {
    specs = options.workers;
    const seen = new Set<string>();
    for (const spec of specs) {
      if (!NAME.test(spec.name))
        problems.push(`worker name ${JSON.stringify(spec.name)} must be 1-20 letters, digits, _ . -`);
      if (seen.has(spec.name)) problems.push(`worker name "${spec.name}" appears twice`);
      seen.add(spec.name);
      positiveInt(spec.slots, `workers["${spec.name}"].slots`);
      positiveInt(spec.cores, `workers["${spec.name}"].cores`);
      if (spec.cpus !== undefined && !/^\d+(-\d+)?(,\d+(-\d+)?)*$/.test(spec.cpus)) {
        problems.push(
          `workers["${spec.name}"].cpus must be a core list like "0-1,3" (got ${JSON.stringify(spec.cpus)})`,
        );
      }
    }
  } else {
    problems.push('workers must be a positive count or a non-empty array of { name }');
  }
  positiveInt(options.slotsPerWorker, 'slotsPerWorker');
  const weights = [
    ['cpuWeight', options.cpuWeight],
    ...specs.map((spec) => [`workers["${spec.name}"].cpuWeight`, spec.cpuWeight] as const),
  ] as const;
  for (const [what, weight] of weights) {
    if (weight !== undefined && !(typeof weight === 'number' && weight > 0 && weight <= 256))
      problems.push(`${what} must be a number in (0, 256] (got ${String(weight)})`);
  }
  if (options.retries !== undefined && (!Number.isInteger(options.retries) || options.retries < 0)) {
    problems.push(`retries must be a non-negative integer (got ${options.retries})`);
  }
  positiveInt(options.jobTimeoutMs, 'jobTimeoutMs');
  if (options.seed !== undefined && !Number.isSafeInteger(options.seed))
    problems.push(`seed must be an integer (got ${options.seed})`);
  if (options.testbedId !== undefined && !TESTBED_ID.test(options.testbedId)) {
    problems.push(`testbedId must be 1-32 letters, digits, _ . - (got ${JSON.stringify(options.testbedId)})`);
  } else if (options.testbedId !== undefined && GENERATED_TESTBED_ID.test(options.testbedId)) {
    problems.push(
      `testbedId ${JSON.stringify(options.testbedId)} has the reserved form tl<pid>x<n> of generated ids (the orphan sweep reads the owner pid from it); choose another name or omit it`,
    );
  }
  if (options.isolation !== undefined && !['auto', 'cgroup', 'process-group'].includes(options.isolation)) {
    problems.push(`isolation must be "auto", "cgroup" or "process-group" (got ${JSON.stringify(options.isolation)})`);
  }
  if (typeof options.workDir !== 'string' || options.workDir === '') problems.push('workDir must be a folder path');
  if (problems.length > 0) {
    throw new ProteusError(
      'PROTEUS_TESTBED_LOCAL_INVALID_OPTIONS',
      `testbed-local/createLocalTestbed: ${problems.length} invalid option${problems.length === 1 ? '' : 's'}: ${problems.join('; ')}`,
      { details: { problems } },
    );
  }
  return specs;
}

function jobEnv(
  scratch: string,
  job: string,
  worker: string,
  runId: string,
  testbedId: string,
): Record<string, string> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    HOME: process.env.HOME ?? scratch,
    LANG: process.env.LANG ?? 'C.UTF-8',
    TMPDIR: scratch,
    PROTEUS_JOB: job,
    PROTEUS_WORKER: worker,
    PROTEUS_RUN_ID: runId,
    // Marks the job's whole process tree, so recovery finds it after a crash even without cgroups.
    [TESTBED_VARIABLE]: testbedId,
  };
  return env;
}

function countCpus(list: string): number {
  return list.split(',').reduce((sum, part) => {
    const [lo, hi] = part.split('-').map(Number);
    return sum + (hi === undefined ? 1 : (hi as number) - (lo as number) + 1);
  }, 0);
}

function hashString(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}

async function isPresent(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/**
 * Why `sh` could not execute a program (it exits 126 or 127 without saying why in a form we can read): the errno of
 * `access(X_OK)` on the program, or on the interpreter its `#!` line names. `undefined` when both look runnable.
 */
async function diagnoseStart(executable: string): Promise<string | undefined> {
  try {
    await access(executable, constants.X_OK);
  } catch (error) {
    return `cannot start ${executable}: ${describeError(error)}`;
  }
  const head = await readFile(executable).then(
    (bytes) => bytes.subarray(0, 256).toString('latin1'),
    () => '',
  );
  const interpreter = /^#!\s*(\S+)/.exec(head)?.[1];
  if (interpreter === undefined) return undefined;
  try {
    await access(interpreter, constants.X_OK);
  } catch (error) {
    return `cannot start ${executable}: its interpreter ${interpreter} fails with ${describeError(error)}`;
  }
  return undefined;
}

/** `ENOENT (no such file or directory)`-style text for an errno error, else the message. */
function describeError(error: unknown): string {
  const errno = error as NodeJS.ErrnoException;
  if (typeof errno?.code === 'string' && errno.code.startsWith('E')) {
    const detail = typeof errno.syscall === 'string' ? `${errno.syscall}${errno.path ? ` ${errno.path}` : ''}` : '';
    return `${errno.code}${detail ? ` (${detail})` : ''}`;
  }
  return error instanceof Error ? error.message : String(error);
}

function findBinary(name: string): string | undefined {
  for (const folder of (process.env.PATH ?? '/usr/bin:/bin').split(':')) {
    if (folder && existsSync(join(folder, name))) return join(folder, name);
  }
  return undefined;
}

/**
 * The run's Pegasus-style submit directory, when every job name is one DAGMan and a kickstart file name can take;
 * a workflow with other names (legal for the testbed: spaces, non-ASCII, very long) runs without one.
 */
function submitDirWriterFor(dir: string, workflow: LocalWorkflow): SubmitDirWriter | undefined {
  try {
    return createSubmitDirWriter(dir, { workflow: workflow.name, jobs: workflow.jobs });
  } catch (error) {
    if (isProteusError(error, 'PROTEUS_PEGASUS_INVALID_OPTION')) return undefined;
    throw error;
  }
}
