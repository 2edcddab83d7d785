// An exclusive lock file for scripts whose processes share one results file (read-modify-write must be serialized;
// an atomic write alone still loses the cells another process wrote between our read and our write). The lock is an
// O_EXCL-created file naming its holder (pid, process start time, host, nonce); a lock whose holder is gone on this
// host, or whose pid now belongs to another process, is stale and taken over. Same design as testbed-fabric's
// internal file lock (which scripts cannot import).
import { randomBytes } from 'node:crypto';
import { link, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Runs `work` while holding `path` as an exclusive lock file.
 * @param {string} path
 * @param {() => Promise<T>} work
 * @param {{ timeoutMs?: number, pollMs?: number }} [options]
 * @returns {Promise<T>}
 * @template T
 */
export async function withFileLock(path, work, { timeoutMs = 120_000, pollMs = 5 } = {}) {
  const owner = {
    pid: process.pid,
    startTime: await startTimeOf(process.pid),
    host: hostname(),
    nonce: randomBytes(8).toString('hex'),
  };
  const started = Date.now();
  for (;;) {
    if (await tryCreate(path, owner)) break;
    const holder = await readOwner(path);
    if (holder === 'gone') continue;
    if (holder === 'unreadable' || (holder !== 'busy' && !(await isHolderAlive(holder)))) {
      await takeOver(path, holder);
      continue;
    }
    if (Date.now() - started >= timeoutMs) {
      const who = holder === 'busy' ? 'a process' : `process ${holder.pid} on ${holder.host}`;
      throw new Error(`${path} is held by ${who} for more than ${timeoutMs} ms; remove it if that process is stuck.`);
    }
    await sleep(pollMs + Math.floor(Math.random() * pollMs));
  }
  try {
    return await work();
  } finally {
    const current = await readOwner(path);
    if (typeof current === 'object' && current.nonce === owner.nonce) await rm(path, { force: true });
  }
}

async function tryCreate(path, owner) {
  let handle;
  try {
    handle = await open(path, 'wx', 0o644);
  } catch (error) {
    if (error.code === 'EEXIST') return false;
    throw error;
  }
  try {
    await handle.writeFile(JSON.stringify(owner));
  } finally {
    await handle.close();
  }
  return true;
}

/** `busy`: an empty lock file younger than 10 s, i.e. a holder between its create and its write. */
async function readOwner(path) {
  let text;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (error.code === 'ENOENT') return 'gone';
    throw error;
  }
  try {
    const parsed = JSON.parse(text);
    if (typeof parsed.pid === 'number' && typeof parsed.host === 'string' && typeof parsed.nonce === 'string')
      return parsed;
  } catch {
    // Empty (a holder killed between create and write): judged by its age below.
  }
  if (text.length > 0) return 'unreadable';
  try {
    return Date.now() - (await stat(path)).mtimeMs > 10_000 ? 'unreadable' : 'busy';
  } catch {
    return 'gone';
  }
}

async function isHolderAlive(holder) {
  if (holder.host !== hostname()) return true;
  const startTime = await startTimeOf(holder.pid);
  if (startTime === undefined) {
    try {
      process.kill(holder.pid, 0);
      return holder.startTime == null;
    } catch (error) {
      return error.code === 'EPERM';
    }
  }
  return holder.startTime == null || holder.startTime === startTime;
}

/** Moves a stale lock aside atomically; gives it back if another process had locked between our read and rename. */
async function takeOver(path, stale) {
  const aside = `${path}.stale-${randomBytes(6).toString('hex')}`;
  try {
    await rename(path, aside);
  } catch (error) {
    if (error.code === 'ENOENT') return;
    throw error;
  }
  const moved = await readOwner(aside);
  if (typeof moved === 'object' && typeof stale === 'object' && moved.nonce !== stale.nonce) {
    await link(aside, path).catch(() => undefined);
  }
  await rm(aside, { force: true });
}

async function startTimeOf(pid) {
  let text;
  try {
    text = await readFile(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  if (fields[0] === 'Z' || fields[0] === 'X') return undefined;
  return fields[19];
}
