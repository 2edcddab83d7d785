import { randomBytes } from 'node:crypto';
import { link, mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import { sleep } from './backoff.js';
import { ProteusError, type ProteusErrorCode } from './proteus-error.js';

/** What a lock file holds: who took it, so a later process can tell a dead holder from a live one. */
interface LockOwner {
  pid: number;
  /** `/proc/<pid>/stat` field 22, so a PID reused by another process is not mistaken for the holder. */
  startTime?: string;
  host: string;
  /** Unique per acquisition, so a holder never removes a lock that was taken over from it. */
  nonce: string;
}

/** Options of {@link withFileLock}. */
export interface FileLockOptions {
  /** Give up after this many ms of waiting for a live holder. */
  timeoutMs: number;
  /** Pause between two attempts while a live process holds the lock. */
  pollMs: number;
  signal?: AbortSignal;
  /** The code thrown when a live holder keeps the lock past `timeoutMs`; default `PROTEUS_CORE_LOCK_TIMEOUT`. */
  code?: ProteusErrorCode;
  /** Names the caller in messages, e.g. `testbed-fabric/tokens`; default `core/file-lock`. */
  where?: string;
}

/**
 * Runs `work` while holding `<path>` as an exclusive lock file (O_EXCL create) that names the holder: pid, process
 * start time and host. A lock whose holder is gone on this host (or whose PID now belongs to another process) is
 * stale and taken over.
 * @example await withFileLock('results.json.lock', { timeoutMs: 120_000, pollMs: 5 }, () => mergeResults())
 * @throws ProteusError `options.code` (PROTEUS_CORE_LOCK_TIMEOUT) when a live holder keeps the lock past `timeoutMs`
 */
export async function withFileLock<T>(path: string, options: FileLockOptions, work: () => Promise<T>): Promise<T> {
  const owner: LockOwner = {
    pid: process.pid,
    ...(await startTimeOf(process.pid).then((t) => (t ? { startTime: t } : {}))),
    host: hostname(),
    nonce: randomBytes(8).toString('hex'),
  };
  const started = Date.now();
  const where = options.where ?? 'core/file-lock';
  // The guarded file's folder may not exist yet.
  await mkdir(dirname(path), { recursive: true });
  for (;;) {
    if (await tryCreate(path, owner)) break;
    const holder = await readOwner(path);
    if (holder === 'gone') continue;
    if (holder === 'unreadable' || (holder !== 'busy' && !(await isHolderAlive(holder)))) {
      await takeOver(path, holder);
      continue;
    }
    if (Date.now() - started >= options.timeoutMs) {
      const who = holder === 'busy' ? 'a process' : `process ${holder.pid} on ${holder.host}`;
      throw new ProteusError(
        options.code ?? 'PROTEUS_CORE_LOCK_TIMEOUT',
        `${where}: ${path} is held by ${who} for more than ${options.timeoutMs} ms. ` +
          `Wait for it to finish, or remove ${path} if that process is stuck.`,
        { details: { path, holder: holder === 'busy' ? undefined : { pid: holder.pid, host: holder.host } } },
      );
    }
    await sleep(options.pollMs, { signal: options.signal, where });
  }
  try {
    return await work();
  } finally {
    const current = await readOwner(path);
    if (typeof current === 'object' && current.nonce === owner.nonce) await rm(path, { force: true });
  }
}

async function tryCreate(path: string, owner: LockOwner): Promise<boolean> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, 'wx', 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  try {
    await handle.writeFile(JSON.stringify(owner));
  } finally {
    await handle.close();
  }
  return true;
}

/** `busy`: an empty file younger than 10 s, i.e. a holder between its `open` and its `write`. */
async function readOwner(path: string): Promise<LockOwner | 'gone' | 'unreadable' | 'busy'> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'gone';
    throw error;
  }
  try {
    const parsed = JSON.parse(text) as Partial<LockOwner>;
    if (typeof parsed.pid === 'number' && typeof parsed.host === 'string' && typeof parsed.nonce === 'string') {
      return parsed as LockOwner;
    }
  } catch {
    // A holder killed between its create and its write leaves an empty file: judged by its age below.
  }
  if (text.length > 0) return 'unreadable';
  try {
    return Date.now() - (await stat(path)).mtimeMs > 10_000 ? 'unreadable' : 'busy';
  } catch {
    return 'gone';
  }
}

async function isHolderAlive(holder: LockOwner): Promise<boolean> {
  // Another host shares the file (NFS home): its processes cannot be checked from here, so it is trusted.
  if (holder.host !== hostname()) return true;
  const startTime = await startTimeOf(holder.pid);
  if (startTime === undefined) {
    try {
      process.kill(holder.pid, 0);
      return holder.startTime === undefined;
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === 'EPERM';
    }
  }
  return holder.startTime === undefined || holder.startTime === startTime;
}

/** Moves a stale lock aside atomically, so two processes taking it over never both believe they removed it. */
async function takeOver(path: string, stale: LockOwner | 'unreadable'): Promise<void> {
  const aside = `${path}.stale-${randomBytes(6).toString('hex')}`;
  try {
    await rename(path, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  const moved = await readOwner(aside);
  // Another process took the stale lock over and locked between our read and the rename: give its lock back
  // (link fails if a third process has locked since, which is just as good).
  if (typeof moved === 'object' && typeof stale === 'object' && moved.nonce !== stale.nonce) {
    await link(aside, path).catch(() => undefined);
  }
  await rm(aside, { force: true });
}

async function startTimeOf(pid: number): Promise<string | undefined> {
  let text: string;
  try {
    text = await readFile(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const state = fields[0];
  if (state === 'Z' || state === 'X') return undefined;
  return fields[19];
}
