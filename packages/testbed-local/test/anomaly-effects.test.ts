// Measured effects of CPU, disk and network anomalies on the example workflows' jobs (issue 7, §2): one run per
// anomaly, applied through the injector to worker-1 as the controller does, compared with worker-2's jobs of the
// same run (same host load at the same moment). Needs root (cgroups, namespaces, nft) and a working folder on a
// real block device (blkio throttles disks, not tmpfs/overlay).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JobRecord } from '@proteus-wf/core';
import { createInjector, detectCapabilities, parseAnomaly } from '@proteus-wf/injector';
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
  jobs: JobRecord[];
  worker1: JobRecord[];
  worker2: JobRecord[];
}

/** Runs the small 1000genome-like example with `anomaly` on worker-1 for the whole run. */
async function runWith(anomaly: string, name: string): Promise<Measured> {
  const yaml = generateExample('1000genome-like', join(dir, name));
  // Workers weigh as dedicated machines (cpuWeight), so a busy shared host does not mask the anomaly.
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
  const worker = deployment.workers[0] as LocalWorkerInfo;
  const spec = parseAnomaly(anomaly);
  const target = worker.targets.find((t) => t.startsWith(spec.kind === 'network' ? 'netns:' : 'cgroup:')) as string;
  await using injector = createInjector({ ledgerPath: join(dir, `${name}-ledger.jsonl`), workDir: dir });
  const run = await (async () => {
    await using _anomaly = await injector.apply(target, spec, { runId: name, worker: worker.name });
    // `return await`: the anomaly must stay applied until the run ends, not until the promise is returned.
    return await testbed.runWorkflow(yaml, { runId: name, workDir: join(dir, `${name}-run`) });
  })();
  expect(run.succeeded).toBe(true);
  return {
    jobs: run.jobs,
    worker1: run.jobs.filter((job) => job.worker === worker.name),
    worker2: run.jobs.filter((job) => job.worker !== worker.name),
  };
}

const runtime = (job: JobRecord): number => job.executeEnd - job.executeStart;
const sum = (values: number[]): number => values.reduce((total, value) => total + value, 0);
const only = (jobs: JobRecord[], transformation: string): JobRecord => {
  const found = jobs.filter((job) => job.transformation === transformation);
  expect(found, `one ${transformation} job`).toHaveLength(1);
  return found[0] as JobRecord;
};

describe.skipIf(skipReason !== undefined)('anomaly effects on the 1000genome-like example (root)', () => {
  it('cpu_1 halves the CPU a worker gets: its individuals job runs ≥ 1.3× longer than the same work on the other worker', async () => {
    const { worker1, worker2 } = await runWith('cpu_1', 'cpu');
    // The two `individuals` roots start together, one per worker, and do the same work.
    const slow = runtime(only(worker1, 'individuals'));
    const fast = runtime(only(worker2, 'individuals'));
    // CPU rate = CPU seconds per second of runtime (staging included).
    const rate = (job: JobRecord) => job.cpuTimeSeconds / runtime(job);
    console.info(
      `cpu_1: individuals ${slow.toFixed(2)} s on worker-1 vs ${fast.toFixed(2)} s on worker-2; CPU rate ${rate(only(worker1, 'individuals')).toFixed(2)} vs ${rate(only(worker2, 'individuals')).toFixed(2)} cores`,
    );
    expect(only(worker1, 'individuals').cpuTimeSeconds).toBeGreaterThan(0.3);
    expect(slow).toBeGreaterThan(1.3 * fast);
  }, 60_000);

  it('hdd_2 caps the direct I/O of a worker: its job that writes megabytes takes ≥ 0.375 s longer per written MiB', async (context) => {
    if (diskSkip) context.skip();
    const { worker1, worker2 } = await runWith('hdd_2', 'disk');
    // Writes go to the disk with O_DIRECT (examples/workflows/lib/common.mjs), which blkio throttles on cgroup v1 too.
    const slow = only(worker1, 'individuals');
    const fast = only(worker2, 'individuals');
    const mib = slow.bytesWritten / 2 ** 20;
    console.info(
      `hdd_2: individuals (${mib.toFixed(2)} MiB written) ${runtime(slow).toFixed(2)} s on worker-1 vs ${runtime(fast).toFixed(2)} s on worker-2`,
    );
    expect(mib).toBeGreaterThan(1.5);
    // A 2 MiB/s write cap: the write alone takes mib / 2 seconds (and stage-out re-reads the file at 4 MiB/s).
    expect(runtime(slow)).toBeGreaterThan(runtime(fast) + 0.75 * (mib / 2));
  }, 60_000);

  it('loss_20 in the worker namespace slows its stage-in and stage-out transfers', async (context) => {
    if (netSkip) context.skip();
    const { worker1, worker2 } = await runWith('loss_20', 'loss');
    const transfer = (job: JobRecord) =>
      (job.stageInEnd ?? job.executeStart) -
      (job.stageInStart ?? job.executeStart) +
      ((job.stageOutEnd ?? job.executeEnd) - (job.stageOutStart ?? job.executeEnd));
    const perMiB = (jobs: JobRecord[]) =>
      sum(jobs.map(transfer)) / (sum(jobs.map((job) => (job.stageInBytes ?? 0) + (job.stageOutBytes ?? 0))) / 2 ** 20);
    const lossy = sum(worker1.map(transfer)) / Math.max(1, worker1.length);
    const clean = sum(worker2.map(transfer)) / Math.max(1, worker2.length);
    console.info(
      `loss_20: mean transfer time per job ${lossy.toFixed(2)} s on worker-1 vs ${clean.toFixed(2)} s on worker-2; ${perMiB(worker1).toFixed(3)} vs ${perMiB(worker2).toFixed(3)} s/MiB`,
    );
    expect(lossy).toBeGreaterThan(2 * clean);
  }, 60_000);
});
