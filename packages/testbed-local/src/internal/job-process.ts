import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';

/**
 * The POSIX sh wrapper every job process starts in. It joins the worker's cgroups with its own pid before the
 * command exists (so no CPU time of the command escapes), optionally re-executes itself inside the worker's
 * network namespace (`nsenter` keeps the pid and the mount namespace, unlike `ip netns exec`, which remounts /sys
 * and would hide the cgroup filesystem), runs the command as its child, reaps it, and reports on fd 3:
 * `/proc/$$/io` before and after (a reaped child's I/O counters are added to its parent's, so the difference is
 * the command's whole process tree), `times` (user and system seconds of reaped children) and the exit status.
 * Only shell builtins run between the two readings, so the only foreign I/O is the first reading itself, which
 * is subtracted exactly (dash reads it one byte per syscall).
 */
const WRAPPER = [
  'if [ -n "$PROTEUS_CGROUP_PROCS" ]; then',
  '  for f in $PROTEUS_CGROUP_PROCS; do echo $$ > "$f" || { echo "proteus-job: cannot join cgroup $f" >&2; exit 125; }; done',
  '  PROTEUS_CGROUP_PROCS=',
  'fi',
  'if [ -n "$PROTEUS_NETNS" ]; then',
  '  n=$PROTEUS_NETNS; PROTEUS_NETNS=',
  '  exec nsenter "--net=/run/netns/$n" /bin/sh -c "$PROTEUS_WRAPPER" proteus-job "$@"',
  'fi',
  "B=''",
  'while IFS= read -r l; do B="$B$l;"; done < /proc/$$/io',
  '"$@" 3>&-',
  'rc=$?',
  "A=''",
  'while IFS= read -r l; do A="$A$l;"; done < /proc/$$/io',
  'echo "before $B" >&3',
  'echo "after $A" >&3',
  'times >&3',
  'echo "exit $rc" >&3',
  'exit $rc',
].join('\n');

/** I/O counters of a process tree, from `/proc/<pid>/io`. */
export interface IoCounters {
  rchar: number;
  wchar: number;
  syscr: number;
  syscw: number;
  readBytes: number;
  writeBytes: number;
}

export interface JobProcessSpec {
  file: string;
  args: readonly string[];
  cwd: string;
  env: Record<string, string>;
  /** `cgroup.procs` files to join before the command starts. */
  cgroupProcs: readonly string[];
  /** A network namespace under /run/netns to run in. */
  netns?: string;
  stdoutPath: string;
  stderrPath: string;
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Called with the wrapper pid right after spawn (its process group id too). */
  onSpawn?: (pid: number) => void;
}

export interface JobProcessResult {
  /** The wrapper's pid (also its process group id), when it started. */
  pid?: number;
  /** The command's exit status; 128+n when a signal ended it; -1 when it never reported (killed, failed to start). */
  exitCode: number;
  timedOut: boolean;
  aborted: boolean;
  startedAt: number;
  endedAt: number;
  userSeconds: number;
  systemSeconds: number;
  io: IoCounters;
  /** Why the process could not start, or how it was ended. */
  error?: string;
}

const ZERO_IO: IoCounters = { rchar: 0, wchar: 0, syscr: 0, syscw: 0, readBytes: 0, writeBytes: 0 };

