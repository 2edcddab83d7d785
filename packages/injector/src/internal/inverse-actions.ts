import { constants } from 'node:fs';
import { access, lstat, mkdir, open, readdir, readFile, realpath, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import type { CommandRunner } from '@proteus-wf/core';
import { validateAnomaly } from '../anomaly-spec.js';
import type { CgroupKnob, InverseAction, LedgerEntry } from '../ledger.js';
import { LEDGER_VERSION } from '../ledger.js';
import { INTERFACE_NAME, parseTarget, type Target } from '../targets.js';
import { detectCgroupLayout } from './cgroup.js';
import { nftTableName } from './network.js';
import { isProcessAlive, killStressor, MARKER_VARIABLE, REMOTE_SWEEP } from './proc.js';

/** Ids the injector makes (`Date.now()` in base 36 plus 8 hex digits); markers, table and folder names derive from it. */
export const ANOMALY_ID = /^[0-9a-z]{8,32}$/;

/** The first segment of every cgroup the injector touches: the testbeds' `proteus/<testbedId>/<worker>` naming. */
export const CGROUP_NAMESPACE = 'proteus';

/** The file that marks a stressor scratch folder as ours; it holds the anomaly id. */
export const SCRATCH_MARKER = '.proteus-scratch';

/** Where `ip netns add` puts its namespaces. */
const NETNS_DIR = '/run/netns';

const KNOB_VALUE: Record<CgroupKnob, RegExp> = {
  'cpu.cfs_quota_us': /^(-1|\d{1,15})$/,
  'cpu.max': /^(max|\d{1,15}) \d{1,9}$/,
  'cpuset.cpus': /^$|^\d{1,5}(-\d{1,5})?(,\d{1,5}(-\d{1,5})?){0,255}$/,
  'blkio.throttle.read_bps_device': /^\d{1,5}:\d{1,7} \d{1,20}$/,
  'blkio.throttle.write_bps_device': /^\d{1,5}:\d{1,7} \d{1,20}$/,
  'io.max': /^\d{1,5}:\d{1,7} rbps=(max|\d{1,20}) wbps=(max|\d{1,20}) riops=(max|\d{1,20}) wiops=(max|\d{1,20})$/,
};
const CPU_LIST = KNOB_VALUE['cpuset.cpus'];
const KNOB_CONTROLLER: Record<CgroupKnob, { controller: 'cpu' | 'cpuset' | 'io'; version?: 1 | 2 }> = {
  'cpu.cfs_quota_us': { controller: 'cpu', version: 1 },
  'cpu.max': { controller: 'cpu', version: 2 },
  'cpuset.cpus': { controller: 'cpuset' },
  'blkio.throttle.read_bps_device': { controller: 'io', version: 1 },
  'blkio.throttle.write_bps_device': { controller: 'io', version: 1 },
  'io.max': { controller: 'io', version: 2 },
};

/** The fields each action kind has, exactly: an unknown field is a sign of a hand-made line. */
const FIELDS: Record<InverseAction['kind'], { required: string[]; optional: string[] }> = {
  'cgroup-knob': { required: ['knob', 'value'], optional: [] },
  'nft-table': { required: ['table'], optional: [] },
  qdisc: { required: ['device', 'qdisc'], optional: [] },
  'docker-cpu': { required: ['cpusetCpus', 'cpus'], optional: [] },
  'process-group': { required: [], optional: ['pid', 'startTime'] },
  'scratch-dir': { required: ['path'], optional: [] },
};

/** Why `recover` refuses an entry: its code and a message that says what to check by hand. */
export interface Refusal {
  code: 'PROTEUS_INJECTOR_LEDGER_LEGACY' | 'PROTEUS_INJECTOR_LEDGER_REJECTED' | 'PROTEUS_INJECTOR_LEDGER_TARGET_GONE';
  reason: string;
}

/** Where the actions of one entry apply. */
export interface InverseContext {
  id: string;
  target: Target;
  runner: () => CommandRunner;
  cgroupRoot: string;
}

/**
 * Checks a ledger entry before `recover` acts on it: the format version, the id, the target, the spec, and each
 * inverse action against the kinds the injector applies on that target and spec, with names derived from the id.
 * Returns the refusal, or undefined when every action may run. Nothing is executed or written.
 */
export async function checkEntry(entry: LedgerEntry): Promise<Refusal | undefined> {
  const raw = entry as unknown as Record<string, unknown>;
  if (raw.version !== LEDGER_VERSION) {
    return {
      code: 'PROTEUS_INJECTOR_LEDGER_LEGACY',
      reason: `written in ledger format ${JSON.stringify(raw.version)}, whose undo steps are free commands and paths; recover runs only format ${LEDGER_VERSION}. Check by hand what it changed on ${JSON.stringify(raw.target)} (${describeLegacy(raw.inverse)}), undo what is still there, then start a new ledger.`,
    };
  }
  const problems: string[] = [];
  if (typeof entry.id !== 'string' || !ANOMALY_ID.test(entry.id)) problems.push('the id is not one the injector makes');
  let target: Target | undefined;
  try {
    target = parseTarget(String(entry.target));
  } catch {
    problems.push('the target is not a valid target');
  }
  let specKind: string | undefined;
  try {
    specKind = validateAnomaly(entry.spec).kind;
  } catch {
    problems.push('the spec is not a valid anomaly');
  }
  const owner = entry.owner as unknown as Record<string, unknown> | undefined;
  if (
    typeof owner !== 'object' ||
    owner === null ||
    !Number.isInteger(owner.pid) ||
    typeof owner.startTime !== 'string' ||
    typeof owner.hostname !== 'string'
  ) {
    problems.push('the owner is malformed');
  }
  if (!Array.isArray(entry.inverse) || entry.inverse.length > 16) {
    problems.push('the inverse is not a list of at most 16 actions');
  }
  if (problems.length > 0 || !target || !specKind) return rejected(problems);
  for (const [index, action] of entry.inverse.entries()) {
    const problem = checkAction(action, entry.id, target, specKind, entry.spec);
    if (problem) problems.push(`action ${index + 1}: ${problem}`);
  }
  if (problems.length > 0) return rejected(problems);
  // What only the machine can tell: the namespace still exists, and a scratch folder is really ours.
  const usesNetns = entry.inverse.some((a) => a.kind === 'nft-table' || a.kind === 'qdisc');
  if (target.kind === 'netns' && usesNetns && !(await exists(join(NETNS_DIR, target.name)))) {
    return {
      code: 'PROTEUS_INJECTOR_LEDGER_TARGET_GONE',
      reason: `network namespace ${target.name} does not exist (any nft table or qdisc in it went with it). If you deleted it, nothing is left to undo; otherwise check \`ip netns list\`.`,
    };
  }
  for (const action of entry.inverse) {
    if (action.kind === 'scratch-dir' && target.kind !== 'ssh') {
      const problem = await checkScratchDir(action.path, entry.id);
      if (problem) return rejected([problem]);
    }
  }
  return undefined;
}

function checkAction(
  action: unknown,
  id: string,
  target: Target,
  specKind: string,
  spec: LedgerEntry['spec'],
): string | undefined {
  if (typeof action !== 'object' || action === null || Array.isArray(action)) return 'not an object';
  const a = action as Record<string, unknown>;
  const kind = a.kind as InverseAction['kind'];
  const fields = Object.hasOwn(FIELDS, String(kind)) ? FIELDS[kind] : undefined;
  if (!fields) return `unknown kind ${String(JSON.stringify(a.kind)).slice(0, 40)}`;
  for (const key of Object.keys(a)) {
    if (key !== 'kind' && !fields.required.includes(key) && !fields.optional.includes(key)) {
      return `unknown field ${String(JSON.stringify(key)).slice(0, 40)} in a ${kind} action`;
    }
  }
  for (const key of fields.required) if (a[key] === undefined) return `a ${kind} action needs "${key}"`;
  const onTarget = (kinds: Target['kind'][], specs: string[]) =>
    kinds.includes(target.kind) && specs.includes(specKind)
      ? undefined
      : `the injector never undoes a ${kind} for a ${specKind} anomaly on a ${target.kind} target`;
  switch (kind) {
    case 'cgroup-knob': {
      const wrong = onTarget(['cgroup'], ['cpu', 'disk']);
      if (wrong) return wrong;
      const path = (target as { path: string }).path;
      if (path.split('/')[0] !== CGROUP_NAMESPACE || !path.includes('/')) {
        return `cgroup ${path} is not under ${CGROUP_NAMESPACE}/ (the injector touches only its own cgroups)`;
      }
      const knob = a.knob as CgroupKnob;
      if (typeof knob !== 'string' || !Object.hasOwn(KNOB_VALUE, knob)) return 'not a knob the injector changes';
      if (typeof a.value !== 'string' || !KNOB_VALUE[knob].test(a.value)) return `not a ${knob} value`;
      return undefined;
    }
    case 'nft-table':
      return (
        onTarget(['local', 'netns', 'ssh'], ['network']) ??
        (a.table === nftTableName(id) ? undefined : `the table of anomaly ${id} is ${nftTableName(id)}`)
      );
    case 'qdisc': {
      const wrong = onTarget(['local', 'netns', 'ssh'], ['network']);
      if (wrong) return wrong;
      if (typeof a.device !== 'string' || !INTERFACE_NAME.test(a.device)) return 'not an interface name';
      const only = spec.kind === 'network' ? spec.interface : undefined;
      if (only !== undefined && a.device !== only) return `the anomaly impairs ${only} only`;
      return a.qdisc === 'netem' || a.qdisc === 'tbf' ? undefined : 'the injector adds netem or tbf only';
    }
    case 'docker-cpu': {
      const wrong = onTarget(['docker'], ['cpu']);
      if (wrong) return wrong;
      if (typeof a.cpusetCpus !== 'string' || a.cpusetCpus === '' || !CPU_LIST.test(a.cpusetCpus)) {
        return 'not a CPU list';
      }
      const cpus = a.cpus;
      return typeof cpus === 'number' && Number.isFinite(cpus) && cpus >= 0 && cpus <= 4096
        ? undefined
        : 'not a CPU count';
    }
    case 'process-group': {
      const wrong = onTarget(['local', 'cgroup', 'netns', 'ssh'], ['stress']);
      if (wrong) return wrong;
      if (a.pid === undefined && a.startTime === undefined) return undefined;
      if (target.kind === 'ssh') return 'a remote stressor is found by its marker only';
      const pid = a.pid;
      if (typeof pid !== 'number' || !Number.isInteger(pid) || pid < 2 || pid > 4_194_304) return 'not a pid';
      return typeof a.startTime === 'string' && /^\d{1,20}$/.test(a.startTime)
        ? undefined
        : 'a pid needs its start time';
    }
    case 'scratch-dir': {
      const wrong = onTarget(['local', 'cgroup', 'netns', 'ssh'], ['stress']);
      if (wrong) return wrong;
      const path = a.path;
      if (typeof path !== 'string') return 'not a path';
      if (target.kind === 'ssh') {
        return path === remoteScratchDir(id)
          ? undefined
          : `the remote scratch folder of ${id} is ${remoteScratchDir(id)}`;
      }
      if (!isAbsolute(path) || resolve(path) !== path || basename(path) !== scratchDirName(id)) {
        return `a scratch folder of anomaly ${id} is an absolute, normalized path ending in ${scratchDirName(id)}`;
      }
      return undefined;
    }
  }
}

async function checkScratchDir(path: string, id: string): Promise<string | undefined> {
  let info: Awaited<ReturnType<typeof lstat>>;
  try {
    info = await lstat(path);
  } catch {
    return undefined;
  }
  if (!info.isDirectory()) return `${path} is not a folder`;
  if ((await realpath(path).catch(() => '')) !== path) return `${path} goes through a symbolic link`;
  const marker = await readFile(join(path, SCRATCH_MARKER), 'utf8').catch(() => undefined);
  if (marker !== id) return `${path} has no ${SCRATCH_MARKER} naming ${id}: not a scratch folder the injector made`;
  return undefined;
}

/** The folder name of an anomaly's stressor scratch files. */
export function scratchDirName(id: string): string {
  return `proteus-stress-${id}`;
}

/** Where a scratch folder is built before it is renamed into place, marker included. */
function stagingDirName(id: string): string {
  return `.${scratchDirName(id)}.staging`;
}

/**
 * Creates `<root>/proteus-stress-<id>` with its marker in one step: the folder is built under a staging name and
 * renamed into place, so a process killed half-way never leaves a scratch folder without its marker (which `recover`
 * would rightly refuse to touch, leaving the anomaly pending forever). Returns the folder's path.
 */
export async function createScratchDir(root: string, id: string): Promise<string> {
  const scratch = join(root, scratchDirName(id));
  const staging = join(root, stagingDirName(id));
  await mkdir(root, { recursive: true });
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging);
  await writeFile(join(staging, SCRATCH_MARKER), id);
  await rename(staging, scratch);
  return scratch;
}

