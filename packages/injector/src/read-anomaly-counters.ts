import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CommandRunner } from '@proteus-wf/core';
import { ProteusError } from '@proteus-wf/core';
import { DEFAULT_CGROUP_ROOT, detectCgroupLayout } from './internal/cgroup.js';
import { runnerForTarget } from './runner-for-target.js';
import { parseTarget } from './targets.js';

/** CFS bandwidth accounting of a cgroup (`cpu.stat`): how often its CPU quota held it back. */
export interface CpuThrottleCounters {
  /** Enforcement periods in which the cgroup had runnable tasks. */
  periods: number;
  /** Periods in which it used up its quota and was throttled. */
  throttledPeriods: number;
  /** Total time its tasks waited on the quota, in seconds. */
  throttledSeconds: number;
  /** The quota period, in seconds (v1 `cpu.cfs_period_us`, v2 second field of `cpu.max`). */
  periodSeconds: number;
}

/** Block I/O a cgroup did on one device, as the kernel's I/O throttling layer counted it. */
export interface DiskIoCounters {
  /** `major:minor` of the device. */
  device: string;
  readBytes: number;
  writeBytes: number;
  readOps: number;
  writeOps: number;
}

/** Packets an anomaly's nftables drop rules matched (and dropped). */
export interface PacketDropCounters {
  table: string;
  packets: number;
  bytes: number;
}

/** What the kernel accounted for an anomaly's target; a field is absent when the target has no such facility. */
export interface AnomalyCounters {
  target: string;
  cpu?: CpuThrottleCounters;
  disk?: DiskIoCounters[];
  drops?: PacketDropCounters;
}

/** Options of {@link readAnomalyCounters}. */
export interface ReadAnomalyCountersOptions {
  /** The handle's `effect`: names the nft table of a loss anomaly (`nftTable`). */
  effect?: Readonly<Record<string, unknown>>;
  /** Where the cgroup hierarchy is mounted (default `/sys/fs/cgroup`). */
  cgroupRoot?: string;
  /** Runs `nft` on the target; default {@link runnerForTarget}. */
  runner?: CommandRunner;
}

/**
 * Reads the kernel's own accounting of an anomaly target, so tests and loops can check an anomaly's effect without
 * timing anything: CFS throttling (`cpu.stat`) and throttled block I/O (`blkio.throttle.io_service_bytes` /
 * `io_serviced`, v2 `io.stat`) of a `cgroup:` target, and the packet counters of the anomaly's nft drop rules
 * (`nft -j list table`) on a `netns:`/`local` target. Counters are cumulative: subtract two readings. Read them
 * before the anomaly is reverted (revert deletes its nft table).
 * @example
 * const before = await readAnomalyCounters(handle.target)
 * // ... run jobs in the worker ...
 * const after = await readAnomalyCounters(handle.target)
 * after.cpu!.throttledSeconds - before.cpu!.throttledSeconds // > 0 under cpu_1
 * @throws ProteusError PROTEUS_INJECTOR_TARGET_INVALID for an unparsable target, PROTEUS_INJECTOR_TARGET_UNSUPPORTED
 *   for ssh/docker targets, PROTEUS_INJECTOR_TARGET_MISSING when the cgroup does not exist,
 *   PROTEUS_INJECTOR_COUNTERS_UNREADABLE when `nft -j` prints something that is not its JSON
 */
export async function readAnomalyCounters(
  target: string,
  options: ReadAnomalyCountersOptions = {},
): Promise<AnomalyCounters> {
  const parsed = parseTarget(target);
  const counters: AnomalyCounters = { target };
  if (parsed.kind === 'cgroup') {
    const layout = await detectCgroupLayout(options.cgroupRoot ?? DEFAULT_CGROUP_ROOT);
    let found = false;
    if (layout.cpu) {
      const dir = join(layout.cpu, parsed.path);
      const stat = await readOptional(join(dir, 'cpu.stat'));
      if (stat !== undefined) {
        found = true;
        counters.cpu = parseCpuStat(
          stat,
          layout.version,
          layout.version === 1
            ? Number(await readOptional(join(dir, 'cpu.cfs_period_us'))) / 1e6
            : Number((await readOptional(join(dir, 'cpu.max')))?.trim().split(/\s+/)[1] ?? 100000) / 1e6,
        );
      }
    }
    if (layout.io) {
      const dir = join(layout.io, parsed.path);
      if (layout.version === 1) {
        const bytes = await readOptional(join(dir, 'blkio.throttle.io_service_bytes'));
        const ops = await readOptional(join(dir, 'blkio.throttle.io_serviced'));
        if (bytes !== undefined && ops !== undefined) {
          found = true;
          counters.disk = parseBlkioV1(bytes, ops);
        }
      } else {
        const stat = await readOptional(join(dir, 'io.stat'));
        if (stat !== undefined) {
          found = true;
          counters.disk = parseIoStatV2(stat);
        }
      }
    }
    if (!found) {
      throw new ProteusError(
        'PROTEUS_INJECTOR_TARGET_MISSING',
        `injector/readAnomalyCounters: cgroup "${parsed.path}" has no cpu.stat or I/O statistics under ${layout.root}. Is the worker still provisioned?`,
        { details: { path: parsed.path, root: layout.root } },
      );
    }
    return counters;
  }
  if (parsed.kind !== 'netns' && parsed.kind !== 'local') {
    throw new ProteusError(
      'PROTEUS_INJECTOR_TARGET_UNSUPPORTED',
      `injector/readAnomalyCounters: counters are read from cgroup:, netns: and local targets (got ${target}). Read them on the host itself.`,
    );
  }
  const table = options.effect?.nftTable;
  if (typeof table === 'string') {
    const runner = options.runner ?? runnerForTarget(target);
    const { stdout } = await runner.run('nft', ['-j', 'list', 'table', 'inet', table]);
    counters.drops = { table, ...sumNftDropCounters(stdout, target) };
  }
  return counters;
}

