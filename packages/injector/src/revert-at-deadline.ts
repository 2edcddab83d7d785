import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ProteusError } from '@proteus-wf/core';
import { DEFAULT_CGROUP_ROOT } from './internal/cgroup.js';
import { checkEntry } from './internal/inverse-actions.js';
import { isOwnerAlive, revertEntry } from './internal/revert-entry.js';
import { type LedgerEntry, scanLedger } from './ledger.js';
import { type RunnerForTargetOptions, runnerForTarget } from './runner-for-target.js';

/** Options of {@link revertAtDeadline}. */
export interface RevertAtDeadlineOptions {
  /** Root of the cgroup mounts (default `/sys/fs/cgroup`). */
  cgroupRoot?: string;
  /** ssh settings for `ssh:` targets. */
  ssh?: RunnerForTargetOptions['ssh'];
  /** How long a living owner gets past the deadline to revert by itself before this does it (default 5000 ms). */
  graceMs?: number;
  /** How often the ledger is read for an early revert (default 1000 ms). */
  pollMs?: number;
  /** Called once the entry is found and checked, before the wait. */
  onArmed?: () => void;
  /** Aborting stops the wait; nothing is reverted then. */
  signal?: AbortSignal;
}

/** What {@link revertAtDeadline} did: reverted the anomaly at its deadline, found it reverted already, or was aborted. */
export type RevertAtDeadlineOutcome = 'reverted' | 'already-reverted' | 'aborted';

/** The longest single timer Node keeps (a longer delay fires after 1 ms). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Waits until a `durationSec` anomaly of a ledger is due (its `deadlineAt`) and reverts it through the same checked,
 * declarative path as `recover`, unless it is reverted first (then it returns at the next poll). A living owner gets
 * `graceMs` past the deadline to do it itself. This is what the detached reverter that `apply` arms runs, so that an
 * anomaly ends on time even when its holder is killed; it can also be run by hand or from a timer unit.
 * @example await revertAtDeadline('out/injector-ledger.jsonl', 'm1x2y3z4a1b2c3d4')
 * @throws ProteusError PROTEUS_INJECTOR_NOT_FOUND when the ledger has no such anomaly,
 *   PROTEUS_INJECTOR_DURATION_INVALID when it has no deadline, PROTEUS_INJECTOR_LEDGER_LEGACY /
 *   PROTEUS_INJECTOR_LEDGER_REJECTED / PROTEUS_INJECTOR_LEDGER_TARGET_GONE when recover would refuse it,
 *   PROTEUS_INJECTOR_REVERT_FAILED when an inverse action fails
 */
export async function revertAtDeadline(
  ledgerPath: string,
  id: string,
  options: RevertAtDeadlineOptions = {},
): Promise<RevertAtDeadlineOutcome> {
  const pollMs = options.pollMs ?? 1000;
  const find = async (): Promise<LedgerEntry> => {
    const entry = (await scanLedger(ledgerPath, 'lenient')).entries.find((e) => e.id === id);
    if (!entry) {
      throw new ProteusError(
        'PROTEUS_INJECTOR_NOT_FOUND',
        `injector/revertAtDeadline: no anomaly "${id}" in ${ledgerPath}`,
      );
    }
    return entry;
  };
  let entry = await find();
  const deadlineAt = entry.deadlineAt;
  if (typeof deadlineAt !== 'number' || !Number.isFinite(deadlineAt)) {
    throw new ProteusError(
      'PROTEUS_INJECTOR_DURATION_INVALID',
      `injector/revertAtDeadline: anomaly ${id} in ${ledgerPath} has no deadline (it was applied without durationSec)`,
    );
  }
  const refusal = await checkEntry(entry);
  if (refusal) {
    throw new ProteusError(refusal.code, `injector/revertAtDeadline: anomaly ${id}: ${refusal.reason}`, {
      details: { id },
    });
  }
  options.onArmed?.();
  for (;;) {
    if (entry.state === 'reverted') return 'already-reverted';
    // The `applied` line moves the deadline to apply time + duration; until then the intent's holds.
    const deadline = typeof entry.deadlineAt === 'number' ? entry.deadlineAt : deadlineAt;
    const now = Date.now();
    const due = now >= deadline + (options.graceMs ?? 5000) || (now >= deadline && !(await isOwnerAlive(entry.owner)));
    if (due) break;
    const wake = now < deadline ? Math.min(deadline, now + pollMs) : now + Math.min(pollMs, 250);
    if (!(await sleepUntil(wake, options.signal))) return 'aborted';
    entry = await find();
  }
  const runner = () => runnerForTarget(entry.target, options.ssh ? { ssh: options.ssh } : {});
  await revertEntry(ledgerPath, entry, runner, 'duration', options.cgroupRoot ?? DEFAULT_CGROUP_ROOT);
  return 'reverted';
}