/** Removes a staging folder a killed process left: only a real folder holding nothing but (part of) its marker. */
async function removeStagingDir(path: string): Promise<void> {
  const info = await lstat(path).catch(() => undefined);
  if (!info?.isDirectory()) return;
  const names = await readdir(path);
  if (names.every((name) => name === SCRATCH_MARKER)) await rm(path, { recursive: true, force: true });
}

/** The scratch folder of a stressor on an ssh target. */
export function remoteScratchDir(id: string): string {
  return `/tmp/${scratchDirName(id)}`;
}

/**
 * Runs inverse actions in order, continuing past failures so that one stuck piece does not leave the others
 * behind. Returns the failures (empty when everything is undone). Every action is idempotent.
 */
export async function runInverse(actions: readonly InverseAction[], context: InverseContext): Promise<string[]> {
  const errors: string[] = [];
  for (const action of actions) {
    try {
      await runOne(action, context);
    } catch (error) {
      errors.push(`${describeAction(action, context)}: ${(error as Error).message}`);
    }
  }
  return errors;
}

async function runOne(action: InverseAction, context: InverseContext): Promise<void> {
  const { id, target } = context;
  switch (action.kind) {
    case 'cgroup-knob': {
      if (target.kind !== 'cgroup') throw new Error('not a cgroup target');
      await writeCgroupKnob(context.cgroupRoot, target.path, action.knob, action.value);
      return;
    }
    case 'nft-table':
      await runIgnoring(
        context.runner(),
        'nft',
        ['delete', 'table', 'inet', nftTableName(id)],
        /No such file or directory/,
      );
      return;
    case 'qdisc': {
      const runner = context.runner();
      const shown = await runner.run('tc', ['qdisc', 'show', 'dev', action.device, 'root'], { allowFailure: true });
      if (shown.exitCode !== 0) {
        if (/Cannot find device|does not exist/.test(shown.stderr)) return;
        throw new Error(`tc qdisc show exited with ${shown.exitCode}: ${shown.stderr.trim().slice(-300)}`);
      }
      const current = /^qdisc (\S+) (\S+)/.exec(shown.stdout.trim());
      // The default qdisc (handle 0:) means ours is gone; a configured one of another kind is someone else's.
      if (!current || current[2] === '0:') return;
      if (current[1] !== action.qdisc) {
        throw new Error(
          `the root qdisc of ${action.device} is now ${current[1]} ${current[2]}, not our ${action.qdisc}`,
        );
      }
      await runIgnoring(
        runner,
        'tc',
        ['qdisc', 'del', 'dev', action.device, 'root'],
        /No such file or directory|Cannot delete qdisc with handle of zero|Cannot find device|does not exist/,
      );
      return;
    }
    case 'docker-cpu': {
      if (target.kind !== 'docker') throw new Error('not a docker target');
      const args = ['update', `--cpuset-cpus=${action.cpusetCpus}`, `--cpus=${action.cpus}`, '--', target.container];
      await runIgnoring(context.runner(), 'docker', args, /No such container/);
      return;
    }
    case 'process-group': {
      if (target.kind === 'ssh') {
        await context.runner().run('sh', ['-c', REMOTE_SWEEP, 'sh', id]);
        return;
      }
      const pid =
        action.pid !== undefined && (await isMarkedProcess(action.pid, action.startTime, id)) ? action.pid : undefined;
      const left = await killStressor(id, pid, action.startTime);
      if (left.length > 0) throw new Error(`processes ${left.join(', ')} survived SIGKILL`);
      return;
    }
    case 'scratch-dir': {
      if (target.kind === 'ssh') {
        await context.runner().run('rm', ['-rf', '--', remoteScratchDir(id)]);
        return;
      }
      const problem = await checkScratchDir(action.path, id);
      if (problem) throw new Error(problem);
      await rm(action.path, { recursive: true, force: true });
      await removeStagingDir(join(dirname(action.path), stagingDirName(id)));
      return;
    }
  }
}

