import { readdirSync, readFileSync, statSync } from 'node:fs';

/** The variable every job process (and its children) carries: the id of the testbed that started it. */
export const TESTBED_VARIABLE = 'PROTEUS_TESTBED';

/**
 * Clock ticks per second of `/proc/<pid>/stat` start times. NOTE: the kernel reports them in USER_HZ, which is 100
 * on every architecture Node runs on (x86, arm, arm64, riscv, ppc, s390); `getconf CLK_TCK` would cost a process.
 */
const USER_HZ = 100;

/** What `/proc/<pid>/stat` says about a process. */
export interface ProcessStat {
  pid: number;
  /** `R`, `S`, `D`, `Z` (zombie), `X` (dead), ... */
  state: string;
  pgid: number;
  /** Field 22: start time in clock ticks since boot; with the boot id it names one process for good. */
  startTicks: string;
}

/** Reads `/proc/<pid>/stat`; undefined when the process is gone. */
export function readProcessStat(pid: number): ProcessStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) may hold spaces and parentheses; the fields after the last ')' are plain.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const state = fields[0];
  const pgid = Number(fields[2]);
  const startTicks = fields[19];
  if (state === undefined || startTicks === undefined || !Number.isInteger(pgid)) return undefined;
  return { pid, state, pgid, startTicks };
}

/** True when the process exists and is not a zombie (a killed process its parent has not reaped yet). */
export function isRunning(stat: ProcessStat | undefined): stat is ProcessStat {
  return stat !== undefined && stat.state !== 'Z' && stat.state !== 'X';
}

/** This boot's id (`/proc/sys/kernel/random/boot_id`); pids and start ticks only mean something within one boot. */
export function readBootId(): string {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return '';
  }
}

/** When a process started, in seconds since the epoch (1 s resolution: the boot time is whole seconds). */
export function startedAtSeconds(stat: ProcessStat): number {
  return bootTimeSeconds() + Number(stat.startTicks) / USER_HZ;
}

let bootTime: number | undefined;
function bootTimeSeconds(): number {
  if (bootTime === undefined) {
    const line = readText('/proc/stat')
      .split('\n')
      .find((l) => l.startsWith('btime '));
    bootTime = Number(line?.slice(6)) || 0;
  }
  return bootTime;
}

/** Every pid under /proc. */
export function listPids(): number[] {
  try {
    return readdirSync('/proc')
      .filter((name) => /^\d+$/.test(name))
      .map(Number);
  } catch {
    return [];
  }
}

/** Pids whose network namespace is the one bound at `nsPath` (e.g. `/run/netns/<name>`). */
export function pidsInNetns(nsPath: string): number[] {
  let inode: number;
  try {
    inode = statSync(nsPath).ino;
  } catch {
    return [];
  }
  return listPids().filter((pid) => {
    try {
      return statSync(`/proc/${pid}/ns/net`).ino === inode;
    } catch {
      return false;
    }
  });
}

/** Pids whose environment holds `PROTEUS_TESTBED=<testbedId>`: the job processes of that testbed, wherever they are. */
export function pidsOfTestbed(testbedId: string): number[] {
  const needle = Buffer.from(`${TESTBED_VARIABLE}=${testbedId}\0`);
  return listPids().filter((pid) => {
    if (pid === process.pid) return false;
    let environ: Buffer;
    try {
      environ = readFileSync(`/proc/${pid}/environ`);
    } catch {
      return false;
    }
    const at = environ.indexOf(needle);
    return at === 0 || (at > 0 && environ[at - 1] === 0);
  });
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}
