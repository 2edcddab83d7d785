import { spawn } from 'node:child_process';
import { TESTBED_VARIABLE } from './proc.js';

/**
 * The watchdog, a separate small Node process per provisioned testbed. It holds the read end of a pipe whose write end
 * only the testbed's process has: when that process dies, even by SIGKILL, the kernel closes the pipe and the
 * watchdog sees end-of-file at once. It then kills every process carrying `PROTEUS_TESTBED=<testbedId>` (the jobs and
 * whatever they started, in any process group or namespace) until none is left. A `stop` line (a clean release, which
 * kills the jobs itself) makes it exit without killing anything.
 * NOTE: a parent-death signal (`setpriv --pdeathsig KILL`, prctl PR_SET_PDEATHSIG) would reach only the wrapper that
 * the testbed spawns, not the job's own children, and it fires when the spawning thread ends (libuv's threads may
 * spawn): it cannot make a job's whole tree die with the controller, the marker sweep can.
 */
const WATCHDOG = `
const [testbedId, variable] = process.argv.slice(1);
const { readdirSync, readFileSync } = require('node:fs');
const needle = Buffer.from(variable + '=' + testbedId + '\\0');
let stopped = false;
let text = '';
process.stdin.on('data', (chunk) => { text += chunk; if (text.includes('stop\\n')) { stopped = true; process.exit(0); } });
const marked = () => readdirSync('/proc').filter((name) => /^\\d+$/.test(name) && Number(name) !== process.pid).filter((name) => {
  try { const env = readFileSync('/proc/' + name + '/environ'); const at = env.indexOf(needle); return at === 0 || (at > 0 && env[at - 1] === 0); } catch { return false; }
});
const sweep = () => {
  if (stopped) return;
  const deadline = Date.now() + 10000;
  const round = () => {
    const pids = marked();
    for (const pid of pids) { try { process.kill(Number(pid), 'SIGKILL'); } catch {} }
    if (pids.length === 0 || Date.now() > deadline) process.exit(0);
    setTimeout(round, 20);
  };
  round();
};
process.stdin.on('end', sweep);
process.stdin.on('error', sweep);
process.stdin.resume();
`;

/** A running watchdog; `stop` dismisses it without killing anything. */
export interface JobWatchdog {
  readonly pid: number | undefined;
  stop(): void;
}

/**
 * Starts the watchdog of `testbedId` (see {@link WATCHDOG}). It never keeps this process alive: its pipe and handle
 * are unreferenced.
 */
export function startJobWatchdog(testbedId: string): JobWatchdog {
  const { [TESTBED_VARIABLE]: _inherited, ...env } = process.env;
  const child = spawn(process.execPath, ['-e', WATCHDOG, testbedId, TESTBED_VARIABLE], {
    stdio: ['pipe', 'ignore', 'ignore'],
    detached: true,
    env,
  });
  child.on('error', () => undefined);
  child.stdin?.on('error', () => undefined);
  child.unref();
  (child.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  return {
    pid: child.pid,
    stop: () => {
      if (child.stdin?.writable) child.stdin.end('stop\n');
    },
  };
}
