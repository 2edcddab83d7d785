import { readdirSync, readFileSync, rmdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { ProteusError } from '@proteus-wf/core';
import { cgroupPids, cgroupSubtree, findProteusHierarchies, listFolders } from './internal/cgroups.js';
import { findNetwork, type NetworkTracker, networkTag, removeNetwork } from './internal/network.js';
import { isRunning, pidsInNetns, pidsOfTestbed, readProcessStat, startedAtSeconds } from './internal/proc.js';
import {
  CLOCK_SLACK_SECONDS,
  judgeOwner,
  ownTestbeds,
  type ParsedStateFile,
  parseStateFile,
  STATE_FILE_NAME,
} from './internal/state-file.js';

/** Options of {@link recoverLocalTestbeds}. */
export interface RecoverLocalTestbedsOptions {
  /**
   * A testbed `workDir` whose `testbed-<id>.json` files are examined: a testbed whose owner process is gone is torn
   * down completely, job processes included. Without it only the sweep runs.
   */
  workDir?: string;
  /** Where the cgroup filesystem is mounted (v2 root, or the folder of the v1 controller mounts); default `/sys/fs/cgroup`. */
  cgroupRoot?: string;
  /** Also sweep orphaned `proteus/tl<pid>x<n>` cgroups and namespaces that hold no process (see the README); default true. */
  sweep?: boolean;
}

/** One dead testbed that was torn down. */
export interface RecoveredTestbed {
  testbedId: string;
  /** The pid of the process that created it (from its state file, or from its generated id). */
  ownerPid: number;
  /** `state-file`: listed in `workDir`; `sweep`: a generated-id leftover found in the cgroup tree or /run/netns. */
  foundBy: 'state-file' | 'sweep';
  /** Why its owner counts as gone. */
  reason: string;
  /** Leftover job processes that were killed (state-file testbeds only; the sweep never kills). */
  killedPids: number[];
  /** Cgroup folders removed, deepest first. */
  cgroups: string[];
  namespaces: string[];
  /** Bridge and veth links removed from the host namespace. */
  links: string[];
  /** The state file removed. */
  stateFile?: string;
}

/** What {@link recoverLocalTestbeds} did. */
export interface RecoverLocalTestbedsResult {
  recovered: RecoveredTestbed[];
  /** Testbeds left alone: their owner runs, they were written on another host, or processes are still inside. */
  skipped: Array<{ testbedId: string; reason: string }>;
}

interface Target {
  testbedId: string;
  ownerPid: number;
  foundBy: 'state-file' | 'sweep';
  reason: string;
  state?: ParsedStateFile;
  stateFile?: string;
}

const DEFAULTS = { cgroupRoot: '/sys/fs/cgroup', sweep: true } as const;
/** The generated testbed id, `tl<pid>x<counter>`; `createLocalTestbed` refuses it as a user-chosen id. */
export const GENERATED_TESTBED_ID = /^tl(\d+)x(\d+)$/;
const GENERATED_NETNS = /^proteus-(tl\d+x\d+)-/;
/** How long leftover processes get to die after SIGKILL, and a busy cgroup to empty. */
const KILL_ROUNDS = 50;
const ROUND_MS = 40;

/**
 * Tears down local testbeds whose owner process died without releasing them (`kill -9`, a crash, a power cut of
 * the process): kills the job process groups still running in their cgroups, namespaces or with their
 * `PROTEUS_TESTBED` variable, moves any survivor to the hierarchy root, removes their cgroups (deepest first), network
 * namespaces, veths and bridge, and their state file. A testbed's owner counts as alive only while its pid runs with
 * the recorded start time in the same boot, so a reused pid is not mistaken for it. Then sweeps orphaned
 * `proteus/tl<pid>x<n>` cgroups and `proteus-tl<pid>x<n>-*` namespaces that no state file names, under the rule in
 * the README (generated id, owner pid gone or younger than the folders, no process inside); it never touches a live
 * testbed of any process, ids a user chose, the shared `proteus` folder, or the injector's cgroups and namespaces.
 * `createLocalTestbed(...).provision()` runs it for its own `workDir` first.
 *
 * @example
 * const { recovered } = await recoverLocalTestbeds({ workDir: '/tmp/tb' });
 * recovered.map((t) => `${t.testbedId}: ${t.cgroups.length} cgroups, ${t.killedPids.length} jobs killed`);
 * @throws ProteusError PROTEUS_TESTBED_LOCAL_INVALID_OPTIONS for a bad `workDir`, `cgroupRoot` or `sweep`
 * @throws ProteusError PROTEUS_TESTBED_LOCAL_RECOVERY_INCOMPLETE when something could not be read or removed (every
 *   problem in `details.problems`, what was done in `details.result`); the rest is still recovered
 */
export async function recoverLocalTestbeds(
  options: RecoverLocalTestbedsOptions = {},
): Promise<RecoverLocalTestbedsResult> {
  validate(options);
  const cgroupRoot = resolve(options.cgroupRoot ?? DEFAULTS.cgroupRoot);
  const problems: string[] = [];
  const result: RecoverLocalTestbedsResult = { recovered: [], skipped: [] };
  const keep = new Set<string>(ownTestbeds);
  const targets: Target[] = [];
  const hierarchies = findProteusHierarchies(cgroupRoot);

  if (options.workDir !== undefined) {
    const folder = resolve(options.workDir);
    for (const name of listFiles(folder, problems).sort()) {
      const testbedId = STATE_FILE_NAME.exec(name)?.[1];
      if (testbedId === undefined || ownTestbeds.has(testbedId)) continue;
      const file = join(folder, name);
      let text: string;
      let modified: number;
      try {
        text = readFileSync(file, 'utf8');
        modified = statSync(file).mtimeMs / 1000;
      } catch (error) {
        // Released by its owner between the listing and the read.
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') problems.push(`${file}: ${(error as Error).message}`);
        continue;
      }
      const state = parseStateFile(text, file, problems);
      if (state === undefined) continue;
      if (state.testbedId !== testbedId) {
        problems.push(`${file}: names testbed "${state.testbedId}", not "${testbedId}"; fix or remove the file`);
        continue;
      }
      const verdict = judgeOwner(state, modified);
      if (verdict.alive !== false) {
        keep.add(testbedId);
        result.skipped.push({ testbedId, reason: verdict.reason });
        continue;
      }
      targets.push({
        testbedId,
        ownerPid: state.pid,
        foundBy: 'state-file',
        reason: verdict.reason,
        state,
        stateFile: file,
      });
    }
  }

  if (options.sweep ?? DEFAULTS.sweep) {
    const ids = new Set<string>();
    for (const hierarchy of hierarchies) {
      for (const name of listFolders(join(hierarchy, 'proteus'))) if (GENERATED_TESTBED_ID.test(name)) ids.add(name);
    }
    for (const name of listNamespaceFiles()) {
      const id = GENERATED_NETNS.exec(name)?.[1];
      if (id !== undefined) ids.add(id);
    }
    for (const testbedId of [...ids].sort()) {
      if (keep.has(testbedId) || ownTestbeds.has(testbedId) || targets.some((t) => t.testbedId === testbedId)) continue;
      const verdict = judgeSweepCandidate(testbedId, hierarchies);
      if (verdict.orphan) targets.push({ testbedId, ownerPid: verdict.pid, foundBy: 'sweep', reason: verdict.reason });
      else result.skipped.push({ testbedId, reason: verdict.reason });
    }
  }

  for (const target of targets) result.recovered.push(await tearDown(target, hierarchies, problems));

  if (problems.length > 0) {
    throw new ProteusError(
      'PROTEUS_TESTBED_LOCAL_RECOVERY_INCOMPLETE',
      `testbed-local/recoverLocalTestbeds: ${problems.length} problem${problems.length === 1 ? '' : 's'} while recovering crashed testbeds: ${problems.join('; ')}. Removing cgroups and namespaces needs root; run it again as root or remove them by hand.`,
      { details: { problems, result } },
    );
  }
  return result;
}

/**
 * The sweep's rule for a generated id found in the cgroup tree or /run/netns: orphaned when the pid in its name no
 * longer runs, or runs but started after the newest of the id's folders and namespaces was made (so that process
 * cannot have made them: the pid was reused), and no process is inside any of them.
 */
function judgeSweepCandidate(
  testbedId: string,
  hierarchies: string[],
): { orphan: true; pid: number; reason: string } | { orphan: false; reason: string } {
  const pid = Number(GENERATED_TESTBED_ID.exec(testbedId)?.[1]);
  const folders = hierarchies.flatMap((hierarchy) => cgroupSubtree(join(hierarchy, 'proteus', testbedId)));
  const namespaces = findNetwork(testbedId).namespaces.map((name) => `/run/netns/${name}`);
  const newest = Math.max(0, ...[...folders, ...namespaces].map(modifiedSeconds));
  const stat = readProcessStat(pid);
  if (isRunning(stat) && startedAtSeconds(stat) <= newest + CLOCK_SLACK_SECONDS) {
    return { orphan: false, reason: `owner pid ${pid} is alive` };
  }
  const inside = [...new Set([...folders.flatMap(cgroupPids), ...namespaces.flatMap(pidsInNetns)])];
  if (inside.length > 0) {
    return {
      orphan: false,
      reason: `owner pid ${pid} is gone but ${inside.length} processes are still inside (pids ${inside.slice(0, 10).join(', ')}); the sweep never kills: recover it through its state file ({ workDir }) or kill them`,
    };
  }
  return {
    orphan: true,
    pid,
    reason: isRunning(stat)
      ? `pid ${pid} was reused (it started after the testbed's cgroups and namespaces were made)`
      : `owner pid ${pid} is gone`,
  };
}

async function tearDown(target: Target, hierarchies: string[], problems: string[]): Promise<RecoveredTestbed> {
  const { testbedId, state } = target;
  const before = problems.length;
  const marker = `/proteus/${testbedId}`;
  const recorded = (state?.cgroups ?? [])
    .map((folder) => resolve(folder))
    .filter((folder) => isTestbedFolder(folder, marker));
  const folders = [
    ...new Set([...hierarchies.map((h) => join(h, 'proteus', testbedId)), ...recorded].flatMap(cgroupSubtree)),
  ].sort((a, b) => b.split('/').length - a.split('/').length);
  const network = mergeNetwork(testbedId, findNetwork(testbedId), state?.network);
  const namespaces = network.namespaces.map((name) => `/run/netns/${name}`);
  const recovered: RecoveredTestbed = {
    testbedId,
    ownerPid: target.ownerPid,
    foundBy: target.foundBy,
    reason: target.reason,
    killedPids: [],
    cgroups: [],
    namespaces: network.namespaces.filter((name) => exists(`/run/netns/${name}`)),
    links: [...network.links, ...network.bridges].filter((name) => exists(`/sys/class/net/${name}`)),
  };

  if (target.foundBy === 'state-file') {
    recovered.killedPids = await killLeftovers(testbedId, folders, namespaces);
  }
  // A process that would not die (stuck in the kernel) is moved out so the folder can go.
  for (const folder of folders) {
    const root = folder.slice(0, folder.lastIndexOf(marker));
    for (const pid of cgroupPids(folder)) {
      try {
        writeFileSync(join(root, 'cgroup.procs'), String(pid));
      } catch (error) {
        problems.push(`cannot move pid ${pid} out of ${folder}: ${(error as Error).message}`);
      }
    }
  }
  for (const folder of folders) {
    const removed = await removeFolder(folder, problems);
    if (removed) recovered.cgroups.push(folder);
  }
  problems.push(...removeNetwork({ ...network }));
  if (target.stateFile !== undefined && problems.length === before) {
    rmSync(target.stateFile, { force: true });
    recovered.stateFile = target.stateFile;
  }
  return recovered;
}

/**
 * SIGKILLs the testbed's leftover processes: those in its cgroups or namespaces and those carrying its
 * `PROTEUS_TESTBED` variable. Jobs run in process groups of their own, so a whole group is killed when its leader
 * is one of them or gone; never this process's own group, never pid 1.
 */
async function killLeftovers(testbedId: string, folders: string[], namespaces: string[]): Promise<number[]> {
  const ownGroup = readProcessStat(process.pid)?.pgid;
  const killed = new Set<number>();
  for (let round = 0; round < KILL_ROUNDS; round++) {
    const found = new Set([
      ...folders.flatMap(cgroupPids),
      ...namespaces.flatMap(pidsInNetns),
      ...pidsOfTestbed(testbedId),
    ]);
    found.delete(process.pid);
    found.delete(1);
    const alive = [...found].map(readProcessStat).filter(isRunning);
    if (alive.length === 0) break;
    for (const stat of alive) {
      const leader = stat.pgid;
      const wholeGroup =
        leader > 1 &&
        leader !== ownGroup &&
        (leader === stat.pid || found.has(leader) || !isRunning(readProcessStat(leader)));
      try {
        process.kill(wholeGroup ? -leader : stat.pid, 'SIGKILL');
      } catch {
        try {
          process.kill(stat.pid, 'SIGKILL');
        } catch {
          // Gone meanwhile.
        }
      }
      killed.add(stat.pid);
    }
    await delay(ROUND_MS);
  }
  return [...killed].sort((a, b) => a - b);
}

async function removeFolder(folder: string, problems: string[]): Promise<boolean> {
  for (let round = 0; ; round++) {
    try {
      rmdirSync(folder);
      return true;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return false;
      // A killed process leaves the cgroup once its parent (init, for orphans) has reaped it.
      if (code === 'EBUSY' && round < KILL_ROUNDS) {
        await delay(ROUND_MS);
        continue;
      }
      problems.push(`cannot remove cgroup ${folder}: ${code ?? (error as Error).message}`);
      return false;
    }
  }
}

/** Names found now plus names the state file recorded, limited to what this testbed's naming can produce. */
function mergeNetwork(testbedId: string, found: NetworkTracker, recorded: NetworkTracker | undefined): NetworkTracker {
  const tag = networkTag(testbedId);
  const ours = (names: string[] | undefined, test: (name: string) => boolean): string[] => (names ?? []).filter(test);
  return {
    namespaces: [
      ...new Set([...found.namespaces, ...ours(recorded?.namespaces, (n) => n.startsWith(`proteus-${testbedId}-`))]),
    ],
    links: [...new Set([...found.links, ...ours(recorded?.links, (n) => new RegExp(`^pt${tag}[hn]\\d+$`).test(n))])],
    bridges: [...new Set([...found.bridges, ...ours(recorded?.bridges, (n) => n === `ptb${tag}`)])],
  };
}

/** True for `<hierarchy>/proteus/<testbedId>` and below: a tampered state file cannot point the removal elsewhere. */
function isTestbedFolder(folder: string, marker: string): boolean {
  return folder.endsWith(marker) || folder.includes(`${marker}/`);
}

function listFiles(folder: string, problems: string[]): string[] {
  try {
    return readdirSync(folder);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT') problems.push(`cannot list ${folder}: ${code ?? (error as Error).message}`);
    return [];
  }
}

/** /run/netns holds bind-mounted files, not folders. */
function listNamespaceFiles(): string[] {
  try {
    return readdirSync('/run/netns');
  } catch {
    return [];
  }
}

function modifiedSeconds(path: string): number {
  try {
    return statSync(path).mtimeMs / 1000;
  } catch {
    return 0;
  }
}

function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}

function validate(options: RecoverLocalTestbedsOptions): void {
  const problems: string[] = [];
  if (options.workDir !== undefined && (typeof options.workDir !== 'string' || options.workDir === '')) {
    problems.push(`workDir must be a folder path (got ${JSON.stringify(options.workDir)})`);
  }
  if (options.cgroupRoot !== undefined && (typeof options.cgroupRoot !== 'string' || !isAbsolute(options.cgroupRoot))) {
    problems.push(
      `cgroupRoot must be an absolute path such as /sys/fs/cgroup (got ${JSON.stringify(options.cgroupRoot)})`,
    );
  }
  if (options.sweep !== undefined && typeof options.sweep !== 'boolean') {
    problems.push(`sweep must be true or false (got ${JSON.stringify(options.sweep)})`);
  }
  if (problems.length > 0) {
    throw new ProteusError(
      'PROTEUS_TESTBED_LOCAL_INVALID_OPTIONS',
      `testbed-local/recoverLocalTestbeds: ${problems.join('; ')}`,
      { details: { problems } },
    );
  }
}
