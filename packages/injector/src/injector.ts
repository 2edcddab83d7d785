import { randomBytes } from 'node:crypto';
import { hostname, tmpdir } from 'node:os';
import type { CommandRunner } from '@proteus-wf/core';
import { isProteusError, ProteusError, throwIfAborted } from '@proteus-wf/core';
import { type AnomalySpec, describeAnomaly, validateAnomaly } from './anomaly-spec.js';
import { DEFAULT_CGROUP_ROOT, detectCgroupLayout, planCpu, planDisk } from './internal/cgroup.js';
import { planDockerCpu } from './internal/docker.js';
import { CGROUP_NAMESPACE, checkEntry, runInverse } from './internal/inverse-actions.js';
import { planNetwork } from './internal/network.js';
import type { Plan } from './internal/plan.js';
import { readStartTime } from './internal/proc.js';
import { isOwnerAlive, revertEntry, revertFailed } from './internal/revert-entry.js';
import { planStress } from './internal/stress.js';
import {
  appendLedgerRecord,
  LEDGER_VERSION,
  type LedgerEntry,
  type LedgerOwner,
  type RevertReason,
  readLedger,
  scanLedger,
} from './ledger.js';
import { armDeadlineReverter, type DeadlineReverterArmed, sleepUntil } from './revert-at-deadline.js';
import { type RunnerForTargetOptions, runnerForTarget } from './runner-for-target.js';
import { parseTarget, type Target } from './targets.js';

/** Options of {@link createInjector}: the ledger, how targets are reached, and when live anomalies are reverted. */
export interface InjectorOptions {
  /** The append-only JSON-lines ledger (created when missing). */
  ledgerPath: string;
  /** The runner for targets whose string equals `runner.target` (e.g. a preconfigured ssh runner). */
  runner?: CommandRunner;
  /** Chooses the runner of a target; default {@link runnerForTarget}. */
  runnerFor?: (target: string) => CommandRunner;
  /** ssh settings (bastion, key) used by the default `runnerFor` for `ssh:` targets. */
  ssh?: RunnerForTargetOptions['ssh'];
  /** Aborting reverts every live anomaly of this injector. */
  signal?: AbortSignal;
  /** Root of the cgroup mounts (default `/sys/fs/cgroup`). */
  cgroupRoot?: string;
  /** Folder whose disk `disk` specs throttle when they name no device, and where disk stress writes (default: tmpdir). */
  workDir?: string;
  /** Revert live anomalies on SIGINT/SIGTERM/SIGHUP (default true); handlers exist only while anomalies are live. */
  handleSignals?: boolean;
  /**
   * Arm a detached reverter process for each `durationSec` anomaly (default true), so that the anomaly ends at its
   * deadline even when this process dies (`kill -9`, a closed terminal). It is armed only where it can reach the
   * target the same way: with the default runner of the target (no `runner`/`runnerFor` of one's own).
   */
  deadlineReverter?: boolean;
}

/** The longest `durationSec` (7 days): longer holds are a typo, or an anomaly that should have no duration. */
export const MAX_DURATION_SEC = 7 * 24 * 3600;

/** Options of `Injector.apply`: the run and worker the anomaly labels, and when it reverts by itself. */
export interface ApplyOptions {
  /** The run this anomaly labels. */
  runId?: string;
  /** The worker it makes anomalous (its jobs get the anomaly's label). */
  worker?: string;
  /**
   * Revert automatically after this many seconds, in (0, {@link MAX_DURATION_SEC}]; also when this process dies
   * first, through a detached reverter (see `InjectorOptions.deadlineReverter`). Default: stays until reverted,
   * aborted or disposed.
   */
  durationSec?: number;
  /** Aborting reverts this anomaly. */
  signal?: AbortSignal;
}

/** A live anomaly. Release it with `release()`/`revert()` or `await using`. */
export interface AnomalyHandle extends AsyncDisposable {
  readonly id: string;
  readonly target: string;
  readonly spec: AnomalySpec;
  /** What the backends did: mechanisms, cgroup, device, nft table, stressor PID. */
  readonly effect: Readonly<Record<string, unknown>>;
  /** Epoch seconds. */
  readonly appliedAt: number;
  readonly reverted: boolean;
  /** Reverts the anomaly (idempotent). Resolves when every inverse operation is done. */
  release(): Promise<void>;
  /** Same as `release()`. */
  revert(): Promise<void>;
}