/** Writes a knob of a cgroup under the controller's mount: never creates a file, never follows a link out. */
async function writeCgroupKnob(cgroupRoot: string, cgroup: string, knob: CgroupKnob, value: string): Promise<void> {
  const layout = await detectCgroupLayout(cgroupRoot);
  const { controller, version } = KNOB_CONTROLLER[knob];
  const mount = layout[controller];
  if (!mount || (version !== undefined && version !== layout.version)) {
    throw new Error(`${knob} does not exist in this machine's cgroup v${layout.version} hierarchy`);
  }
  const dir = join(mount, cgroup);
  let real: string;
  try {
    real = await realpath(dir);
  } catch (error) {
    // The cgroup itself is gone: nothing is left to undo there.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  if (real !== join(await realpath(mount), cgroup)) throw new Error(`${dir} leads outside ${mount}`);
  // As writeFile does, minus O_CREAT (a knob that is not there is not created) and plus O_NOFOLLOW.
  const handle = await open(join(real, knob), constants.O_WRONLY | constants.O_TRUNC | constants.O_NOFOLLOW).catch(
    (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw error;
    },
  );
  if (!handle) return;
  try {
    await handle.write(value);
  } finally {
    await handle.close();
  }
}

async function isMarkedProcess(pid: number, startTime: string | undefined, id: string): Promise<boolean> {
  if (startTime === undefined || !(await isProcessAlive(pid, startTime))) return false;
  const environ = await readFile(`/proc/${pid}/environ`).catch(() => Buffer.alloc(0));
  return `\0${environ.toString('latin1')}`.includes(`\0${MARKER_VARIABLE}=${id}\0`);
}

async function runIgnoring(runner: CommandRunner, file: string, args: string[], gone: RegExp): Promise<void> {
  const result = await runner.run(file, args, { allowFailure: true });
  if (result.exitCode === 0 || gone.test(result.stderr)) return;
  throw new Error(`${file} exited with ${result.exitCode}: ${result.stderr.trim().slice(-300)}`);
}

/** One line naming what an action puts back. */
export function describeAction(action: InverseAction, context: Pick<InverseContext, 'id' | 'target'>): string {
  switch (action.kind) {
    case 'cgroup-knob':
      return `write ${JSON.stringify(action.value)} to ${action.knob} of ${context.target.kind === 'cgroup' ? context.target.path : '?'}`;
    case 'nft-table':
      return `delete nft table inet ${action.table}`;
    case 'qdisc':
      return `delete ${action.qdisc} root qdisc of ${action.device}`;
    case 'docker-cpu':
      return `docker update --cpuset-cpus=${action.cpusetCpus} --cpus=${action.cpus}`;
    case 'process-group':
      return `kill stressor ${context.id}${action.pid ? ` (pid ${action.pid})` : ''}`;
    case 'scratch-dir':
      return `remove ${action.path}`;
  }
}

function describeLegacy(inverse: unknown): string {
  if (!Array.isArray(inverse) || inverse.length === 0) return 'no undo steps recorded';
  return inverse
    .slice(0, 8)
    .map((step) => String(JSON.stringify(step)).slice(0, 160))
    .join('; ');
}

function rejected(problems: string[]): Refusal {
  return {
    code: 'PROTEUS_INJECTOR_LEDGER_REJECTED',
    reason: `not an entry this injector wrote (${problems.slice(0, 4).join('; ')}); nothing of it was run. If you did not edit the ledger, find out who did.`,
  };
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
