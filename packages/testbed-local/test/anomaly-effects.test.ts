// Effects of CPU, disk and network anomalies on the example workflows' jobs (issue 7, §2): one run per anomaly,
// applied through the injector to worker-1 as the controller does. Effects are read from what the kernel accounts
// (CFS throttling, throttled block I/O, nft drop counters, TCP retransmissions, the jobs' CPU time), never from the
// wall clock, so the tests hold on a loaded host (issue 12). Needs root (cgroups, namespaces, nft) and a working
// folder on a real block device (blkio throttles disks, not tmpfs/overlay).
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { JobRecord } from '@proteus-wf/core';
import {
  type AnomalyCounters,
  createInjector,
  detectCapabilities,
  parseAnomaly,
  readAnomalyCounters,
} from '@proteus-wf/injector';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalTestbed, type LocalWorkerInfo } from '../src/index.js';
import { generateExample, isRoot, yamlUnavailable } from './helpers.js';

const noYaml = yamlUnavailable();
const skipReason = noYaml ?? (isRoot ? undefined : 'not running as root (cgroups, namespaces and nft need it)');
if (skipReason) console.warn(`testbed-local anomaly-effect tests skipped: ${skipReason}`);

let dir: string;
let diskSkip: string | undefined;
let netSkip: string | undefined;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'proteus-anomaly-effects-'));
  if (skipReason) return;
  const { backends } = await detectCapabilities('local', { workDir: dir });
  if (!backends.diskDevice.available || !backends.cgroupIo.available) {
    diskSkip = `${dir} cannot be disk-throttled: ${backends.diskDevice.reason ?? backends.cgroupIo.reason} (set TMPDIR to a folder on a real disk)`;
    console.warn(`testbed-local disk-effect test skipped: ${diskSkip}`);
  }
  if (!backends.nftLoss.available) {
    netSkip = `no nft packet loss: ${backends.nftLoss.reason}`;
    console.warn(`testbed-local network-effect test skipped: ${netSkip}`);
  }
});
afterAll(() => rm(dir, { recursive: true, force: true }));

interface Measured {
  worker1: JobRecord[];
  worker2: JobRecord[];
  effect: Readonly<Record<string, unknown>>;
  /** Kernel counters of worker-1's and worker-2's targets, read before the run and after it (anomaly still applied). */
  counters: { worker1: [AnomalyCounters, AnomalyCounters]; worker2: [AnomalyCounters, AnomalyCounters] };
  /** TCP segments retransmitted in each worker's network namespace during the run (`/proc/net/snmp`). */
  retransmitted: { worker1: number; worker2: number };
}

/** `Tcp: RetransSegs` of a network namespace (kernel-wide counter of that namespace). */
async function readRetransmittedSegments(netns: string): Promise<number> {
  const { stdout } = await promisify(execFile)('ip', ['netns', 'exec', netns, 'cat', '/proc/net/snmp']);
  const [names, values] = stdout.split('\n').filter((line) => line.startsWith('Tcp:'));
  const index = (names ?? '').split(/\s+/).indexOf('RetransSegs');
  return Number((values ?? '').split(/\s+/)[index]);
}

/** Runs the small 1000genome-like example with `anomaly` on worker-1 for the whole run. */
async function runWith(anomaly: string, name: string): Promise<Measured> {
  const yaml = generateExample('1000genome-like', join(dir, name));
  await using testbed = createLocalTestbed({
    workers: 2,
    slotsPerWorker: 1,
    isolation: 'cgroup',
    network: true,
    cpuWeight: 64,
    workDir: join(dir, `${name}-tb`),
    seed: 1,
  });
  const deployment = await testbed.provision();
  const [first, second] = deployment.workers as [LocalWorkerInfo, LocalWorkerInfo];
  const spec = parseAnomaly(anomaly);
  const kind = spec.kind === 'network' ? 'netns:' : 'cgroup:';
  const targetOf = (worker: LocalWorkerInfo) => worker.targets.find((t) => t.startsWith(kind)) as string;
  const netnsOf = (worker: LocalWorkerInfo) =>
    (worker.targets.find((t) => t.startsWith('netns:')) ?? '').slice('netns:'.length);
  await using injector = createInjector({ ledgerPath: join(dir, `${name}-ledger.jsonl`), workDir: dir });
  await using handle = await injector.apply(targetOf(first), spec, { runId: name, worker: first.name });
  const read = (worker: LocalWorkerInfo) =>
    readAnomalyCounters(targetOf(worker), worker === first ? { effect: handle.effect } : {});
  const before = { worker1: await read(first), worker2: await read(second) };
  const retransBefore = [
    await readRetransmittedSegments(netnsOf(first)),
    await readRetransmittedSegments(netnsOf(second)),
  ];
  const run = await testbed.runWorkflow(yaml, { runId: name, workDir: join(dir, `${name}-run`) });
  // Read while the anomaly is still applied: revert deletes its nft table and counters.
  const after = { worker1: await read(first), worker2: await read(second) };
  const retransAfter = [
    await readRetransmittedSegments(netnsOf(first)),
    await readRetransmittedSegments(netnsOf(second)),
  ];
  expect(run.succeeded).toBe(true);
  return {
    worker1: run.jobs.filter((job) => job.worker === first.name),
    worker2: run.jobs.filter((job) => job.worker !== first.name),
    effect: handle.effect,
    counters: { worker1: [before.worker1, after.worker1], worker2: [before.worker2, after.worker2] },
    retransmitted: {
      worker1: (retransAfter[0] as number) - (retransBefore[0] as number),
      worker2: (retransAfter[1] as number) - (retransBefore[1] as number),
    },
  };
}

