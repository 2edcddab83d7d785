import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmdirSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';

/** The controllers a worker cgroup gets: CPU quota, core pinning and block-I/O throttling. */
const V1_CONTROLLERS = ['cpu', 'cpuset', 'blkio'] as const;
const V2_CONTROLLERS = ['cpu', 'cpuset', 'io'] as const;

/** Where the cgroup filesystem is and which layout it has. */
export type CgroupHost =
  | { version: 1; mounts: Array<{ controller: string; path: string }> }
  | { version: 2; root: string; controllers: string[] };

export type CgroupProbe = { ok: true; host: CgroupHost } | { ok: false; missing: string[] };

/**
 * Finds a usable cgroup layout: cgroup v1 with the cpu, cpuset and blkio hierarchies mounted (hybrid hosts), or a
 * v2 unified hierarchy with the cpu controller available; and checks for root.
 */
export function probeCgroups(mountsText = readMounts()): CgroupProbe {
  const missing: string[] = [];
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    missing.push(`root (running as uid ${process.getuid()}); run as root or delegate a cgroup subtree`);
  }
  const v1 = new Map<string, string>();
  let v2Root: string | undefined;
  for (const line of mountsText.split('\n')) {
    const [, mountPoint, type, options] = line.split(' ');
    if (!mountPoint || !options) continue;
    if (type === 'cgroup') {
      for (const option of options.split(',')) {
        if ((V1_CONTROLLERS as readonly string[]).includes(option) && !v1.has(option)) v1.set(option, mountPoint);
      }
    } else if (type === 'cgroup2' && v2Root === undefined) {
      v2Root = mountPoint;
    }
  }
  const v1Missing = V1_CONTROLLERS.filter((c) => !v1.has(c));
  let host: CgroupHost | undefined;
  if (v1Missing.length === 0) {
    host = { version: 1, mounts: V1_CONTROLLERS.map((c) => ({ controller: c, path: v1.get(c) as string })) };
  } else if (v2Root !== undefined) {
    const controllers = readText(join(v2Root, 'cgroup.controllers')).split(/\s+/).filter(Boolean);
    if (controllers.includes('cpu')) host = { version: 2, root: v2Root, controllers };
    else
      missing.push(`the cpu controller in the cgroup v2 hierarchy at ${v2Root} (it lists "${controllers.join(' ')}")`);
  } else {
    missing.push(`a cgroup filesystem (no cgroup v2 mount and cgroup v1 lacks ${v1Missing.join(', ')})`);
  }
  if (missing.length > 0 || host === undefined) return { ok: false, missing };
  return { ok: true, host };
}

/** The cgroup of one worker: the folders created (deepest last) and the `cgroup.procs` files jobs join. */
export interface WorkerCgroup {
  /** Path below the hierarchy root, e.g. `proteus/<testbedId>/<worker>`; the injector target is `cgroup:<path>`. */
  relativePath: string;
  procsFiles: string[];
  /** Every folder that holds the worker's processes (one per v1 hierarchy, one for v2). */
  leaves: string[];
}

/** Folders this process created, deepest last, so they can be removed in reverse. */
export interface CgroupTracker {
  created: string[];
}

/**
 * Creates `<hierarchy>/proteus/<testbedId>/<worker>` in each needed hierarchy, initialising cpusets from the parent
 * (an empty cpuset refuses tasks) and enabling controllers for v2 children. `cpus` pins the worker to a core list,
 * `weight` sets its CPU weight and `quotaCores` its CFS quota (Poseidon-X's `--cpus`).
 */
export function createWorkerCgroup(
  host: CgroupHost,
  testbedId: string,
  worker: string,
  cpus: string | undefined,
  tracker: CgroupTracker,
  weight?: CpuWeight,
  quotaCores?: number,
): WorkerCgroup {
  const parts = ['proteus', testbedId, worker];
  const relativePath = parts.join('/');
  const leaves: string[] = [];
  if (host.version === 1) {
    for (const { controller, path } of host.mounts) {
      let current = path;
      for (const part of parts) {
        const parent = current;
        current = join(current, part);
        makeDir(current, tracker);
        if (controller === 'cpuset') inheritCpuset(parent, current);
      }
      if (controller === 'cpuset' && cpus !== undefined) writeFileSync(join(current, 'cpuset.cpus'), cpus);
      if (controller === 'cpu' && weight !== undefined) writeWeights(host, path, parts, weight);
      if (controller === 'cpu' && quotaCores !== undefined) {
        const period = Number(readText(join(current, 'cpu.cfs_period_us')).trim()) || 100_000;
        writeFileSync(join(current, 'cpu.cfs_quota_us'), String(Math.round(quotaCores * period)));
      }
      leaves.push(current);
    }
  } else {
    const enable = V2_CONTROLLERS.filter((c) => host.controllers.includes(c));
    let current = host.root;
    for (const part of parts) {
      enableSubtree(current, enable);
      current = join(current, part);
      makeDir(current, tracker);
    }
    if (cpus !== undefined && enable.includes('cpuset')) writeFileSync(join(current, 'cpuset.cpus'), cpus);
    if (weight !== undefined) writeWeights(host, host.root, parts, weight);
    if (quotaCores !== undefined) {
      const period = Number(readText(join(current, 'cpu.max')).trim().split(/\s+/)[1]) || 100_000;
      writeFileSync(join(current, 'cpu.max'), `${Math.round(quotaCores * period)} ${period}`);
    }
    leaves.push(current);
  }
  return { relativePath, leaves, procsFiles: leaves.map((leaf) => join(leaf, 'cgroup.procs')) };
}

