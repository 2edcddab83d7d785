import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTempDir } from '../test/helpers.js';
import { findMarkedProcesses } from './internal/proc.js';
import { appendLedgerRecord, readLedger } from './ledger.js';
import { revertAtDeadline, sleepUntil } from './revert-at-deadline.js';

describe('sleepUntil', () => {
  it('waits past 2^31-1 ms in chunks (one Node timer that long fires after 1 ms)', async () => {
    vi.useFakeTimers({ now: 0 });
    try {
      let done = false;
      const sleeping = sleepUntil(2 ** 31 + 5000).then(() => (done = true));
      await vi.advanceTimersByTimeAsync(2 ** 31 - 1);
      expect(done).toBe(false);
      await vi.advanceTimersByTimeAsync(5001);
      await sleeping;
      expect(done).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('revertAtDeadline', () => {
  let dir: Awaited<ReturnType<typeof createTempDir>>;
  beforeAll(async () => {
    dir = await createTempDir();
  });
  afterAll(async () => dir.dispose());

  const deadOwner = { pid: 2 ** 22 - 5, startTime: '1', hostname: hostname() };

  /** A stress entry like apply writes: a marked process and a marked scratch folder. */
  async function stressEntry(ledgerPath: string, id: string, deadlineAt: number) {
    const scratch = join(dir.path, `proteus-stress-${id}`);
    await mkdir(scratch);
    await writeFile(join(scratch, '.proteus-scratch'), id);
    const child = spawn('sleep', ['60'], { detached: true, stdio: 'ignore', env: { PROTEUS_ANOMALY_ID: id } });
    child.unref();
    await appendLedgerRecord(ledgerPath, {
      type: 'intent',
      v: 2,
      id,
      at: Date.now(),
      target: 'local',
      spec: { kind: 'stress', cpu: { workers: 1 } },
      durationSec: 1,
      deadlineAt,
      owner: deadOwner,
      inverse: [{ kind: 'process-group' }, { kind: 'scratch-dir', path: scratch }],
    });
    return { scratch, pid: child.pid! };
  }

  it('reverts an anomaly whose holder is dead at its deadline: its marked process and folder, nothing else', async () => {
    const ledgerPath = join(dir.path, 'dead.jsonl');
    const id = 'deadline00000001';
    const { scratch } = await stressEntry(ledgerPath, id, Date.now() + 300);
    let armed = false;
    expect(await revertAtDeadline(ledgerPath, id, { pollMs: 50, onArmed: () => (armed = true) })).toBe('reverted');
    expect(armed).toBe(true);
    expect(await findMarkedProcesses(id)).toEqual([]);
    expect(existsSync(scratch)).toBe(false);
    expect(existsSync(dir.path)).toBe(true);
    expect((await readLedger(ledgerPath))[0]).toMatchObject({ state: 'reverted', revertReason: 'duration' });
  });

  it('returns already-reverted at the next poll once someone else reverted it, and leaves the rest alone', async () => {
    const ledgerPath = join(dir.path, 'early.jsonl');
    const id = 'deadline00000002';
    const { pid } = await stressEntry(ledgerPath, id, Date.now() + 3_600_000);
    setTimeout(
      () => void appendLedgerRecord(ledgerPath, { type: 'reverted', id, at: Date.now(), reason: 'release' }),
      100,
    );
    expect(await revertAtDeadline(ledgerPath, id, { pollMs: 50 })).toBe('already-reverted');
    expect(await findMarkedProcesses(id)).toEqual([pid]);
    process.kill(pid, 'SIGKILL');
  });

  it('throws the refusal code for an entry recover would refuse, before arming', async () => {
    const ledgerPath = join(dir.path, 'forged.jsonl');
    await appendLedgerRecord(ledgerPath, {
      type: 'intent',
      v: 2,
      id: 'deadline00000003',
      at: Date.now(),
      target: 'local',
      spec: { kind: 'stress', cpu: { workers: 1 } },
      deadlineAt: Date.now(),
      owner: deadOwner,
      inverse: [{ kind: 'scratch-dir', path: dir.path }],
    });
    let armed = false;
    const error = await revertAtDeadline(ledgerPath, 'deadline00000003', { onArmed: () => (armed = true) }).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 'PROTEUS_INJECTOR_LEDGER_REJECTED' });
    expect(armed).toBe(false);
    expect(existsSync(dir.path)).toBe(true);
  });
});
