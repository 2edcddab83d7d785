import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JobRecord } from '@proteus-wf/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalTestbed } from '../src/index.js';
import { generateExample, isRoot, leftovers, peakOverlap, writeTestWorkflow, yamlUnavailable } from './helpers.js';

const noYaml = yamlUnavailable();
if (noYaml) console.warn(`testbed-local integration tests skipped: ${noYaml}`);
if (!isRoot) console.warn('testbed-local cgroup and network tests skipped: not running as root');

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'proteus-testbed-local-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

function checkListing1(job: JobRecord): void {
  const order = [
    job.ready,
    job.submit,
    job.executeStart,
    job.stageInStart ?? job.executeStart,
    job.stageInEnd ?? job.executeStart,
    job.stageOutStart ?? job.executeEnd,
    job.stageOutEnd ?? job.executeEnd,
    job.executeEnd,
    job.postScriptStart ?? job.executeEnd,
    job.postScriptEnd ?? job.executeEnd,
  ];
  for (let i = 1; i < order.length; i++)
    expect(order[i], `${job.job} timestamp ${i}`).toBeGreaterThanOrEqual(order[i - 1] as number);
}

const sleepScript = `const ms = Number(process.argv[2]); const end = Date.now() + ms; await new Promise((r) => setTimeout(r, ms)); if (Date.now() < end - 5) process.exit(1);\n`;

