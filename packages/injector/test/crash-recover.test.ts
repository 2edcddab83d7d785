import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readLedger, recoverLedger } from '../src/index.js';
import { findMarkedProcesses } from '../src/internal/proc.js';
import { bundleInjector } from './bundle.js';
import {
  cgroupV1,
  createTempDir,
  createVethPair,
  createWorkerCgroup,
  hasCommand,
  isRoot,
  skipReason,
} from './helpers.js';

const hasNft = await hasCommand('nft', ['--version']);
const hasStressNg = await hasCommand('stress-ng', ['--version']);
const skip = skipReason(
  !isRoot || !cgroupV1 || !hasNft,
  'the crash test needs root, cgroup v1 and nftables (it applies cgroup, stressor, nft and tc anomalies)',
);

/** The child: applies one anomaly of each kind, says so, and waits to be killed. */
const CHILD = `
const [bundle, ledgerPath, cgroupTarget, netns, workDir, withStressNg] = process.argv.slice(1);
const { createInjector, parseAnomaly } = await import(bundle);
const injector = createInjector({ ledgerPath, workDir });
await injector.apply(cgroupTarget, { kind: 'cpu', quota: 0.5 }, { runId: 'crash', worker: 'w1' });
await injector.apply(cgroupTarget, parseAnomaly('hdd_5'), { runId: 'crash', worker: 'w1' });
await injector.apply(cgroupTarget, { kind: 'stress', cpu: { workers: 1, loadPercent: 20 }, disk: { workers: 1, bytes: 1048576 } });
if (withStressNg === 'yes') await injector.apply('local', { kind: 'stress', engine: 'stress-ng', cpu: { workers: 1, loadPercent: 10 } });
await injector.apply('netns:' + netns, parseAnomaly('loss_5'));
await injector.apply('netns:' + netns, { kind: 'network', rateMbit: 50 });
console.log('applied');
setInterval(() => {}, 1000);`;

describe.skipIf(skip)('recover after kill -9', () => {
  let bundle: string;
  beforeAll(async () => {
    bundle = await bundleInjector();
  });
  afterAll(async () => {
    if (bundle) await rm(dirname(bundle), { recursive: true, force: true });
  });

  it('reverts every cgroup knob, stressor process, nft table and qdisc a SIGKILLed process left', async () => {
    const worker = await createWorkerCgroup();
    const pair = await createVethPair();
    const dir = await createTempDir();
    try {
      const ledgerPath = join(dir.path, 'ledger.jsonl');
      const quotaFile = join('/sys/fs/cgroup/cpu', worker.path, 'cpu.cfs_quota_us');
      const quotaBefore = (await readFile(quotaFile, 'utf8')).trim();
      const child = spawn(
        process.execPath,
        [
          '--input-type=module',
          '-e',
          CHILD,
          pathToFileURL(bundle).href,
          ledgerPath,
          worker.target,
          pair.b,
          dir.path,
          hasStressNg ? 'yes' : 'no',
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let stderr = '';
      child.stderr.on('data', (d) => (stderr += d));
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (d: Buffer) => d.toString().includes('applied') && resolve());
        child.on('exit', (code) => reject(new Error(`child exited ${code}: ${stderr}`)));
      });
      child.kill('SIGKILL');
      await new Promise((resolve) => child.on('exit', resolve));

      // Everything is still in place after the crash.
      const left = await readLedger(ledgerPath);
      expect(left.filter((e) => e.state === 'applied')).toHaveLength(hasStressNg ? 6 : 5);
      expect((await readFile(quotaFile, 'utf8')).trim()).toBe('50000');
      const stressIds = left.filter((e) => e.spec.kind === 'stress').map((e) => e.id);
      for (const id of stressIds) expect((await findMarkedProcesses(id)).length).toBeGreaterThan(0);
      expect((await execa('ip', ['netns', 'exec', pair.b, 'nft', 'list', 'tables'])).stdout).toContain('proteus_');
      expect((await execa('ip', ['netns', 'exec', pair.b, 'tc', 'qdisc', 'show'])).stdout).toContain('tbf');

      const result = await recoverLedger(ledgerPath);
      expect(result.failed).toEqual([]);
      expect(result.reverted).toHaveLength(left.length);

      expect((await readFile(quotaFile, 'utf8')).trim()).toBe(quotaBefore);
      const blkio = await readFile(
        join('/sys/fs/cgroup/blkio', worker.path, 'blkio.throttle.write_bps_device'),
        'utf8',
      );
      expect(blkio.trim()).toBe('');
      for (const id of stressIds) expect(await findMarkedProcesses(id)).toEqual([]);
      for (const controller of ['cpu', 'cpuset', 'blkio']) {
        expect((await readFile(join('/sys/fs/cgroup', controller, worker.path, 'cgroup.procs'), 'utf8')).trim()).toBe(
          '',
        );
      }
      expect((await execa('ip', ['netns', 'exec', pair.b, 'nft', 'list', 'tables'])).stdout).not.toContain('proteus_');
      expect((await execa('ip', ['netns', 'exec', pair.b, 'tc', 'qdisc', 'show'])).stdout).not.toContain('tbf');
      for (const id of stressIds) expect(existsSync(join(dir.path, `proteus-stress-${id}`))).toBe(false);
      expect((await readLedger(ledgerPath)).every((e) => e.state === 'reverted' && e.revertReason === 'recover')).toBe(
        true,
      );
      // Idempotent: a second recover finds nothing to do.
      expect(await recoverLedger(ledgerPath)).toEqual({ reverted: [], skipped: [], failed: [], rejected: [] });
    } finally {
      await pair.dispose();
      await worker.dispose();
      await dir.dispose();
    }
  });
});
