import { access, readFile, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { ProteusError } from '@proteus-wf/core';
import type { CpuAnomalySpec, DiskAnomalySpec } from '../anomaly-spec.js';
import type { CgroupKnob } from '../ledger.js';
import { resolveBlockDevice } from './block-device.js';
import type { Plan, Step } from './plan.js';

/** Where the controllers of this machine's cgroup hierarchy are mounted. */
export interface CgroupLayout {
  version: 1 | 2;
  root: string;
  /** Controller root folders (v2: all the same folder), present only when the controller is usable. */
  cpu?: string;
  cpuset?: string;
  io?: string;
}

export const DEFAULT_CGROUP_ROOT = '/sys/fs/cgroup';

/** Finds cgroup v2 (unified at the root) or the v1 controller mounts under `root`. */
export async function detectCgroupLayout(root = DEFAULT_CGROUP_ROOT): Promise<CgroupLayout> {
  const v2 = await readOptional(join(root, 'cgroup.controllers'));
  if (v2 !== undefined) {
    const controllers = v2.trim().split(/\s+/);
    return {
      version: 2,
      root,
      ...(controllers.includes('cpu') ? { cpu: root } : {}),
      ...(controllers.includes('cpuset') ? { cpuset: root } : {}),
      ...(controllers.includes('io') ? { io: root } : {}),
    };
  }
  const layout: CgroupLayout = { version: 1, root };
  for (const name of ['cpu', 'cpu,cpuacct']) {
    if (await exists(join(root, name, 'cpu.cfs_quota_us'))) {
      layout.cpu = join(root, name);
      break;
    }
  }
  if (await exists(join(root, 'cpuset', 'cpuset.cpus'))) layout.cpuset = join(root, 'cpuset');
  if (await exists(join(root, 'blkio', 'blkio.throttle.read_bps_device'))) layout.io = join(root, 'blkio');
  return layout;
}

/** The `cgroup.procs` files a process must be written to so that it lands in the target cgroup (every controller). */
export async function cgroupProcsFiles(layout: CgroupLayout, path: string): Promise<string[]> {
  const dirs = [...new Set([layout.cpu, layout.cpuset, layout.io].filter((d): d is string => d !== undefined))];
  const files: string[] = [];
  for (const dir of dirs) {
    const file = join(dir, path, 'cgroup.procs');
    if (await exists(file)) files.push(file);
  }
  if (files.length === 0) throw missing(layout, path, 'any controller');
  return files;
}

/** Plans a CPU limit on the cgroup at `path` (relative to the controller roots). */
export async function planCpu(layout: CgroupLayout, path: string, spec: CpuAnomalySpec): Promise<Plan> {
  if (!layout.cpu) throw unavailable(layout, 'cpu');
  const cpuDir = join(layout.cpu, path);
  const cpusetDir = layout.cpuset ? join(layout.cpuset, path) : undefined;
  const steps: Step[] = [];
  const effect: Record<string, unknown> = { cgroup: path, cgroupVersion: layout.version };
  let period: number;
  let quota: number | undefined;
  let quotaFile: string;
  let originalQuota: string;
  const quotaKnob: CgroupKnob = layout.version === 1 ? 'cpu.cfs_quota_us' : 'cpu.max';
  if (layout.version === 1) {
    quotaFile = join(cpuDir, 'cpu.cfs_quota_us');
    originalQuota = await readRequired(quotaFile, layout, path);
    period = Number(await readRequired(join(cpuDir, 'cpu.cfs_period_us'), layout, path));
    const q = Number(originalQuota);
    quota = q > 0 ? q : undefined;
  } else {
    quotaFile = join(cpuDir, 'cpu.max');
    originalQuota = await readRequired(quotaFile, layout, path);
    const [q, p] = originalQuota.split(/\s+/);
    period = Number(p ?? 100000);
    quota = q === 'max' || q === undefined ? undefined : Number(q);
  }
  let newQuota: number;
  if (spec.removeCores !== undefined) {
    let cpus: number[];
    let cpusetFile: string | undefined;
    let originalCpus = '';
    if (cpusetDir && (await exists(join(cpusetDir, 'cpuset.cpus')))) {
      cpusetFile = join(cpusetDir, 'cpuset.cpus');
      originalCpus = await readRequired(cpusetFile, layout, path);
      const effective = originalCpus || (await readOptional(join(cpusetDir, 'cpuset.cpus.effective')))?.trim() || '';
      cpus = parseCpuList(effective);
    } else {
      cpus = Array.from({ length: availableParallelism() }, (_, i) => i);
    }
    const keep = cpus.slice(0, cpus.length - spec.removeCores);
    if (keep.length < 1) {
      throw new ProteusError(
        'PROTEUS_INJECTOR_SPEC_UNSATISFIABLE',
        `injector/cpu: cgroup ${path} has ${cpus.length} core(s) (${formatCpuList(cpus)}); withholding ${spec.removeCores} would leave none. Use a smaller cpu_<K> or a bigger worker.`,
        { details: { cores: cpus.length, removeCores: spec.removeCores } },
      );
    }
    if (cpusetFile) {
      steps.push(writeStep(cpusetFile, 'cpuset.cpus', formatCpuList(keep), originalCpus));
      effect.cpusetCpus = formatCpuList(keep);
      effect.originalCpusetCpus = formatCpuList(cpus);
    }
    // Poseidon-X lowered --cpus with --cpuset-cpus: the worker keeps (N-K)/N of its CPU. On a dedicated worker (no
    // quota, or a quota of its N cores) that is N-K cores; on a worker whose quota is a share of the cores it may
    // run on (the local testbed's workers share the host's cores), the quota shrinks by the same fraction. Without
    // this a worker with a 1-core quota spread over 2 cores would lose a core and keep its full CPU.
    const scaled = quota === undefined ? Number.POSITIVE_INFINITY : Math.round((quota * keep.length) / cpus.length);
    newQuota = Math.max(1000, Math.min(scaled, keep.length * period));
  } else {
    newQuota = Math.max(1000, Math.round(spec.quota * period));
  }
  const value = layout.version === 1 ? String(newQuota) : `${newQuota} ${period}`;
  steps.push(writeStep(quotaFile, quotaKnob, value, originalQuota));
  effect.quotaCores = newQuota / period;
  return { steps, effect };
}

/** Plans a read/write bytes-per-second cap on the disk behind `deviceFrom` for the cgroup at `path`. */
export async function planDisk(
  layout: CgroupLayout,
  path: string,
  spec: DiskAnomalySpec,
  deviceFrom: string,
): Promise<Plan> {
  if (!layout.io) throw unavailable(layout, layout.version === 1 ? 'blkio' : 'io');
  const device = await resolveBlockDevice(spec.device ?? deviceFrom);
  const dir = join(layout.io, path);
  const steps: Step[] = [];
  const effect: Record<string, unknown> = {
    cgroup: path,
    cgroupVersion: layout.version,
    device: device.majMin,
    deviceName: device.name,
  };
  if (layout.version === 1) {
    // NOTE: v1 blkio accounts only direct (O_DIRECT/sync) I/O; buffered writeback escapes the limit.
    effect.accounts = 'direct-io-only';
    for (const [key, bps] of [
      ['read', spec.readBps],
      ['write', spec.writeBps],
    ] as const) {
      if (!bps) continue;
      const knob = `blkio.throttle.${key}_bps_device` as const;
      const file = join(dir, knob);
      const current = await readRequired(file, layout, path);
      const line = current.split('\n').find((l) => l.startsWith(`${device.majMin} `));
      const original = line ? line.split(' ')[1]! : '0';
      steps.push(writeStep(file, knob, `${device.majMin} ${bps}`, `${device.majMin} ${original}`));
    }
  } else {
    effect.accounts = 'direct-and-buffered-io';
    const file = join(dir, 'io.max');
    const current = await readRequired(file, layout, path);
    const line = current.split('\n').find((l) => l.startsWith(`${device.majMin} `));
    const keys = ['rbps', 'wbps', 'riops', 'wiops'];
    const original = keys.map((k) => `${k}=${/\S+/.exec(line?.split(`${k}=`)[1] ?? 'max')?.[0] ?? 'max'}`).join(' ');
    const value = `${device.majMin} rbps=${spec.readBps || 'max'} wbps=${spec.writeBps || 'max'}`;
    steps.push(writeStep(file, 'io.max', value, `${device.majMin} ${original}`));
  }
  return { steps, effect };
}

/** Parses a kernel CPU list (`0-3,8,10-11`). */
export function parseCpuList(text: string): number[] {
  const cpus: number[] = [];
  for (const part of text.trim().split(',')) {
    if (part === '') continue;
    const [a, b] = part.split('-').map(Number);
    if (a === undefined || Number.isNaN(a)) continue;
    for (let c = a; c <= (b ?? a); c++) cpus.push(c);
  }
  return cpus;
}

/** Formats CPUs as a kernel CPU list, collapsing runs (`0-3,8`). */
export function formatCpuList(cpus: readonly number[]): string {
  const sorted = [...new Set(cpus)].sort((x, y) => x - y);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    parts.push(i === j ? `${sorted[i]}` : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

function writeStep(path: string, knob: CgroupKnob, value: string, original: string): Step {
  return {
    name: `write ${path}`,
    inverse: [{ kind: 'cgroup-knob', knob, value: original }],
    apply: async () => {
      await writeKnob(path, value);
      return undefined;
    },
  };
}

/** Writes one cgroup knob, wrapping the kernel's refusal in a ProteusError that names the file and value. */
export async function writeKnob(path: string, value: string): Promise<void> {
  try {
    await writeFile(path, value);
  } catch (error) {
    throw new ProteusError(
      'PROTEUS_INJECTOR_CGROUP_WRITE',
      `injector/cgroup: cannot write ${JSON.stringify(value)} to ${path} (${(error as Error).message}). Are you root, and does the value fit the parent cgroup?`,
      { cause: error, details: { path, value } },
    );
  }
}

async function readRequired(path: string, layout: CgroupLayout, cgroup: string): Promise<string> {
  const text = await readOptional(path);
  if (text === undefined) throw missing(layout, cgroup, path);
  return text.trim();
}

function missing(layout: CgroupLayout, path: string, what: string): ProteusError {
  return new ProteusError(
    'PROTEUS_INJECTOR_TARGET_MISSING',
    `injector/cgroup: cgroup "${path}" not found under ${layout.root} (looked for ${what}). Create the worker cgroup first (the local testbed makes proteus/<testbedId>/<worker>).`,
    { details: { path, root: layout.root, version: layout.version } },
  );
}

function unavailable(layout: CgroupLayout, controller: string): ProteusError {
  return new ProteusError(
    'PROTEUS_INJECTOR_FACILITY_MISSING',
    `injector/cgroup: the ${controller} controller is not available under ${layout.root} (cgroup v${layout.version}). Mount it (v1) or enable it in cgroup.subtree_control (v2).`,
    { details: { controller, root: layout.root } },
  );
}

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