describe.skipIf(noYaml)('createLocalTestbed (process groups, loopback data node)', () => {
  it('runs the 1000genome-like example end to end with every Listing-1 timestamp and real counters', async () => {
    const yaml = generateExample('1000genome-like', join(dir, 'g1k'));
    await using testbed = createLocalTestbed({
      workers: 2,
      slotsPerWorker: 1,
      isolation: 'process-group',
      workDir: join(dir, 'tb1'),
    });
    const run = await testbed.runWorkflow(yaml, { runId: 'run0001', workDir: join(dir, 'run0001') });
    expect(run.succeeded).toBe(true);
    expect(run.workflow).toBe('1000genome-like');
    expect(run.jobs).toHaveLength(8);
    const byName = new Map(run.jobs.map((job) => [job.job, job]));
    for (const job of run.jobs) {
      checkListing1(job);
      expect(['worker-1', 'worker-2']).toContain(job.worker);
      expect(job.exitCode).toBe(0);
      expect(job.cpuTimeSeconds).toBeGreaterThan(0);
      expect(job.bytesWritten).toBeGreaterThan(0);
      expect(job.stageOutBytes).toBeGreaterThan(0);
    }
    const merge = run.jobs.find((job) => job.transformation === 'individuals_merge') as JobRecord;
    const chunks = run.jobs.filter((job) => job.transformation === 'individuals');
    expect(merge.ready).toBeGreaterThanOrEqual(Math.max(...chunks.map((job) => job.postScriptEnd as number)));
    expect(merge.stageInBytes).toBe(chunks.reduce((sum, job) => sum + (job.stageOutBytes as number), 0));
    expect(merge.bytesRead).toBeGreaterThanOrEqual(merge.stageInBytes as number);
    expect(byName.size).toBe(8);
    expect((await stat(join(dir, 'run0001', 'data', 'chr1-AFR.freq.tsv'))).size).toBeGreaterThan(0);
  });

  it('runs the montage-like example end to end (with namespaces and cgroups when root)', async () => {
    const yaml = generateExample('montage-like', join(dir, 'montage'));
    await using testbed = createLocalTestbed({
      workers: 2,
      slotsPerWorker: 1,
      network: isRoot,
      workDir: join(dir, 'tb-montage'),
    });
    const run = await testbed.runWorkflow(yaml, { runId: 'montage', workDir: join(dir, 'montage-run') });
    expect(run.succeeded).toBe(true);
    expect(run.jobs).toHaveLength(17);
    for (const job of run.jobs) checkListing1(job);
    const pgm = readFileSync(join(dir, 'montage-run', 'data', 'mosaic.pgm'));
    expect(pgm.subarray(0, 2).toString()).toBe('P5');
    const add = run.jobs.find((job) => job.transformation === 'mAdd') as JobRecord;
    const backgrounds = run.jobs.filter((job) => job.transformation === 'mBackground');
    expect(add.ready).toBeGreaterThanOrEqual(Math.max(...backgrounds.map((job) => job.postScriptEnd as number)));
  });

  it('never runs more concurrent jobs on a worker than its slots', async () => {
    const jobs = Array.from({ length: 9 }, (_, i) => ({ id: `sleep${i}`, script: sleepScript, args: ['250'] }));
    const yaml = await writeTestWorkflow(join(dir, 'slots'), 'slots', jobs);
    await using testbed = createLocalTestbed({
      workers: [
        { name: 'big', slots: 2 },
        { name: 'small', slots: 1 },
      ],
      isolation: 'process-group',
      workDir: join(dir, 'tb2'),
    });
    const run = await testbed.runWorkflow(yaml, { runId: 'slots', workDir: join(dir, 'slots-run') });
    expect(run.succeeded).toBe(true);
    const intervals = (worker: string) =>
      run.jobs
        .filter((job) => job.worker === worker)
        .map((job): [number, number] => [job.executeStart, job.postScriptEnd as number]);
    expect(peakOverlap(intervals('big'))).toBe(2);
    expect(peakOverlap(intervals('small'))).toBe(1);
    expect(peakOverlap(run.jobs.map((job): [number, number] => [job.executeStart, job.postScriptEnd as number]))).toBe(
      3,
    );
  });

  it('retries a failing job, times out a hanging one, and skips what depends on it', async () => {
    const marker = join(dir, 'flaky-marker');
    const flaky = `import { existsSync, writeFileSync } from 'node:fs';\nconst marker = process.argv[2];\nif (!existsSync(marker)) { writeFileSync(marker, '1'); process.exit(3); }\nwriteFileSync('ok.txt', 'ok');\n`;
    const hang = `setInterval(() => {}, 1000);\n`;
    const yaml = await writeTestWorkflow(join(dir, 'retries'), 'retries', [
      { id: 'flaky', script: flaky, args: [marker], outputs: ['ok.txt'] },
      { id: 'hang', script: hang },
      { id: 'after_hang', script: sleepScript, args: ['1'], parents: ['hang'] },
    ]);
    await using testbed = createLocalTestbed({
      workers: 1,
      slotsPerWorker: 2,
      retries: 1,
      jobTimeoutMs: 700,
      isolation: 'process-group',
      workDir: join(dir, 'tb3'),
    });
    const run = await testbed.runWorkflow(yaml, { runId: 'retries', workDir: join(dir, 'retries-run') });
    expect(run.succeeded).toBe(false);
    const byName = new Map(run.jobs.map((job) => [job.job, job]));
    expect(byName.get('flaky')).toMatchObject({ attempts: 2, exitCode: 0 });
    expect(byName.get('hang')?.attempts).toBe(2);
    expect(byName.get('hang')?.exitCode).not.toBe(0);
    const hung = byName.get('hang') as JobRecord;
    expect(hung.executeEnd - hung.executeStart).toBeGreaterThanOrEqual(0.6);
    expect(byName.has('after_hang')).toBe(false);
  });

  it('throws PROTEUS_TESTBED_LOCAL_WORKFLOW_INVALID when a pfn or a raw input is missing', async () => {
    const yaml = await writeTestWorkflow(join(dir, 'invalid'), 'invalid', [
      { id: 'reader', script: 'process.exit(0);\n', inputs: ['absent.dat'] },
    ]);
    await using testbed = createLocalTestbed({ workers: 1, isolation: 'process-group', workDir: join(dir, 'tb4') });
    await expect(
      testbed.runWorkflow(yaml, { runId: 'invalid', workDir: join(dir, 'invalid-run') }),
    ).rejects.toMatchObject({
      code: 'PROTEUS_TESTBED_LOCAL_WORKFLOW_INVALID',
    });
  });
});