const sum = (values: number[]): number => values.reduce((total, value) => total + value, 0);
const only = (jobs: JobRecord[], transformation: string): JobRecord => {
  const found = jobs.filter((job) => job.transformation === transformation);
  expect(found, `one ${transformation} job`).toHaveLength(1);
  return found[0] as JobRecord;
};
const cpuDelta = ([before, after]: [AnomalyCounters, AnomalyCounters]) => ({
  periods: (after.cpu?.periods ?? 0) - (before.cpu?.periods ?? 0),
  throttledPeriods: (after.cpu?.throttledPeriods ?? 0) - (before.cpu?.throttledPeriods ?? 0),
  throttledSeconds: (after.cpu?.throttledSeconds ?? 0) - (before.cpu?.throttledSeconds ?? 0),
  periodSeconds: after.cpu?.periodSeconds ?? 0.1,
});
const writtenTo = ([before, after]: [AnomalyCounters, AnomalyCounters], device: string) =>
  (after.disk?.find((d) => d.device === device)?.writeBytes ?? 0) -
  (before.disk?.find((d) => d.device === device)?.writeBytes ?? 0);

describe.skipIf(skipReason !== undefined)('anomaly effects on the 1000genome-like example (root)', () => {
  it('cpu_1 holds worker-1 to its shrunk quota: the kernel throttles it and its jobs get at most that CPU per period', async () => {
    const { worker1, effect, counters } = await runWith('cpu_1', 'cpu');
    const quotaCores = effect.quotaCores as number;
    const cpu = cpuDelta(counters.worker1);
    const jobCpuSeconds = sum(worker1.map((job) => job.cpuTimeSeconds));
    const allowed = quotaCores * cpu.periods * cpu.periodSeconds;
    console.info(
      `cpu_1: worker-1 quota ${quotaCores} cores, throttled in ${cpu.throttledPeriods} of ${cpu.periods} periods (${cpu.throttledSeconds.toFixed(2)} s); jobs used ${jobCpuSeconds.toFixed(2)} CPU-s of ${allowed.toFixed(2)} allowed; worker-2 (1-core quota) throttled in ${cpuDelta(counters.worker2).throttledPeriods} of ${cpuDelta(counters.worker2).periods} periods`,
    );
    expect(quotaCores).toBeLessThan(1);
    // The CPU-bound `individuals` job did its work, and the kernel held it back on the quota.
    expect(only(worker1, 'individuals').cpuTimeSeconds).toBeGreaterThan(0.3);
    expect(cpu.throttledPeriods).toBeGreaterThan(0);
    expect(cpu.throttledSeconds).toBeGreaterThan(0);
    // With the anomaly the kernel caps the jobs' CPU per period at the shrunk quota. (No comparison with worker-2's
    // throttling: on a host loaded past its cores the jobs rarely reach either quota, so that share is load noise.)
    expect(jobCpuSeconds).toBeLessThanOrEqual(allowed * 1.1 + 0.05);
  }, 60_000);

  it('hdd_2 throttles the disk the jobs write to: worker-1 writes its megabytes through the capped device', async (context) => {
    if (diskSkip) context.skip();
    const { worker1, effect, counters } = await runWith('hdd_2', 'disk');
    const device = effect.device as string;
    const job = only(worker1, 'individuals');
    const cappedMiB = writtenTo(counters.worker1, device) / 2 ** 20;
    console.info(
      `hdd_2: individuals wrote ${(job.bytesWritten / 2 ** 20).toFixed(2)} MiB; worker-1's cgroup wrote ${cappedMiB.toFixed(2)} MiB to ${device} through the 2 MiB/s throttle, worker-2's ${(writtenTo(counters.worker2, device) / 2 ** 20).toFixed(2)} MiB unthrottled`,
    );
    expect(job.bytesWritten / 2 ** 20).toBeGreaterThan(1.5);
    // The kernel's throttling layer accounted those writes to the capped cgroup on the capped device.
    expect(cappedMiB).toBeGreaterThan(1.5);
  }, 60_000);

  it('loss_20 in the worker namespace drops packets of its transfers', async (context) => {
    if (netSkip) context.skip();
    const { worker1, counters, retransmitted } = await runWith('loss_20', 'loss');
    const [before, after] = counters.worker1;
    const dropped = (after.drops?.packets ?? 0) - (before.drops?.packets ?? 0);
    const transferred = sum(worker1.map((job) => (job.stageInBytes ?? 0) + (job.stageOutBytes ?? 0)));
    console.info(
      `loss_20: ${dropped} packets dropped by nft in worker-1's namespace over ${(transferred / 2 ** 20).toFixed(2)} MiB of transfers; TCP retransmitted ${retransmitted.worker1} segments there, ${retransmitted.worker2} in worker-2's`,
    );
    expect(transferred).toBeGreaterThan(0);
    expect(dropped).toBeGreaterThan(0);
    expect(counters.worker2[1].drops).toBeUndefined();
  }, 60_000);
});