/** What `Injector.revert` did to one anomaly. */
export interface RevertResult {
  /** The anomaly's id. */
  id: string;
  /** False when the ledger already recorded it as reverted (revert is idempotent). */
  reverted: boolean;
}

/** Options of `Injector.recover` and {@link recoverLedger}: which anomalies to revert and how targets are reached. */
export interface RecoverOptions {
  /** Also revert anomalies whose owner process is still alive (default false: they are still managed). */
  includeLiveOwners?: boolean;
  /** Chooses the runner of a target; default: the injector's own (`Injector.recover`) or {@link runnerForTarget}. */
  runnerFor?: (target: string) => CommandRunner;
  /** ssh settings for the default {@link runnerForTarget} of {@link recoverLedger}; unused when `runnerFor` is set. */
  ssh?: RunnerForTargetOptions['ssh'];
  /** Root of the cgroup mounts whose knobs are restored (default `/sys/fs/cgroup`). */
  cgroupRoot?: string;
}

/** A ledger entry or line that `recover` refused to act on, and why. */
export interface RejectedEntry {
  /** The anomaly id the entry names (absent for a line that names none). */
  id?: string;
  /** The 1-based line of a malformed line. */
  line?: number;
  /**
   * `PROTEUS_INJECTOR_LEDGER_LEGACY` (an older format, whose undo steps were free commands),
   * `PROTEUS_INJECTOR_LEDGER_REJECTED` (not an entry this injector wrote: a command, a foreign path or target),
   * `PROTEUS_INJECTOR_LEDGER_TARGET_GONE` (its network namespace no longer exists) or
   * `PROTEUS_INJECTOR_LEDGER_MALFORMED` (a line that is no ledger record).
   */
  code: string;
  /** What is wrong and what to check by hand. */
  reason: string;
}

/** What a recovery did to each unreverted anomaly of the ledger: reverted, skipped (with why) or failed (with why). */
export interface RecoverResult {
  /** Ids of the anomalies reverted now. */
  reverted: string[];
  /** Anomalies left alone: live in this injector, or owned by a process that is alive (or on another host). */
  skipped: Array<{ id: string; reason: string }>;
  /** Anomalies whose inverse actions failed, with each failure; still unreverted in the ledger. */
  failed: Array<{ id: string; errors: string[] }>;
  /** Entries and lines nothing was done for: forged, of an older format, or on a target that is gone. */
  rejected: RejectedEntry[];
}

/** Applies and reverts anomalies through one write-ahead ledger; disposing it reverts every live anomaly it applied. */
export interface Injector extends AsyncDisposable {
  /**
   * Applies an anomaly to a target and returns its handle. The ledger gets an intent (with the inverse operations)
   * before anything changes, and an `applied` record after.
   */
  apply(target: string, spec: AnomalySpec, options?: ApplyOptions): Promise<AnomalyHandle>;
  /** Reverts an anomaly by id, live in this process or recorded in the ledger by another (idempotent). */
  revert(id: string): Promise<RevertResult>;
  /** Every anomaly in the ledger. */
  list(): Promise<LedgerEntry[]>;
  /** Reverts what dead processes left applied (never the live handles of this injector). */
  recover(options?: RecoverOptions): Promise<RecoverResult>;
  /** Reverts every live anomaly of this injector. */
  releaseAll(): Promise<void>;
}

interface LiveAnomaly {
  handle: AnomalyHandle;
  revert(reason: RevertReason): Promise<void>;
}

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * Creates an injector bound to one ledger.
 * @example
 * await using injector = createInjector({ ledgerPath: 'out/ledger.jsonl' })
 * await using anomaly = await injector.apply('cgroup:proteus/tb1/w1', parseAnomaly('cpu_1'), { runId, worker: 'w1' })
 * @throws ProteusError (from `apply`) PROTEUS_INJECTOR_TARGET_INVALID, PROTEUS_INJECTOR_TARGET_UNSUPPORTED,
 *   PROTEUS_INJECTOR_TARGET_MISSING, PROTEUS_INJECTOR_SPEC_INVALID, PROTEUS_INJECTOR_SPEC_UNSATISFIABLE,
 *   PROTEUS_INJECTOR_FACILITY_MISSING, PROTEUS_INJECTOR_CONFLICT, PROTEUS_INJECTOR_DEVICE_UNSUPPORTED,
 *   PROTEUS_INJECTOR_CGROUP_WRITE, PROTEUS_INJECTOR_STRESSOR_FAILED, PROTEUS_INJECTOR_COMMAND_FAILED,
 *   PROTEUS_INJECTOR_APPLY_FAILED, PROTEUS_INJECTOR_DURATION_INVALID, PROTEUS_INJECTOR_REVERTER_FAILED,
 *   PROTEUS_CORE_ABORTED; (from `revert`) PROTEUS_INJECTOR_REVERT_FAILED, PROTEUS_INJECTOR_NOT_FOUND,
 *   PROTEUS_INJECTOR_LEDGER_LEGACY, PROTEUS_INJECTOR_LEDGER_REJECTED, PROTEUS_INJECTOR_LEDGER_TARGET_GONE
 */
