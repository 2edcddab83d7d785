import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isProteusError } from '@proteus-wf/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTempDir } from '../test/helpers.js';
import { createInjector, MAX_DURATION_SEC, readLedger, recoverLedger } from './index.js';
import { findMarkedProcesses } from './internal/proc.js';

/** CPU seconds a process has used (utime + stime from /proc/<pid>/stat). */
async function cpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

const cpuStress = { kind: 'stress' as const, engine: 'node' as const, cpu: { workers: 1, loadPercent: 50 } };

describe('createInjector (local stressor: no root needed)', () => {
  let dir: Awaited<ReturnType<typeof createTempDir>>;
  let ledgerPath: string;
  beforeAll(async () => {
    dir = await createTempDir();
    ledgerPath = join(dir.path, 'ledger.jsonl');
  });
  afterAll(async () => dir.dispose());

  it('writes the intent before applying, runs a marked stressor that loads the CPU, and kills exactly it on release', async () => {
    const injector = createInjector({ ledgerPath, workDir: dir.path });
    const handle = await injector.apply(
      'local',
      { ...cpuStress, cpu: { workers: 1 } },
      { runId: 'run-1', worker: 'w1' },
    );
    const pid = handle.effect.pid as number;
    expect(await findMarkedProcesses(handle.id)).toContain(pid);
    // The stressor burns CPU: wait for its kernel-accounted CPU time to pass an idle process's few hundredths of a
    // second, however long a loaded host takes to give it that (the test timeout bounds the wait).
    while ((await cpuSeconds(pid)) <= 0.25) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await cpuSeconds(pid)).toBeGreaterThan(0.25);
    const [entry] = await readLedger(ledgerPath);
    expect(entry).toMatchObject({ id: handle.id, state: 'applied', runId: 'run-1', worker: 'w1', target: 'local' });
    expect(entry).toMatchObject({ version: 2, inverse: [{ kind: 'process-group', pid }, { kind: 'scratch-dir' }] });
    await handle.release();
    await handle.release();
    expect(handle.reverted).toBe(true);
    expect(await findMarkedProcesses(handle.id)).toEqual([]);
    expect(existsSync(join(dir.path, `proteus-stress-${handle.id}`))).toBe(false);
    expect((await injector.list()).find((e) => e.id === handle.id)?.state).toBe('reverted');
    expect(await injector.revert(handle.id)).toEqual({ id: handle.id, reverted: false });
  });

  it('reverts on AbortSignal, on durationSec and on asyncDispose', async () => {
    await using injector = createInjector({ ledgerPath, workDir: dir.path });
    const controller = new AbortController();
    const aborted = await injector.apply('local', cpuStress, { signal: controller.signal });
    const timed = await injector.apply('local', cpuStress, { durationSec: 0.3 });
    let disposedId: string;
    {
      await using disposed = await injector.apply('local', cpuStress);
      disposedId = disposed.id;
    }
    controller.abort();
    // Wait for the ledger to record the three reverts (the 0.3 s timer and the abort), not for a fixed time that a
    // loaded host may need more than; the test timeout bounds the wait.
    const ids = [aborted.id, timed.id, disposedId];
    let entries = await readLedger(ledgerPath);
    while (!ids.every((id) => entries.find((e) => e.id === id)?.state === 'reverted')) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      entries = await readLedger(ledgerPath);
    }
    const reason = (id: string) => entries.find((e) => e.id === id)?.revertReason;
    expect([reason(aborted.id), reason(timed.id), reason(disposedId)]).toEqual(['abort', 'duration', 'dispose']);
    for (const id of ids) expect(await findMarkedProcesses(id)).toEqual([]);
  });

  it('reverts by id from another injector on the same ledger, and recover leaves a living owner alone', async () => {
    const owner = createInjector({ ledgerPath, workDir: dir.path });
    const handle = await owner.apply('local', cpuStress);
    const other = createInjector({ ledgerPath });
    expect((await recoverLedger(ledgerPath)).skipped.map((s) => s.id)).toContain(handle.id);
    expect((await owner.recover()).skipped).toContainEqual({ id: handle.id, reason: 'live in this injector' });
    expect(await other.revert(handle.id)).toEqual({ id: handle.id, reverted: true });
    expect(await findMarkedProcesses(handle.id)).toEqual([]);
    await owner.releaseAll();
  });

  it('throws PROTEUS_INJECTOR_TARGET_UNSUPPORTED for a cpu limit on local and PROTEUS_INJECTOR_NOT_FOUND for an unknown id', async () => {
    const injector = createInjector({ ledgerPath });
    const local = await injector.apply('local', { kind: 'cpu', removeCores: 1 }).catch((e: unknown) => e);
    expect(isProteusError(local, 'PROTEUS_INJECTOR_TARGET_UNSUPPORTED')).toBe(true);
    const network = await injector
      .apply('cgroup:proteus/x/y', { kind: 'network', lossPercent: 1 })
      .catch((e: unknown) => e);
    expect(isProteusError(network, 'PROTEUS_INJECTOR_TARGET_UNSUPPORTED')).toBe(true);
    const unknown = await injector.revert('nope').catch((e: unknown) => e);
    expect(isProteusError(unknown, 'PROTEUS_INJECTOR_NOT_FOUND')).toBe(true);
    const invalid = await injector.apply('local', { kind: 'stress' } as never).catch((e: unknown) => e);
    expect(isProteusError(invalid, 'PROTEUS_INJECTOR_SPEC_INVALID')).toBe(true);
  });

  it('throws PROTEUS_INJECTOR_DURATION_INVALID for a duration that is not finite, not positive or above 7 days', async () => {
    const injector = createInjector({ ledgerPath });
    // 2147484 s is just above 2^31-1 ms: one Node timer of that length fires after 1 ms.
    for (const durationSec of [0, -1, Number.NaN, Number.POSITIVE_INFINITY, 2_147_484, MAX_DURATION_SEC + 1]) {
      const error = await injector.apply('local', cpuStress, { durationSec }).catch((e: unknown) => e);
      expect(isProteusError(error, 'PROTEUS_INJECTOR_DURATION_INVALID'), String(durationSec)).toBe(true);
    }
  });

  it('throws PROTEUS_INJECTOR_TARGET_INVALID for a cgroup outside proteus/ (recover would refuse to restore it)', async () => {
    const injector = createInjector({ ledgerPath });
    for (const target of ['cgroup:user.slice', 'cgroup:proteus', 'cgroup:system.slice/sshd.service']) {
      const error = await injector.apply(target, { kind: 'cpu', quota: 0.5 }).catch((e: unknown) => e);
      expect(isProteusError(error, 'PROTEUS_INJECTOR_TARGET_INVALID'), target).toBe(true);
    }
  });

  it('records a normal worker as a none anomaly, so the ledger labels it too', async () => {
    const injector = createInjector({ ledgerPath });
    const handle = await injector.apply('local', { kind: 'none', label: 'normal' }, { runId: 'run-2', worker: 'w2' });
    await handle.release();
    expect((await injector.list()).find((e) => e.id === handle.id)).toMatchObject({ worker: 'w2', state: 'reverted' });
  });
});