describe.skipIf(noYaml || !isRoot)('createLocalTestbed (root: cgroups and network namespaces)', () => {
  it('runs jobs inside their worker cgroup and namespace, stages over the bridge, and leaves nothing behind', async () => {
    const probe = `import { readFileSync, writeFileSync } from 'node:fs';\nimport { networkInterfaces } from 'node:os';\nwriteFileSync('where.json', JSON.stringify({ cgroup: readFileSync('/proc/self/cgroup', 'utf8'), interfaces: Object.keys(networkInterfaces()) }));\n`;
    const reader = `import { readFileSync, writeFileSync } from 'node:fs';\nwriteFileSync('copy.json', readFileSync('where.json'));\n`;
    const yaml = await writeTestWorkflow(join(dir, 'where'), 'where', [
      { id: 'probe', script: probe, outputs: ['where.json'] },
      { id: 'reader', script: reader, inputs: ['where.json'], outputs: ['copy.json'], parents: ['probe'] },
    ]);
    const testbed = createLocalTestbed({
      workers: 2,
      isolation: 'cgroup',
      network: true,
      workDir: join(dir, 'tb5'),
      testbedId: `t${process.pid}w`,
    });
    const deployment = await testbed.provision();
    expect(deployment.isolation).toBe('cgroup');
    expect(deployment.workers[0]?.targets).toEqual([
      `cgroup:proteus/${testbed.testbedId}/worker-1`,
      `netns:proteus-${testbed.testbedId}-worker-1`,
    ]);
    expect(leftovers(testbed.testbedId).length).toBeGreaterThan(0);
    const run = await testbed.runWorkflow(yaml, { runId: 'where', workDir: join(dir, 'where-run') });
    expect(run.succeeded).toBe(true);
    const probeJob = run.jobs.find((job) => job.job === 'probe') as JobRecord;
    const where = JSON.parse(readFileSync(join(dir, 'where-run', 'data', 'where.json'), 'utf8')) as {
      cgroup: string;
      interfaces: string[];
    };
    expect(where.cgroup).toMatch(new RegExp(`:cpu:/proteus/${testbed.testbedId}/${probeJob.worker}\\n`));
    expect(where.cgroup).toMatch(new RegExp(`:blkio:/proteus/${testbed.testbedId}/${probeJob.worker}\\n`));
    expect(where.interfaces.sort()).toEqual(['eth0', 'lo']);
    expect(deployment.dataNodeUrl).toMatch(/^http:\/\/10\.\d+\.\d+\.1:\d+$/);
    const readerJob = run.jobs.find((job) => job.job === 'reader') as JobRecord;
    expect(readerJob.stageInBytes).toBe(probeJob.stageOutBytes);
    await testbed.release();
    expect(leftovers(testbed.testbedId)).toEqual([]);
    expect(existsSync(`/sys/class/net/${deployment.resources.find((r) => r.kind === 'bridge')?.id}`)).toBe(false);
  });

  it('gives each worker a quota of its cores, and a lower quota makes the kernel throttle its jobs (1000genome-like, small)', async () => {
    const yaml = generateExample('1000genome-like', join(dir, 'g1k-cpu'));
    await using testbed = createLocalTestbed({
      workers: 2,
      slotsPerWorker: 1,
      isolation: 'cgroup',
      cpuWeight: 64,
      workDir: join(dir, 'tb6'),
      seed: 1,
    });
    await testbed.provision();
    // The worker got a quota of its 1 core at provision time.
    const quotaFile = `/sys/fs/cgroup/cpu/proteus/${testbed.testbedId}/worker-1/cpu.cfs_quota_us`;
    expect(readFileSync(quotaFile, 'utf8').trim()).toBe(
      readFileSync(quotaFile.replace('quota', 'period'), 'utf8').trim(),
    );
    // The anomaly is written directly (the injector's job in production): worker-1 gets 25% of one core, and the
    // high CPU weight keeps worker-2 near its full core even on a busy host.
    writeFileSync(quotaFile, '25000');
    const run = await testbed.runWorkflow(yaml, { runId: 'cpu', workDir: join(dir, 'cpu-run') });
    expect(run.succeeded).toBe(true);
    const mean = (worker: string) => {
      const jobs = run.jobs.filter((job) => job.worker === worker);
      return jobs.reduce((sum, job) => sum + (job.executeEnd - job.executeStart), 0) / Math.max(1, jobs.length);
    };
    // The effect is read from the kernel's CFS accounting, not from runtimes (a busy host slows both workers): the
    // share of its scheduler periods in which each worker's cgroup hit its quota.
    const throttledShare = (worker: string) => {
      const stat = readFileSync(quotaFile.replace('worker-1', worker).replace('cfs_quota_us', 'stat'), 'utf8');
      const field = (name: string) => Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(stat)?.[1]);
      return field('nr_throttled') / Math.max(1, field('nr_periods'));
    };
    const [share1, share2] = [throttledShare('worker-1'), throttledShare('worker-2')];
    console.info(
      `cpu quota 25%: mean job runtime worker-1 ${mean('worker-1').toFixed(2)} s vs worker-2 ${mean('worker-2').toFixed(2)} s; throttled in ${(share1 * 100).toFixed(0)}% vs ${(share2 * 100).toFixed(0)}% of periods`,
    );
    expect(run.jobs.some((job) => job.worker === 'worker-1')).toBe(true);
    expect(share1).toBeGreaterThan(0.5);
    expect(share1).toBeGreaterThan(share2);
  });
});
