import { readFile, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createInjector, parseAnomaly, readAnomalyCounters, readLedger } from '../src/index.js';
import { cgroupV1, createTempDir, createWorkerCgroup, isRoot, runInCgroup, skipReason } from './helpers.js';

const skip = skipReason(!isRoot || !cgroupV1, 'CPU effect tests need root and cgroup v1 cpu/cpuset/blkio mounts');

/** Busy-loops `threads` threads for a fixed amount of work each; prints its CPU seconds and allowed CPUs. */
const BUSY = `
const { Worker } = require('node:worker_threads');
const [threads] = process.argv.slice(1).map(Number);
const loop = 'let x = 0; for (let i = 0; i < 3e8; i++) x = (x + i) | 0;';
let left = threads;
for (let i = 0; i < threads; i++) new Worker(loop, { eval: true }).on('exit', () => {
  if (--left) return;
  const c = process.cpuUsage();
  const allowed = /Cpus_allowed_list:\\s*(\\S+)/.exec(require('node:fs').readFileSync('/proc/self/status', 'utf8'))[1];
  console.log(JSON.stringify({ cpuSeconds: (c.user + c.system) / 1e6, allowed }));
});`;

/** Does a fixed amount of CPU work and prints the CPU seconds it took. */
const FIXED = `
let x = 0; for (let i = 0; i < 4e8; i++) x = (x + i) | 0;
const c = process.cpuUsage();
console.log(JSON.stringify({ cpuSeconds: (c.user + c.system) / 1e6, x }));`;

/** CFS counters of the worker cgroup between two readings. */
async function throttlingDuring<T>(target: string, work: () => Promise<T>) {
  const before = (await readAnomalyCounters(target)).cpu;
  const result = await work();
  const after = (await readAnomalyCounters(target)).cpu;
  if (!before || !after) throw new Error(`no cpu.stat for ${target}`);
  return {
    result,
    periods: after.periods - before.periods,
    throttledPeriods: after.throttledPeriods - before.throttledPeriods,
    throttledSeconds: after.throttledSeconds - before.throttledSeconds,
    periodSeconds: after.periodSeconds,
  };
}

describe.skipIf(skip)('cpu anomalies on a worker cgroup (measured)', () => {
  const disposers: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const dispose of disposers.splice(0).reverse()) await dispose();
  });

  it('a quota of 0.3 cores throttles a CPU-bound task to 0.3 CPU-s per period, and revert restores the quota', async () => {
    const worker = await createWorkerCgroup();
    const dir = await createTempDir();
    disposers.push(worker.dispose, dir.dispose);
    // The heaviest CPU weight, as a dedicated machine: other load on a shared host cannot keep it under the quota.
    await writeFile(join('/sys/fs/cgroup/cpu', worker.path, 'cpu.shares'), '262144');
    const injector = createInjector({ ledgerPath: join(dir.path, 'ledger.jsonl') });
    const quotaFile = join('/sys/fs/cgroup/cpu', worker.path, 'cpu.cfs_quota_us');
    const before = (await readFile(quotaFile, 'utf8')).trim();
    const handle = await injector.apply(worker.target, { kind: 'cpu', quota: 0.3 }, { runId: 'r1', worker: 'w1' });
    expect((await readFile(quotaFile, 'utf8')).trim()).toBe('30000');
    const measured = await throttlingDuring(worker.target, () =>
      runInCgroup(worker.path, [process.execPath, '-e', FIXED]),
    );
    const { cpuSeconds } = JSON.parse(measured.result.stdout) as { cpuSeconds: number };
    const perPeriod = cpuSeconds / (measured.periods * measured.periodSeconds);
    console.log(
      `[injector evidence] cpu quota 0.3: ${cpuSeconds.toFixed(2)} CPU-s over ${measured.periods} CFS periods (${perPeriod.toFixed(2)} cores per period), throttled in ${measured.throttledPeriods} (${measured.throttledSeconds.toFixed(2)} s)`,
    );
    // Kernel accounting, not the wall clock: without a quota the cgroup is never throttled; with it the kernel
    // throttles the busy thread and holds it at 0.3 cores per period, however loaded the host is.
    expect(measured.throttledPeriods).toBeGreaterThan(0);
    expect(perPeriod).toBeLessThan(0.3 * 1.15);
    await handle.release();
    expect((await readFile(quotaFile, 'utf8')).trim()).toBe(before);
    const [entry] = await readLedger(join(dir.path, 'ledger.jsonl'));
    expect(entry).toMatchObject({ state: 'reverted', runId: 'r1', worker: 'w1', revertReason: 'release' });
  });

  it.skipIf(skipReason(availableParallelism() < 2, 'cpu_1 needs at least 2 cores'))(
    'cpu_1 withholds one core: two busy threads may run on the kept cores only and get at most their CPU per period',
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
        const measured = await throttlingDuring(worker.target, () =>
          runInCgroup(worker.path, [process.execPath, '-e', BUSY, '2']),
        );
        const { cpuSeconds, allowed } = JSON.parse(measured.result.stdout) as { cpuSeconds: number; allowed: string };
        const perPeriod = cpuSeconds / (measured.periods * measured.periodSeconds);
        console.log(
          `[injector evidence] cpu_1 on ${before}: 2 busy threads allowed on ${allowed}, ${perPeriod.toFixed(2)} cores per CFS period`,
        );
        expect(allowed).toBe(handle.effect.cpusetCpus);
        expect(perPeriod).toBeLessThan((handle.effect.quotaCores as number) * 1.15);
      }
      expect((await readFile(cpusetFile, 'utf8')).trim()).toBe(before);
    },
  );
});