export function createInjector(options: InjectorOptions): Injector {
  const { ledgerPath } = options;
  const cgroupRoot = options.cgroupRoot ?? DEFAULT_CGROUP_ROOT;
  const live = new Map<string, LiveAnomaly>();
  const runners = new Map<string, CommandRunner>();
  const hasOwnRunner = (target: string) =>
    options.runnerFor !== undefined || (options.runner !== undefined && options.runner.target === target);
  const runnerFor = (target: string): CommandRunner => {
    const cached = runners.get(target);
    if (cached) return cached;
    const made =
      options.runnerFor?.(target) ??
      (options.runner?.target === target ? options.runner : runnerForTarget(target, ssh(options.ssh)));
    runners.set(target, made);
    return made;
  };
  let ownerPromise: Promise<LedgerOwner> | undefined;
  const owner = () => {
    ownerPromise ??= readStartTime(process.pid).then((startTime) => ({
      pid: process.pid,
      startTime: startTime ?? '',
      hostname: hostname(),
    }));
    return ownerPromise;
  };

  const onSignal = (signal: NodeJS.Signals) => {
    void revertAll('signal').finally(() => {
      uninstallSignals();
      // Let the default action (or the application's own handler) run now that nothing is left behind.
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    });
  };
  let signalsInstalled = false;
  const installSignals = () => {
    if (signalsInstalled || options.handleSignals === false) return;
    for (const s of SIGNALS) process.on(s, onSignal);
    signalsInstalled = true;
  };
  const uninstallSignals = () => {
    if (!signalsInstalled) return;
    for (const s of SIGNALS) process.off(s, onSignal);
    signalsInstalled = false;
  };

  const revertAll = async (reason: RevertReason) => {
    const results = await Promise.allSettled([...live.values()].map((anomaly) => anomaly.revert(reason)));
    const failures = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason);
    if (failures.length > 0) {
      throw new ProteusError(
        'PROTEUS_INJECTOR_REVERT_FAILED',
        `injector: ${failures.length} anomaly(ies) could not be fully reverted; run recover on ${ledgerPath}`,
        { details: { errors: failures.map(String) }, cause: failures[0] },
      );
    }
  };
  const onInjectorAbort = () => void revertAll('abort').catch(() => undefined);
  options.signal?.addEventListener('abort', onInjectorAbort, { once: true });

  const apply = async (target: string, spec: AnomalySpec, applyOptions: ApplyOptions = {}): Promise<AnomalyHandle> => {
    throwIfAborted(options.signal, 'injector/apply');
    throwIfAborted(applyOptions.signal, 'injector/apply');
    const checked = validateAnomaly(spec);
    const parsed = parseTarget(target);
    const { durationSec } = applyOptions;
    if (durationSec !== undefined) assertDuration(durationSec);
    if (parsed.kind === 'cgroup' && (parsed.path.split('/')[0] !== CGROUP_NAMESPACE || !parsed.path.includes('/'))) {
      throw new ProteusError(
        'PROTEUS_INJECTOR_TARGET_INVALID',
        `injector/apply: cgroup ${parsed.path} is not under ${CGROUP_NAMESPACE}/; the injector changes only its own cgroups (the testbeds make ${CGROUP_NAMESPACE}/<testbedId>/<worker>), so that recover can tell them from everyone else's.`,
        { details: { target } },
      );
    }
    const runner = runnerFor(target);
    const id = newId();
    const plan = await planFor(parsed, target, checked, {
      id,
      runner,
      cgroupRoot,
      workDir: options.workDir ?? tmpdir(),
      ...(durationSec === undefined ? {} : { durationSec }),
      ...(applyOptions.signal ? { signal: applyOptions.signal } : {}),
    });
    const context = { id, target: parsed, runner: () => runner, cgroupRoot };
    const stepInverses = plan.steps.map((step) => step.inverse);
    const inverseOf = () => [...stepInverses].reverse().flat();
    const intentDeadlineAt = durationSec === undefined ? undefined : Date.now() + durationSec * 1000;
    await appendLedgerRecord(ledgerPath, {
      type: 'intent',
      v: LEDGER_VERSION,
      id,
      at: Date.now(),
      target,
      spec: checked,
      ...(applyOptions.runId === undefined ? {} : { runId: applyOptions.runId }),
      ...(applyOptions.worker === undefined ? {} : { worker: applyOptions.worker }),
      ...(durationSec === undefined ? {} : { durationSec }),
      ...(intentDeadlineAt === undefined ? {} : { deadlineAt: intentDeadlineAt }),
      owner: await owner(),
      inverse: inverseOf(),
    });
    if (durationSec !== undefined && checked.kind !== 'none') {
      // Armed before anything changes: from here on, the anomaly ends at its deadline whatever happens to us.
      let armed: DeadlineReverterArmed;
      try {
        armed =
          options.deadlineReverter === false || hasOwnRunner(target)
            ? { armed: false, reason: 'disabled (deadlineReverter: false, or a runner of its own for the target)' }
            : await armDeadlineReverter({
                ledgerPath,
                id,
                cgroupRoot,
                ...(options.ssh ? { ssh: options.ssh } : {}),
              });
      } catch (error) {
        await appendLedgerRecord(ledgerPath, { type: 'reverted', id, at: Date.now(), reason: 'apply-failed' });
        throw error;
      }
      plan.effect.deadlineReverter = armed.armed ? { pid: armed.pid } : { unavailable: armed.reason };
    }
    for (let i = 0; i < plan.steps.length; i++) {
      const step = plan.steps[i]!;
      try {
        throwIfAborted(applyOptions.signal, 'injector/apply');
        const learnt = await step.apply();
        if (learnt) stepInverses[i] = learnt;
      } catch (error) {
        // Undo the steps done so far, the failing one included (it may have half-happened; inverses are idempotent).
        const errors = await runInverse(
          stepInverses
            .slice(0, i + 1)
            .reverse()
            .flat(),
          context,
        );
        await appendLedgerRecord(
          ledgerPath,
          errors.length === 0
            ? { type: 'reverted', id, at: Date.now(), reason: 'apply-failed' }
            : { type: 'revert-failed', id, at: Date.now(), reason: 'apply-failed', errors },
        );
        if (isProteusError(error)) throw error;
        throw new ProteusError(
          'PROTEUS_INJECTOR_APPLY_FAILED',
          `injector/apply: ${describeAnomaly(checked)} on ${target} failed at "${step.name}": ${(error as Error).message}`,
          { cause: error, details: { id, rollbackErrors: errors } },
        );
      }
    }
    const appliedAt = Date.now();
    const inverse = inverseOf();
    // The anomaly holds for durationSec from now, however long arming the reverter and applying took.
    const deadlineAt = durationSec === undefined ? undefined : appliedAt + durationSec * 1000;
    await appendLedgerRecord(ledgerPath, {
      type: 'applied',
      id,
      at: appliedAt,
      inverse,
      effect: plan.effect,
      ...(deadlineAt === undefined ? {} : { deadlineAt }),
    });

    let reverting: Promise<void> | undefined;
    const timer = new AbortController();
    const onAbort = () => void anomaly.revert('abort').catch(() => undefined);
    const anomaly: LiveAnomaly = {
      handle: undefined as unknown as AnomalyHandle,
      revert(reason) {
        reverting ??= (async () => {
          timer.abort();
          applyOptions.signal?.removeEventListener('abort', onAbort);
          const errors = await runInverse(inverse, context);
          if (errors.length > 0) {
            await appendLedgerRecord(ledgerPath, { type: 'revert-failed', id, at: Date.now(), reason, errors });
            reverting = undefined;
            throw revertFailed(id, target, errors);
          }
          await appendLedgerRecord(ledgerPath, { type: 'reverted', id, at: Date.now(), reason });
          live.delete(id);
          if (live.size === 0) uninstallSignals();
        })();
        return reverting;
      },
    };
    anomaly.handle = {
      id,
      target,
      spec: checked,
      effect: plan.effect,
      appliedAt: appliedAt / 1000,
      get reverted() {
        return !live.has(id);
      },
      release: () => anomaly.revert('release'),
      revert: () => anomaly.revert('release'),
      [Symbol.asyncDispose]: () => anomaly.revert('dispose'),
    };
    live.set(id, anomaly);
    installSignals();
    if (deadlineAt !== undefined) {
      void sleepUntil(deadlineAt, timer.signal, { unref: false }).then((due) => {
        if (due) void anomaly.revert('duration').catch(() => undefined);
      });
    }
    if (applyOptions.signal) {
      if (applyOptions.signal.aborted) await anomaly.revert('abort');
      else applyOptions.signal.addEventListener('abort', onAbort, { once: true });
    }
    return anomaly.handle;
  };

  const revert = async (id: string): Promise<RevertResult> => {
    const anomaly = live.get(id);
    if (anomaly) {
      await anomaly.revert('release');
      return { id, reverted: true };
    }
    const entry = (await readLedger(ledgerPath)).find((e) => e.id === id);
    if (!entry) {
      throw new ProteusError(
        'PROTEUS_INJECTOR_NOT_FOUND',
        `injector/revert: no anomaly "${id}" in ${ledgerPath}. See list().`,
      );
    }
    if (entry.state === 'reverted') return { id, reverted: false };
    const refusal = await checkEntry(entry);
    if (refusal) {
      throw new ProteusError(refusal.code, `injector/revert: anomaly ${id} in ${ledgerPath}: ${refusal.reason}`, {
        details: { id },
      });
    }
    await revertEntry(ledgerPath, entry, () => runnerFor(entry.target), 'release', cgroupRoot);
    return { id, reverted: true };
  };

  const recover = async (recoverOptions: RecoverOptions = {}): Promise<RecoverResult> =>
    recoverLedger(ledgerPath, {
      cgroupRoot,
      ...recoverOptions,
      runnerFor: recoverOptions.runnerFor ?? runnerFor,
      skip: new Set(live.keys()),
    });

  return {
    apply,
    revert,
    list: () => readLedger(ledgerPath),
    recover,
    releaseAll: () => revertAll('release'),
    [Symbol.asyncDispose]: async () => {
      options.signal?.removeEventListener('abort', onInjectorAbort);
      await revertAll('dispose');
    },
  };
}

