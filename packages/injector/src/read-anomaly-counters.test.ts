import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CommandRunner } from '@proteus-wf/core';
import { isProteusError } from '@proteus-wf/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readAnomalyCounters, sumNftDropCounters } from './read-anomaly-counters.js';

// A v1 hierarchy laid out as the kernel does (files copied from a 6.x kernel), so the parser reads real formats.
let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'proteus-counters-'));
  const cpu = join(root, 'cpu', 'proteus', 'tb', 'w1');
  const blkio = join(root, 'blkio', 'proteus', 'tb', 'w1');
  await mkdir(cpu, { recursive: true });
  await mkdir(blkio, { recursive: true });
  await writeFile(join(root, 'cpu', 'cpu.cfs_quota_us'), '-1\n');
  await writeFile(join(root, 'blkio', 'blkio.throttle.read_bps_device'), '');
  await writeFile(join(cpu, 'cpu.cfs_period_us'), '100000\n');
  await writeFile(
    join(cpu, 'cpu.stat'),
    'nr_periods 312\nnr_throttled 141\nthrottled_time 7051234567\nnr_bursts 0\nburst_time 0\n',
  );
  await writeFile(
    join(blkio, 'blkio.throttle.io_service_bytes'),
    '8:0 Read 4194304\n8:0 Write 3145728\n8:0 Sync 7340032\n8:0 Async 0\n8:0 Discard 0\n8:0 Total 7340032\nTotal 7340032\n',
  );
  await writeFile(
    join(blkio, 'blkio.throttle.io_serviced'),
    '8:0 Read 16\n8:0 Write 12\n8:0 Sync 28\n8:0 Async 0\n8:0 Discard 0\n8:0 Total 28\nTotal 28\n',
  );
});
afterAll(() => rm(root, { recursive: true, force: true }));

const NFT_JSON = JSON.stringify({
  nftables: [
    { metainfo: { version: '1.0.9', json_schema_version: 1 } },
    { table: { family: 'inet', name: 'proteus_a1', handle: 1 } },
    { chain: { family: 'inet', table: 'proteus_a1', name: 'input', handle: 1, type: 'filter', hook: 'input' } },
    {
      rule: {
        family: 'inet',
        table: 'proteus_a1',
        chain: 'input',
        handle: 3,
        expr: [
          { match: { op: '!=', left: { meta: { key: 'iifname' } }, right: 'lo' } },
          { counter: { packets: 37, bytes: 52_910 } },
          { drop: null },
        ],
      },
    },
    {
      rule: {
        family: 'inet',
        table: 'proteus_a1',
        chain: 'forward',
        handle: 4,
        expr: [{ counter: { packets: 5, bytes: 300 } }, { drop: null }],
      },
    },
  ],
});

describe('readAnomalyCounters', () => {
  it('reads CFS throttling and per-device throttled I/O of a v1 cgroup target', async () => {
    const counters = await readAnomalyCounters('cgroup:proteus/tb/w1', { cgroupRoot: root });
    expect(counters.cpu).toEqual({
      periods: 312,
      throttledPeriods: 141,
      throttledSeconds: 7.051234567,
      periodSeconds: 0.1,
    });
    expect(counters.disk).toEqual([
      { device: '8:0', readBytes: 4194304, writeBytes: 3145728, readOps: 16, writeOps: 12 },
    ]);
  });

  it('sums the packet counters of the nft drop rules named by the effect', async () => {
    const calls: string[][] = [];
    const runner: CommandRunner = {
      target: 'netns:w1',
      run: async (file, args) => {
        calls.push([file, ...args]);
        return { exitCode: 0, stdout: NFT_JSON, stderr: '', durationMs: 1 };
      },
    };
    const counters = await readAnomalyCounters('netns:w1', { effect: { nftTable: 'proteus_a1' }, runner });
    expect(counters.drops).toEqual({ table: 'proteus_a1', packets: 42, bytes: 53_210 });
    expect(calls).toEqual([['nft', '-j', 'list', 'table', 'inet', 'proteus_a1']]);
  });

  it('throws PROTEUS_INJECTOR_TARGET_MISSING for a cgroup that does not exist', async () => {
    const error = await readAnomalyCounters('cgroup:proteus/tb/gone', { cgroupRoot: root }).catch((e: unknown) => e);
    expect(isProteusError(error, 'PROTEUS_INJECTOR_TARGET_MISSING')).toBe(true);
  });

  it('throws PROTEUS_INJECTOR_COUNTERS_UNREADABLE when nft prints no JSON', () => {
    const error = (() => {
      try {
        return sumNftDropCounters('table inet proteus_a1 {', 'netns:w1');
      } catch (e) {
        return e;
      }
    })();
    expect(isProteusError(error, 'PROTEUS_INJECTOR_COUNTERS_UNREADABLE')).toBe(true);
  });
});