/**
 * Resolves true at `epochMs` (in timer-sized chunks, so any delay works), or false as soon as `signal` aborts.
 * `unref`: the wait does not keep the process alive.
 */
export function sleepUntil(epochMs: number, signal?: AbortSignal, options: { unref?: boolean } = {}): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(false);
    let timer: NodeJS.Timeout | undefined;
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const tick = () => {
      const left = epochMs - Date.now();
      if (left <= 0) {
        signal?.removeEventListener('abort', onAbort);
        resolve(true);
        return;
      }
      timer = setTimeout(tick, Math.min(left, MAX_TIMER_MS));
      if (options.unref) timer.unref();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    tick();
  });
}

/** Whether a detached reverter was armed, and its pid or why not. */
export type DeadlineReverterArmed = { armed: true; pid: number } | { armed: false; reason: string };

/** The detached reverter: imports this very module and runs {@link revertAtDeadline}. Values are arguments. */
const REVERTER = `
const fs = await import('node:fs');
const [url, ledgerPath, id, json] = process.argv.slice(1);
const say = (line) => { try { fs.writeSync(1, line + '\\n'); } catch {} };
try {
  const { revertAtDeadline } = await import(url);
  await revertAtDeadline(ledgerPath, id, {
    ...JSON.parse(json),
    onArmed: () => {
      say('armed');
      // Nothing reads our output past the handshake: fd 1 becomes /dev/null (open takes the lowest free fd).
      fs.closeSync(1);
      fs.openSync('/dev/null', 'w');
    },
  });
} catch (error) {
  say('error ' + String(error && error.message ? error.message : error).replace(/\\n/g, ' '));
  process.exitCode = 1;
}`;

/** Node flags a child needs to import the module the way this process did (a source loader, conditions). */
function loaderArgs(): string[] {
  const keep: string[] = [];
  const argv = process.execArgv;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const name = arg.split('=')[0]!;
    if (!['--import', '--loader', '--experimental-loader', '--conditions', '-C'].includes(name)) continue;
    // The reverter runs in /: a relative module path would no longer resolve there.
    const absolute = (value: string) => (value.startsWith('.') ? pathToFileURL(resolve(value)).href : value);
    if (arg.includes('=')) keep.push(`${name}=${absolute(arg.slice(name.length + 1))}`);
    else if (argv[i + 1] !== undefined) keep.push(arg, absolute(argv[++i]!));
  }
  return keep;
}

/**
 * Starts the detached reverter of one anomaly (its own session, so it outlives this process and its terminal) and
 * waits until it has found and checked the entry.
 * @throws ProteusError PROTEUS_INJECTOR_REVERTER_FAILED when it cannot start or refuses the entry
 */
export async function armDeadlineReverter(options: {
  ledgerPath: string;
  id: string;
  cgroupRoot: string;
  ssh?: RunnerForTargetOptions['ssh'];
  timeoutMs?: number;
}): Promise<DeadlineReverterArmed> {
  const moduleUrl = import.meta.url;
  const flags = loaderArgs();
  if (moduleUrl.endsWith('.ts') && !flags.some((f) => /^--(import|loader|experimental-loader)/.test(f))) {
    // NOTE: only when this package runs from its TypeScript sources in a process with no loader (a vitest worker):
    // a separate node process could not import it. The published build always arms the reverter.
    return { armed: false, reason: 'running from TypeScript sources without a module loader' };
  }
  // The reverter runs in /: relative paths are resolved here.
  const settings = JSON.stringify({
    cgroupRoot: resolve(options.cgroupRoot),
    ...(options.ssh ? { ssh: options.ssh } : {}),
  });
  const child = spawn(
    process.execPath,
    [...flags, '--input-type=module', '-e', REVERTER, moduleUrl, resolve(options.ledgerPath), options.id, settings],
    { detached: true, stdio: ['ignore', 'pipe', 'ignore'], cwd: '/' },
  );
  const failed = (why: string) =>
    new ProteusError(
      'PROTEUS_INJECTOR_REVERTER_FAILED',
      `injector/apply: the deadline reverter of ${options.id} did not start (${why}); nothing was applied. Pass { deadlineReverter: false } to hold the anomaly in this process only.`,
      { details: { id: options.id } },
    );
  try {
    const line = await new Promise<string>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(failed('no answer')), options.timeoutMs ?? 30_000);
      child.once('error', (error) => {
        clearTimeout(timer);
        reject(failed(error.message));
      });
      child.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes('\n')) {
          clearTimeout(timer);
          resolve(out.slice(0, out.indexOf('\n')));
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(failed(`exited with ${code}${out ? `: ${out.trim()}` : ''}`));
      });
    });
    if (line !== 'armed') throw failed(line);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  } finally {
    child.stdout!.destroy();
    child.removeAllListeners('exit');
    child.unref();
  }
  return { armed: true, pid: child.pid! };
}