/**
 * Reverts every anomaly of a ledger that is not reverted and whose owner process is dead (a crash, `kill -9`), or all
 * of them with `includeLiveOwners`. Every entry is checked first: only the inverse actions the injector itself
 * records, on targets it validates (its own cgroups, tables, namespaces, marked processes and scratch folders), are
 * ever carried out. Forged, older-format and malformed entries are returned in `rejected`, and nothing of them runs.
 * Safe to run any number of times.
 * @example const { reverted, failed, rejected } = await recoverLedger('out/ledger.jsonl')
 */
export async function recoverLedger(
  ledgerPath: string,
  options: RecoverOptions & { skip?: ReadonlySet<string> } = {},
): Promise<RecoverResult> {
  const result: RecoverResult = { reverted: [], skipped: [], failed: [], rejected: [] };
  const runners = new Map<string, CommandRunner>();
  const runnerFor = (target: string) => {
    let runner = runners.get(target);
    if (!runner) {
      runner = options.runnerFor?.(target) ?? runnerForTarget(target, ssh(options.ssh));
      runners.set(target, runner);
    }
    return runner;
  };
  const { entries, malformed } = await scanLedger(ledgerPath, 'lenient');
  for (const line of malformed) {
    result.rejected.push({
      ...(line.id === undefined ? {} : { id: line.id }),
      line: line.line,
      code: 'PROTEUS_INJECTOR_LEDGER_MALFORMED',
      reason: `line ${line.line}: ${line.reason}; nothing of it was run`,
    });
  }
  for (const entry of entries) {
    if (entry.state === 'reverted') continue;
    if (options.skip?.has(entry.id)) {
      result.skipped.push({ id: entry.id, reason: 'live in this injector' });
      continue;
    }
    const refusal = await checkEntry(entry).catch((error: unknown) => ({
      code: 'PROTEUS_INJECTOR_LEDGER_REJECTED',
      reason: `cannot be checked (${(error as Error).message}); nothing of it was run`,
    }));
    if (refusal) {
      result.rejected.push({ id: String(entry.id), code: refusal.code, reason: refusal.reason });
      continue;
    }
    if (!options.includeLiveOwners && (await isOwnerAlive(entry.owner))) {
      result.skipped.push({ id: entry.id, reason: `owner process ${entry.owner.pid} is alive` });
      continue;
    }
    try {
      await revertEntry(ledgerPath, entry, () => runnerFor(entry.target), 'recover', options.cgroupRoot);
      result.reverted.push(entry.id);
    } catch (error) {
      const details = isProteusError(error) ? (error.details as { errors?: string[] } | undefined) : undefined;
      result.failed.push({ id: entry.id, errors: details?.errors ?? [String(error)] });
    }
  }
  return result;
}