/**
 * CPU weights, in "ordinary processes": a cgroup competes with its siblings as one scheduling entity, so without a
 * weight a whole worker (and the whole testbed) counts as one process against the host's other processes.
 */
export interface CpuWeight {
  /** The worker's own weight. */
  worker: number;
  /** The testbed group's weight (the sum over its workers); the shared `proteus` group is raised to it, never lowered. */
  testbed: number;
}

/** cgroup v1 `cpu.shares` (1024 per process, 2..262144) or v2 `cpu.weight` (100 per process, 1..10000). */
function weightValue(version: 1 | 2, processes: number): string {
  return version === 1
    ? String(Math.min(262_144, Math.max(2, Math.round(1024 * processes))))
    : String(Math.min(10_000, Math.max(1, Math.round(100 * processes))));
}

function writeWeights(host: CgroupHost, root: string, parts: string[], weight: CpuWeight): void {
  const file = host.version === 1 ? 'cpu.shares' : 'cpu.weight';
  const shared = join(root, parts[0] as string, file);
  const testbed = weightValue(host.version, weight.testbed);
  if (Number(readText(shared)) < Number(testbed)) writeFileSync(shared, testbed);
  writeFileSync(join(root, parts[0] as string, parts[1] as string, file), testbed);
  writeFileSync(join(root, ...parts, file), weightValue(host.version, weight.worker));
}

/** Pids currently in a cgroup folder (empty when it is gone). */
export function cgroupPids(folder: string): number[] {
  return readText(join(folder, 'cgroup.procs'))
    .split('\n')
    .filter(Boolean)
    .map(Number)
    .filter((pid) => Number.isInteger(pid) && pid > 0);
}

/**
 * Kills what is left in the created cgroups and removes them, deepest first. Synchronous so that it also works in a
 * signal or `exit` handler. Returns the folders that could not be removed, with the reason.
 */
export function removeCgroups(tracker: CgroupTracker): string[] {
  const problems: string[] = [];
  for (const folder of [...tracker.created].reverse()) {
    if (!existsSync(folder)) continue;
    for (let attempt = 0; attempt < 50; attempt++) {
      const pids = cgroupPids(folder);
      if (pids.length === 0) break;
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
      sleepSync(20);
    }
    try {
      rmdirSync(folder);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') continue;
      // The shared parent (`proteus`) may still hold another testbed's groups.
      if ((code === 'EBUSY' || code === 'ENOTEMPTY') && isSharedParent(folder)) continue;
      problems.push(`${folder}: ${code ?? String(error)}`);
    }
  }
  tracker.created.length = 0;
  return problems;
}

/**
 * The cgroup hierarchies under `root` that hold a `proteus` folder: `root` itself (v2) or its v1 controller mounts,
 * each once (co-mounted controllers such as `cpu,cpuacct` appear under several names).
 */
export function findProteusHierarchies(root: string): string[] {
  const found = new Map<string, string>();
  const candidates = [root, ...listFolders(root).map((name) => join(root, name))];
  for (const candidate of candidates) {
    if (!existsSync(join(candidate, 'cgroup.procs')) || !isFolder(join(candidate, 'proteus'))) continue;
    let real: string;
    try {
      real = realpathSync(candidate);
    } catch {
      continue;
    }
    if (!found.has(real)) found.set(real, candidate);
  }
  return [...found.values()];
}

/** Sub-folders of a folder (none when it is missing or unreadable). */
export function listFolders(folder: string): string[] {
  try {
    return readdirSync(folder, { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name);
  } catch {
    return [];
  }
}

/** A cgroup folder and every folder below it, deepest first (the order `rmdir` needs). */
export function cgroupSubtree(folder: string): string[] {
  if (!isFolder(folder)) return [];
  return [...listFolders(folder).flatMap((name) => cgroupSubtree(join(folder, name))), folder];
}

function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function isSharedParent(folder: string): boolean {
  return folder.endsWith('/proteus');
}

function makeDir(path: string, tracker: CgroupTracker): void {
  try {
    mkdirSync(path);
    tracker.created.push(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    // A pre-existing `proteus` parent is shared; a pre-existing leaf is a stale one from a crashed run, reuse it.
    if (!isSharedParent(path) && !tracker.created.includes(path)) {
      tracker.created.push(path);
      // The orphan sweep takes a folder older than its name's pid for a dead testbed's: make an adopted one ours.
      const now = new Date();
      utimesSync(path, now, now);
    }
  }
}

function inheritCpuset(parent: string, child: string): void {
  for (const file of ['cpuset.cpus', 'cpuset.mems']) {
    const own = readText(join(child, file)).trim();
    if (own === '') writeFileSync(join(child, file), readText(join(parent, file)).trim());
  }
}

function enableSubtree(folder: string, controllers: readonly string[]): void {
  const enabled = readText(join(folder, 'cgroup.subtree_control')).split(/\s+/);
  for (const controller of controllers) {
    if (enabled.includes(controller)) continue;
    try {
      writeFileSync(join(folder, 'cgroup.subtree_control'), `+${controller}`);
    } catch {
      // Optional controllers (cpuset, io) may be unavailable; cpu was checked by probeCgroups.
    }
  }
}

function readMounts(): string {
  return readText('/proc/self/mounts');
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
