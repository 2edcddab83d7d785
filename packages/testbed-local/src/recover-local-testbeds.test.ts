import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, utimesSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isRunning, readBootId, readProcessStat } from './internal/proc.js';
import { recoverLocalTestbeds } from './recover-local-testbeds.js';

let dir: string;
let cgroupRoot: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'proteus-recover-'));
  // An empty stand-in for /sys/fs/cgroup: these tests exercise state files and processes, not cgroups.
  cgroupRoot = join(dir, 'no-cgroups');
  await mkdir(cgroupRoot);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const uniqueId = (): string => `t-${randomBytes(4).toString('hex')}`;
const self = readProcessStat(process.pid);

async function writeState(workDir: string, testbedId: string, fields: Record<string, unknown>): Promise<string> {
  await mkdir(workDir, { recursive: true });
  const file = join(workDir, `testbed-${testbedId}.json`);
  const state = { version: 2, testbedId, cgroups: [], network: { bridges: [], links: [], namespaces: [] }, ...fields };
  await writeFile(file, JSON.stringify(state));
  return file;
}

/** A pid that ran and is gone. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((resolve) => child.on('exit', resolve));
  return child.pid as number;
}

describe('recoverLocalTestbeds', () => {
  it('throws PROTEUS_TESTBED_LOCAL_INVALID_OPTIONS for a relative cgroupRoot, an empty workDir or a bad sweep', async () => {
    for (const options of [{ cgroupRoot: 'sys/fs/cgroup' }, { workDir: '' }, { sweep: 'yes' as unknown as boolean }]) {
      await expect(recoverLocalTestbeds(options)).rejects.toMatchObject({
        code: 'PROTEUS_TESTBED_LOCAL_INVALID_OPTIONS',
      });
    }
  });

  it('kills the process groups of a testbed whose owner is gone and removes its state file', async () => {
    const workDir = join(dir, 'dead-owner');
    const testbedId = uniqueId();
    const file = await writeState(workDir, testbedId, {
      pid: await deadPid(),
      pidStartTicks: '1',
      bootId: readBootId(),
    });
    // A "job" in a process group of its own with a background grandchild, as the executor starts them.
    const job = spawn('/bin/sh', ['-c', 'sleep 60 & echo $!; wait'], {
      detached: true,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', PROTEUS_TESTBED: testbedId },
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const grandchild = Number(await new Promise<string>((resolve) => job.stdout.once('data', (d) => resolve(`${d}`))));
    const result = await recoverLocalTestbeds({ workDir, cgroupRoot });
    const entry = result.recovered.find((t) => t.testbedId === testbedId);
    expect(entry).toMatchObject({ foundBy: 'state-file', stateFile: file, reason: expect.stringMatching(/gone/) });
    expect(entry?.killedPids).toEqual(expect.arrayContaining([job.pid as number, grandchild]));
    expect(isRunning(readProcessStat(grandchild))).toBe(false);
    expect(isRunning(readProcessStat(job.pid as number))).toBe(false);
    expect(existsSync(file)).toBe(false);
  });

  it('leaves a testbed alone while its owner runs (same pid, same start time)', async () => {
    const workDir = join(dir, 'live-owner');
    const testbedId = uniqueId();
    const file = await writeState(workDir, testbedId, {
      pid: process.pid,
      pidStartTicks: self?.startTicks,
      bootId: readBootId(),
      host: hostname(),
    });
    const result = await recoverLocalTestbeds({ workDir, cgroupRoot, sweep: false });
    expect(result.recovered).toEqual([]);
    expect(result.skipped).toEqual([{ testbedId, reason: expect.stringMatching(/alive/) }]);
    expect(existsSync(file)).toBe(true);
  });

  it('does not mistake a reused pid for the owner (start time differs)', async () => {
    const workDir = join(dir, 'reused-pid');
    const testbedId = uniqueId();
    await writeState(workDir, testbedId, { pid: process.pid, pidStartTicks: '1', bootId: readBootId() });
    const result = await recoverLocalTestbeds({ workDir, cgroupRoot, sweep: false });
    expect(result.recovered).toEqual([expect.objectContaining({ testbedId, reason: expect.stringMatching(/reused/) })]);
  });

  it('judges a state file without start time by its age: written before the pid started means another owner', async () => {
    const workDir = join(dir, 'legacy');
    const old = uniqueId();
    const fresh = uniqueId();
    const oldFile = await writeState(workDir, old, { pid: process.pid });
    await writeState(workDir, fresh, { pid: process.pid });
    const past = new Date(Date.now() - 10 * 365 * 86_400_000);
    utimesSync(oldFile, past, past);
    const result = await recoverLocalTestbeds({ workDir, cgroupRoot, sweep: false });
    expect(result.recovered.map((t) => t.testbedId)).toEqual([old]);
    expect(result.skipped.map((t) => t.testbedId)).toEqual([fresh]);
  });

  it('leaves state files written on another host alone', async () => {
    const workDir = join(dir, 'other-host');
    const testbedId = uniqueId();
    await writeState(workDir, testbedId, { pid: await deadPid(), host: `not-${hostname()}` });
    const result = await recoverLocalTestbeds({ workDir, cgroupRoot, sweep: false });
    expect(result.skipped).toEqual([{ testbedId, reason: expect.stringMatching(/another host|written on host/) }]);
  });

  it('throws PROTEUS_TESTBED_LOCAL_RECOVERY_INCOMPLETE for an unreadable state file, after recovering the rest', async () => {
    const workDir = join(dir, 'broken');
    const testbedId = uniqueId();
    await mkdir(workDir, { recursive: true });
    await writeFile(join(workDir, 'testbed-broken.json'), '{"testbedId": ');
    const good = await writeState(workDir, testbedId, { pid: await deadPid() });
    const error = await recoverLocalTestbeds({ workDir, cgroupRoot, sweep: false }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'PROTEUS_TESTBED_LOCAL_RECOVERY_INCOMPLETE' });
    const details = (error as { details: { problems: string[]; result: { recovered: Array<{ testbedId: string }> } } })
      .details;
    expect(details.problems).toEqual([expect.stringContaining('testbed-broken.json')]);
    expect(details.result.recovered.map((t) => t.testbedId)).toEqual([testbedId]);
    expect(existsSync(good)).toBe(false);
  });

  it('does nothing for a workDir that does not exist', async () => {
    const result = await recoverLocalTestbeds({ workDir: join(dir, 'missing'), cgroupRoot, sweep: false });
    expect(result).toEqual({ recovered: [], skipped: [] });
  });
});
