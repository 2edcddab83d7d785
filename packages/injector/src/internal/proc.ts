import { readdir, readFile } from 'node:fs/promises';

/** The variable that marks every stressor process (and its children) with its anomaly id. */
export const MARKER_VARIABLE = 'PROTEUS_ANOMALY_ID';

/** Kills every process on the target whose environment carries the marker. Constant text; the marker is `$1`. */
export const REMOTE_SWEEP =
  `for p in /proc/[0-9]*; do if tr '\\0' '\\n' < "$p/environ" 2>/dev/null | grep -qxF -- "${MARKER_VARIABLE}=$1"; ` +
  // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion, not a template
  'then kill -9 "${p#/proc/}" 2>/dev/null; fi; done; exit 0';

/** `/proc/<pid>/stat` field 22 (start time in clock ticks since boot), or undefined when the process is gone. */
export async function readStartTime(pid: number): Promise<string | undefined> {
  const stat = await readStat(pid);
  return stat?.startTime;
}

/** True when `pid` runs (not a zombie) and, when given, started at `startTime`. */
export async function isProcessAlive(pid: number, startTime?: string): Promise<boolean> {
  const stat = await readStat(pid);
  if (!stat || stat.state === 'Z' || stat.state === 'X') return false;
  return startTime === undefined || stat.startTime === startTime;
}

async function readStat(pid: number): Promise<{ state: string; startTime: string } | undefined> {
  let text: string;
  try {
    text = await readFile(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) may hold spaces and parentheses; fields after the last ')' are plain.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const state = fields[0];
  const startTime = fields[19];
  return state === undefined || startTime === undefined ? undefined : { state, startTime };
}

/** PIDs of living processes whose environment holds `PROTEUS_ANOMALY_ID=<marker>`. */
export async function findMarkedProcesses(marker: string): Promise<number[]> {
  const needle = Buffer.from(`${MARKER_VARIABLE}=${marker}\0`);
  const found: number[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    if (pid === process.pid) continue;
    let environ: Buffer;
    try {
      environ = await readFile(`/proc/${name}/environ`);
    } catch {
      continue;
    }
    const at = environ.indexOf(needle);
    if (at === 0 || (at > 0 && environ[at - 1] === 0)) {
      if (await isProcessAlive(pid)) found.push(pid);
    }
  }
  return found;
}

/**
 * Kills a stressor: its process group when `pid` still has `startTime`, then every marked process, until none is
 * left (or `timeoutMs` passes). Returns the PIDs that were still alive at the end.
 */
export async function killStressor(
  marker: string,
  pid?: number,
  startTime?: string,
  timeoutMs = 5000,
): Promise<number[]> {
  if (pid !== undefined && (await isProcessAlive(pid, startTime))) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Gone between the check and the kill.
      }
    }
  }
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = await findMarkedProcesses(marker);
    if (left.length === 0) return [];
    for (const each of left) {
      try {
        process.kill(each, 'SIGKILL');
      } catch {
        // Already exiting.
      }
    }
    if (Date.now() > deadline) return left;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