/** Parses cgroup `cpu.stat` (v1 `throttled_time` in ns, v2 `throttled_usec`). */
export function parseCpuStat(text: string, version: 1 | 2, periodSeconds: number): CpuThrottleCounters {
  const field = (name: string) => Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
  return {
    periods: field('nr_periods'),
    throttledPeriods: field('nr_throttled'),
    throttledSeconds: version === 1 ? field('throttled_time') / 1e9 : field('throttled_usec') / 1e6,
    periodSeconds: Number.isFinite(periodSeconds) && periodSeconds > 0 ? periodSeconds : 0.1,
  };
}

/** Parses v1 `blkio.throttle.io_service_bytes` and `io_serviced` (`8:0 Write 4096` lines) per device. */
export function parseBlkioV1(bytesText: string, opsText: string): DiskIoCounters[] {
  const devices = new Map<string, DiskIoCounters>();
  const of = (device: string) => {
    let entry = devices.get(device);
    if (!entry) {
      entry = { device, readBytes: 0, writeBytes: 0, readOps: 0, writeOps: 0 };
      devices.set(device, entry);
    }
    return entry;
  };
  for (const [text, unit] of [
    [bytesText, 'Bytes'],
    [opsText, 'Ops'],
  ] as const) {
    for (const line of text.split('\n')) {
      const match = /^(\d+:\d+) (Read|Write) (\d+)$/.exec(line.trim());
      if (!match) continue;
      const key = `${match[2] === 'Read' ? 'read' : 'write'}${unit}` as const;
      of(match[1] as string)[key] += Number(match[3]);
    }
  }
  return [...devices.values()];
}

/** Parses v2 `io.stat` (`8:0 rbytes=.. wbytes=.. rios=.. wios=..`) per device. */
export function parseIoStatV2(text: string): DiskIoCounters[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => /^\d+:\d+ /.test(line))
    .map((line) => {
      const value = (key: string) => Number(new RegExp(`\\b${key}=(\\d+)`).exec(line)?.[1] ?? 0);
      return {
        device: line.split(' ')[0] as string,
        readBytes: value('rbytes'),
        writeBytes: value('wbytes'),
        readOps: value('rios'),
        writeOps: value('wios'),
      };
    });
}

/** Sums the `counter` statements of every rule in `nft -j list table` output. */
export function sumNftDropCounters(json: string, target: string): { packets: number; bytes: number } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (error) {
    throw new ProteusError(
      'PROTEUS_INJECTOR_COUNTERS_UNREADABLE',
      `injector/readAnomalyCounters: nft -j on ${target} printed no JSON (${json.slice(0, 80)}). Is nft new enough for -j (nftables >= 0.9)?`,
      { cause: error },
    );
  }
  const entries = (parsed as { nftables?: unknown[] }).nftables;
  if (!Array.isArray(entries)) {
    throw new ProteusError(
      'PROTEUS_INJECTOR_COUNTERS_UNREADABLE',
      `injector/readAnomalyCounters: nft -j on ${target} printed JSON without an "nftables" list. Is nft new enough for -j (nftables >= 0.9)?`,
    );
  }
  let packets = 0;
  let bytes = 0;
  for (const entry of entries) {
    const expr = (entry as { rule?: { expr?: unknown[] } }).rule?.expr;
    if (!Array.isArray(expr)) continue;
    for (const statement of expr) {
      const counter = (statement as { counter?: { packets?: number; bytes?: number } }).counter;
      if (!counter) continue;
      packets += counter.packets ?? 0;
      bytes += counter.bytes ?? 0;
    }
  }
  return { packets, bytes };
}

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}