function assertDuration(durationSec: number): void {
  if (
    typeof durationSec !== 'number' ||
    !Number.isFinite(durationSec) ||
    durationSec <= 0 ||
    durationSec > MAX_DURATION_SEC
  ) {
    throw new ProteusError(
      'PROTEUS_INJECTOR_DURATION_INVALID',
      `injector/apply: durationSec must be a number of seconds in (0, ${MAX_DURATION_SEC}] (got ${JSON.stringify(durationSec)}). Leave it out for an anomaly that stays until reverted.`,
      { details: { durationSec } },
    );
  }
}

interface PlanContext {
  id: string;
  runner: CommandRunner;
  cgroupRoot: string;
  workDir: string;
  durationSec?: number;
  signal?: AbortSignal;
}

async function planFor(target: Target, targetText: string, spec: AnomalySpec, context: PlanContext): Promise<Plan> {
  const unsupported = (fix: string): never => {
    throw new ProteusError(
      'PROTEUS_INJECTOR_TARGET_UNSUPPORTED',
      `injector/apply: ${describeAnomaly(spec)} (${spec.kind}) cannot be applied to target ${targetText}. ${fix}`,
      { details: { kind: spec.kind, target: targetText } },
    );
  };
  switch (spec.kind) {
    case 'none':
      return { steps: [], effect: {} };
    case 'cpu':
      if (target.kind === 'cgroup') return planCpu(await detectCgroupLayout(context.cgroupRoot), target.path, spec);
      if (target.kind === 'docker') return planDockerCpu(context.runner, target.container, spec, context.signal);
      // NOTE: a limit on `local` would need a transient cgroup that no job runs in: an anomaly with no effect.
      return unsupported(
        'CPU limits apply to a group of processes: use cgroup:<path> (the worker cgroup) or docker:<container>.',
      );
    case 'disk':
      if (target.kind === 'cgroup') {
        return planDisk(await detectCgroupLayout(context.cgroupRoot), target.path, spec, context.workDir);
      }
      if (target.kind === 'docker') {
        return unsupported(
          'docker update cannot change --device-*-bps: recreate the container with planDockerFlags().',
        );
      }
      return unsupported('Disk caps apply to a group of processes: use cgroup:<path> (the worker cgroup).');
    case 'stress':
      if (target.kind === 'docker')
        return unsupported('Run the stressor on the docker host (ssh:) or in the container cgroup.');
      return planStress(
        {
          id: context.id,
          target,
          runner: context.runner,
          layout: await detectCgroupLayout(context.cgroupRoot),
          scratchRoot: context.workDir,
          ...(context.durationSec === undefined ? {} : { durationSec: context.durationSec }),
          ...(context.signal ? { signal: context.signal } : {}),
        },
        spec,
      );
    case 'network':
      if (target.kind === 'cgroup' || target.kind === 'docker') {
        return unsupported(
          'Network anomalies apply to a network namespace or host: use netns:<name>, ssh:<host> or local.',
        );
      }
      return planNetwork(context.runner, context.id, spec, context.signal);
  }
}

function newId(): string {
  // Unique across processes sharing a ledger; not experiment randomness, so not from the seeded Rng.
  return `${Date.now().toString(36)}${randomBytes(4).toString('hex')}`;
}

function ssh(value: RunnerForTargetOptions['ssh']): RunnerForTargetOptions {
  return value ? { ssh: value } : {};
}
