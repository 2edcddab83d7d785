import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isProteusError } from '@proteus-wf/core';
import { afterAll, describe, expect, it } from 'vitest';
import { createInjector, parseAnomaly, readAnomalyCounters } from '../src/index.js';
import { resolveBlockDevice } from '../src/internal/block-device.js';
import { cgroupV1, createTempDir, createWorkerCgroup, hasCommand, isRoot, runInCgroup, skipReason } from './helpers.js';

const scratch = await createTempDir();
const device = await resolveBlockDevice(scratch.path).catch((error: unknown) => error as Error);
const hasDd = await hasCommand('dd', ['--version']);
const skip = skipReason(
  !isRoot || !cgroupV1 || !hasDd || device instanceof Error,
  !isRoot || !cgroupV1
    ? 'disk effect tests need root and cgroup v1 blkio'
    : !hasDd
      ? 'dd is not installed'
      : `the temp folder cannot be throttled: ${(device as Error).message}`,
);

/** Bytes per second from dd's summary line (`3145728 bytes (3.1 MB, 3.0 MiB) copied, 1.5 s, 2.1 MB/s`). */
function ddRate(stderr: string): number {
  const match = /(\d+) bytes .* copied, ([\d.]+) s/.exec(stderr);
  if (!match) throw new Error(`no dd summary in ${stderr}`);
  return Number(match[1]) / Number(match[2]);
}

describe.skipIf(skip)('disk anomalies on a worker cgroup (measured direct I/O)', () => {
  afterAll(async () => scratch.dispose());

  it('hdd_2 caps direct writes at 2 MiB/s and direct reads at 4 MiB/s on the working folder disk', async () => {
    const worker = await createWorkerCgroup();
    try {
      await using injector = createInjector({ ledgerPath: join(scratch.path, 'ledger.jsonl'), workDir: scratch.path });
      const file = join(scratch.path, 'direct.bin');
      const spec = parseAnomaly('hdd_2');
      {
        await using handle = await injector.apply(worker.target, spec);
        expect(handle.effect).toMatchObject({
          device: (device as { majMin: string }).majMin,
          accounts: 'direct-io-only',
        });
        const majMin = (device as { majMin: string }).majMin;
        const knob = join('/sys/fs/cgroup/blkio', worker.path, 'blkio.throttle.write_bps_device');
        expect(await readFile(knob, 'utf8')).toContain(`${(device as { majMin: string }).majMin} 2097152`);
        const write = await runInCgroup(worker.path, [
          'dd',
          'if=/dev/zero',
          `of=${file}`,
          'bs=256k',
          'count=12',
          'oflag=direct',
        ]);
        const read = await runInCgroup(worker.path, ['dd', `if=${file}`, 'of=/dev/null', 'bs=256k', 'iflag=direct']);
        const mib = 1024 * 1024;
        console.log(
          `[injector evidence] hdd_2 on ${(device as { name: string }).name}: direct write ${(ddRate(write.stderr) / mib).toFixed(2)} MiB/s (cap 2), direct read ${(ddRate(read.stderr) / mib).toFixed(2)} MiB/s (cap 4)`,
        );
        // Ceilings that host load can only lower further (no lower bound on a rate: a loaded host breaks it). The
        // kernel's throttling layer accounted every direct byte to the capped cgroup on the capped device.
        expect(ddRate(write.stderr)).toBeLessThan(2 * mib * 1.15);
        expect(ddRate(read.stderr)).toBeLessThan(4 * mib * 1.15);
        const io = (await readAnomalyCounters(worker.target)).disk?.find((d) => d.device === majMin);
        // At least dd's bytes: the filesystem may account its own metadata and journal writes to the cgroup too.
        expect(io?.writeBytes).toBeGreaterThanOrEqual(12 * 256 * 1024);
        expect(io?.readBytes).toBeGreaterThanOrEqual(12 * 256 * 1024);
      }
      const knob = join('/sys/fs/cgroup/blkio', worker.path, 'blkio.throttle.write_bps_device');
      expect(await readFile(knob, 'utf8')).not.toContain((device as { majMin: string }).majMin);
    } finally {
      await worker.dispose();
    }
  });

  it('refuses a folder on a filesystem without a block device with PROTEUS_INJECTOR_DEVICE_UNSUPPORTED', async () => {
    const worker = await createWorkerCgroup();
    try {
      const injector = createInjector({ ledgerPath: join(scratch.path, 'ledger.jsonl'), workDir: '/proc' });
      const error = await injector.apply(worker.target, parseAnomaly('hdd_5')).catch((e: unknown) => e);
      expect(isProteusError(error, 'PROTEUS_INJECTOR_DEVICE_UNSUPPORTED')).toBe(true);
    } finally {
      await worker.dispose();
    }
  });
});
