import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';

/**
 * One process for good: a pid is reused, but not with the same start time (`/proc/<pid>/stat` field 22, clock ticks
 * since boot) in the same boot (`/proc/sys/kernel/random/boot_id`). Lock and state files record it so that a later
 * process can tell a live holder from a dead one.
 */
export interface ProcessIdentity {
  pid: number;
  /** Field 22 of `/proc/<pid>/stat`; empty where `/proc` is absent. */
  startTime: string;
  /** Empty where `/proc` is absent. */
  bootId: string;
  hostname: string;
}

/**
 * The identity of this process.
 * @example const me = currentProcessIdentity(); // { pid: 4242, startTime: '918273', bootId: '6f0c…', hostname: 'h' }
 * @throws never
 */
export function currentProcessIdentity(): ProcessIdentity {
  return {
    pid: process.pid,
    startTime: readStat(process.pid)?.startTime ?? '',
    bootId: readBootId(),
    hostname: hostname(),
  };
}

/**
 * Whether the process an identity names still runs: same pid, not a zombie, same start time, same boot. The same
 * test as the injector ledger's owner check (pid + start time; a zombie counts as dead), plus the boot id. A process
 * of another host, or one recorded where `/proc` was absent, cannot be checked and counts as alive: taking over the
 * lock of a live process is worse than asking a person.
 * @example if (!isProcessIdentityAlive(holder)) takeOver();
 * @throws never
 */
export function isProcessIdentityAlive(identity: ProcessIdentity): boolean {
  if (identity.hostname !== hostname()) return true;
  if (identity.bootId === '' || identity.startTime === '') return true;
  if (identity.bootId !== readBootId()) return false;
  const stat = readStat(identity.pid);
  if (!stat || stat.state === 'Z' || stat.state === 'X') return false;
  return stat.startTime === identity.startTime;
}

function readStat(pid: number): { state: string; startTime: string } | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) may hold spaces and parentheses; the fields after the last ')' are plain.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const state = fields[0];
  const startTime = fields[19];
  return state === undefined || startTime === undefined ? undefined : { state, startTime };
}

function readBootId(): string {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return '';
  }
}
