import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createInjector, parseAnomaly, readLedger } from '../src/index.js';
import { cgroupV1, createTempDir, createWorkerCgroup, isRoot, runInCgroup, skipReason } from './helpers.js';

const skip = skipReason(!isRoot || !cgroupV1, 'CPU effect tests need root and cgroup v1 cpu/cpuset/blkio mounts');

/** Busy-loops `threads` threads for `wallMs` and prints CPU seconds used per wall second. */
const BUSY = `
const { Worker } = require('node:worker_threads');
const [threads, wallMs] = process.argv.slice(1).map(Number);
const loop = 'const end = performance.now() + ' + wallMs + '; let x = 0; while (performance.now() < end) x++;';
const t0 = performance.now(); const c0 = process.cpuUsage();
let left = threads;
for (let i = 0; i < threads; i++) new Worker(loop, { eval: true }).on('exit', () => {
  if (--left) return;
  const c = process.cpuUsage(c0); const wall = performance.now() - t0;
  console.log(JSON.stringify({ cpuPerWall: (c.user + c.system) / 1000 / wall, wallMs: wall }));
});`;

/** Does a fixed amount of CPU work and prints wall time over CPU time (the slowdown factor). */
const FIXED = `
const t0 = performance.now(); const c0 = process.cpuUsage();
let x = 0; for (let i = 0; i < 4e8; i++) x = (x + i) | 0;
const c = process.cpuUsage(c0); const wall = performance.now() - t0;
console.log(JSON.stringify({ slowdown: wall / ((c.user + c.system) / 1000), wallMs: wall, x }));`;

describe.skipIf(skip)('cpu anomalies on a worker cgroup (measured)', () => {
  const disposers: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const dispose of disposers.splice(0).reverse()) await dispose();
  });

  it('a quota of 0.3 cores slows a CPU-bound task by about 1/0.3, and revert restores the quota', async () => {
    const worker = await createWorkerCgroup();
    const dir = await createTempDir();
    disposers.push(worker.dispose, dir.dispose);
    const injector = createInjector({ ledgerPath: join(dir.path, 'ledger.jsonl') });
    const quotaFile = join('/sys/fs/cgroup/cpu', worker.path, 'cpu.cfs_quota_us');
    const before = (await readFile(quotaFile, 'utf8')).trim();
    const handle = await injector.apply(worker.target, { kind: 'cpu', quota: 0.3 }, { runId: 'r1', worker: 'w1' });
    expect((await readFile(quotaFile, 'utf8')).trim()).toBe('30000');
    const { stdout } = await runInCgroup(worker.path, [process.execPath, '-e', FIXED]);
    const { slowdown, wallMs } = JSON.parse(stdout) as { slowdown: number; wallMs: number };
    console.log(
      `[injector evidence] cpu quota 0.3: slowdown ${slowdown.toFixed(2)}x (expected ${(1 / 0.3).toFixed(2)}x), ${wallMs.toFixed(0)} ms`,
    );
    // Other jobs on a shared machine can only slow it further, never below the quota's factor.
    expect(slowdown).toBeGreaterThan(2.6);
    expect(slowdown).toBeLessThan(8);
    const stat = await readFile(join('/sys/fs/cgroup/cpu', worker.path, 'cpu.stat'), 'utf8');
    expect(Number(/nr_throttled (\d+)/.exec(stat)?.[1])).toBeGreaterThan(0);
    await handle.release();
    expect((await readFile(quotaFile, 'utf8')).trim()).toBe(before);
    const [entry] = await readLedger(join(dir.path, 'ledger.jsonl'));
    expect(entry).toMatchObject({ state: 'reverted', runId: 'r1', worker: 'w1', revertReason: 'release' });
  });

  it.skipIf(skipReason(availableParallelism() < 2, 'cpu_1 needs at least 2 cores'))(
    'cpu_1 withholds one core: cpuset shrinks and two busy threads get at most one core',
    async () => {
      const worker = await createWorkerCgroup();
      const dir = await createTempDir();
      disposers.push(worker.dispose, dir.dispose);
      await using injector = createInjector({ ledgerPath: join(dir.path, 'ledger.jsonl') });
      const cpusetFile = join('/sys/fs/cgroup/cpuset', worker.path, 'cpuset.cpus');
      const before = (await readFile(cpusetFile, 'utf8')).trim();
      {
        await using handle = await injector.apply(worker.target, parseAnomaly('cpu_1'));
        expect(handle.effect.quotaCores).toBe(availableParallelism() - 1);
        const { stdout } = await runInCgroup(worker.path, [process.execPath, '-e', BUSY, '2', '600']);
        const { cpuPerWall } = JSON.parse(stdout) as { cpuPerWall: number };
        console.log(`[injector evidence] cpu_1 on ${before}: 2 busy threads used ${cpuPerWall.toFixed(2)} CPU-s/s`);
        expect(cpuPerWall).toBeLessThan(availableParallelism() - 1 + 0.15);
      }
      expect((await readFile(cpusetFile, 'utf8')).trim()).toBe(before);
    },
  );
});