/** Runs one command through the wrapper, in its own process group, and collects its resource usage. */
export function runJobProcess(spec: JobProcessSpec): Promise<JobProcessResult> {
  return new Promise((resolve) => {
    const startedAt = Date.now();
    if (spec.signal?.aborted) {
      resolve({ ...empty(startedAt), aborted: true, error: 'aborted before start' });
      return;
    }
    const out = openSync(spec.stdoutPath, 'w');
    const err = openSync(spec.stderrPath, 'w');
    const env: Record<string, string> = {
      ...spec.env,
      PROTEUS_CGROUP_PROCS: spec.cgroupProcs.join(' '),
      PROTEUS_NETNS: spec.netns ?? '',
      PROTEUS_WRAPPER: WRAPPER,
    };
    const child = spawn('/bin/sh', ['-c', WRAPPER, 'proteus-job', spec.file, ...spec.args], {
      cwd: spec.cwd,
      env,
      stdio: ['ignore', out, err, 'pipe'],
      detached: true,
    });
    closeSync(out);
    closeSync(err);
    let report = '';
    let timedOut = false;
    let aborted = false;
    let spawnError: string | undefined;
    const kill = (): void => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // The group is already gone.
      }
    };
    const timer =
      spec.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            kill();
          }, spec.timeoutMs);
    const onAbort = (): void => {
      aborted = true;
      kill();
    };
    spec.signal?.addEventListener('abort', onAbort, { once: true });
    if (child.pid !== undefined) spec.onSpawn?.(child.pid);
    child.stdio[3]?.on('data', (chunk: Buffer) => {
      report += chunk.toString('utf8');
    });
    child.on('error', (error) => {
      spawnError = error.message;
    });
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      spec.signal?.removeEventListener('abort', onAbort);
      const endedAt = Date.now();
      const parsed = parseReport(report);
      let exitCode = parsed.exitCode ?? code ?? -1;
      if (parsed.exitCode === undefined && signal) exitCode = -1;
      const result: JobProcessResult = {
        exitCode,
        timedOut,
        aborted,
        startedAt,
        endedAt,
        userSeconds: parsed.userSeconds,
        systemSeconds: parsed.systemSeconds,
        io: parsed.io,
      };
      if (child.pid !== undefined) result.pid = child.pid;
      if (spawnError) result.error = spawnError;
      else if (timedOut) result.error = `timed out after ${spec.timeoutMs} ms`;
      else if (aborted) result.error = 'aborted';
      else if (parsed.exitCode === undefined)
        result.error = `wrapper ended without a report (code ${code}, signal ${signal})`;
      resolve(result);
    });
  });
}

function empty(at: number): JobProcessResult {
  return {
    exitCode: -1,
    timedOut: false,
    aborted: false,
    startedAt: at,
    endedAt: at,
    userSeconds: 0,
    systemSeconds: 0,
    io: { ...ZERO_IO },
  };
}

interface ParsedReport {
  exitCode?: number;
  userSeconds: number;
  systemSeconds: number;
  io: IoCounters;
}

/** Parses the wrapper's fd-3 report; exported for tests. */
export function parseReport(text: string): ParsedReport {
  const lines = text.split('\n');
  let before: string | undefined;
  let after: string | undefined;
  let exitCode: number | undefined;
  const times: string[] = [];
  for (const line of lines) {
    if (line.startsWith('before ')) before = line.slice(7);
    else if (line.startsWith('after ')) after = line.slice(6);
    else if (line.startsWith('exit ')) exitCode = Number(line.slice(5));
    else if (/^\d+m[\d.]+s /.test(line)) times.push(line);
  }
  let io = { ...ZERO_IO };
  if (before !== undefined && after !== undefined) {
    const b = parseIo(before);
    const a = parseIo(after);
    // The first reading is `before` itself plus one newline per field; dash read it one byte per syscall plus EOF.
    const readingBytes = before.length;
    io = {
      rchar: Math.max(0, a.rchar - b.rchar - readingBytes),
      wchar: Math.max(0, a.wchar - b.wchar),
      syscr: Math.max(0, a.syscr - b.syscr - readingBytes - 1),
      syscw: Math.max(0, a.syscw - b.syscw),
      readBytes: Math.max(0, a.readBytes - b.readBytes),
      writeBytes: Math.max(0, a.writeBytes - b.writeBytes),
    };
  }
  // `times` prints the shell's own user/system line, then the children's.
  const children = times[1] ?? '';
  const parts = [...children.matchAll(/(\d+)m([\d.]+)s/g)].map((m) => Number(m[1]) * 60 + Number(m[2]));
  const result: ParsedReport = { userSeconds: parts[0] ?? 0, systemSeconds: parts[1] ?? 0, io };
  if (exitCode !== undefined && Number.isInteger(exitCode)) result.exitCode = exitCode;
  return result;
}

function parseIo(text: string): IoCounters {
  const fields = new Map<string, number>();
  for (const entry of text.split(';')) {
    const [key, value] = entry.split(':');
    if (key && value !== undefined) fields.set(key.trim(), Number(value.trim()));
  }
  return {
    rchar: fields.get('rchar') ?? 0,
    wchar: fields.get('wchar') ?? 0,
    syscr: fields.get('syscr') ?? 0,
    syscw: fields.get('syscw') ?? 0,
    readBytes: fields.get('read_bytes') ?? 0,
    writeBytes: fields.get('write_bytes') ?? 0,
  };
}
