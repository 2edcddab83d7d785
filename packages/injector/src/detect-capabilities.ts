import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import type { CommandRunner } from '@proteus-wf/core';
import { isProteusError } from '@proteus-wf/core';
import { resolveBlockDevice } from './internal/block-device.js';
import { DEFAULT_CGROUP_ROOT, detectCgroupLayout } from './internal/cgroup.js';
import { hasProgram } from './internal/network.js';
import { createLocalRunner } from './local-runner.js';
import { runnerForTarget } from './runner-for-target.js';
import { parseTarget } from './targets.js';

/** Whether one backend works on a target, and if not, why and how to get it. */
export interface Capability {
  available: boolean;
  reason?: string;
  fix?: string;
  /** A caveat that holds even when available (e.g. v1 blkio accounts only direct I/O). */
  note?: string;
}

/** A mechanism {@link detectCapabilities} probes; the keys of `Capabilities.backends`. */
export type BackendName =
  | 'cgroupCpu'
  | 'cgroupCpuset'
  | 'cgroupIo'
  | 'diskDevice'
  | 'stressNode'
  | 'stressNg'
  | 'tcTbf'
  | 'tcHtb'
  | 'netem'
  | 'nftLoss'
  | 'docker';

/** What {@link detectCapabilities} found on one target: privileges, cgroup version and every backend's availability. */
export interface Capabilities {
  /** The probed target string (the runner's `target`). */
  target: string;
  /** Whether commands on the target run as uid 0 (`id -u`). */
  root: boolean;
  /** The cgroup hierarchy version; absent for `ssh:` and `netns:` targets, where cgroups are not probed. */
  cgroupVersion?: 1 | 2;
  /** One entry per backend, each with `available` and, when not, the reason and the fix. */
  backends: Record<BackendName, Capability>;
}

/** Options of {@link detectCapabilities}: where to look for cgroups and which folder's disk to resolve. */
export interface DetectCapabilitiesOptions {
  /** Root of the cgroup mounts (default `/sys/fs/cgroup`); not read for `ssh:` and `netns:` targets. */
  cgroupRoot?: string;
  /** The folder whose disk `disk` anomalies throttle (default: tmpdir). */
  workDir?: string;
}

const NOT_ROOT = { reason: 'needs root (CAP_NET_ADMIN / cgroup write access)', fix: 'run as root or with sudo' };

/**
 * Probes what works on a target: cgroup controllers, the disk behind the working folder, stressors, tc qdiscs
 * (in a throw-away network namespace), nftables `numgen` and a Docker engine.
 * @example const { backends } = await detectCapabilities('local'); if (!backends.netem.available) console.log(backends.netem.reason)
 * @throws ProteusError PROTEUS_INJECTOR_TARGET_INVALID when the target string is malformed
 */
export async function detectCapabilities(
  target: string | CommandRunner,
  options: DetectCapabilitiesOptions = {},
): Promise<Capabilities> {
  const runner = typeof target === 'string' ? runnerForTarget(target) : target;
  const parsed = parseTarget(runner.target);
  const remote = parsed.kind === 'ssh';
  const uid = await runner.run('id', ['-u'], { allowFailure: true, timeoutMs: 15_000 }).catch(() => undefined);
  const root = uid?.stdout.trim() === '0';
  const backends = {} as Record<BackendName, Capability>;

  // cgroups: local targets only (cgroup:<path> names a cgroup of this machine).
  let cgroupVersion: 1 | 2 | undefined;
  if (remote || parsed.kind === 'netns') {
    const no = { available: false, reason: `cgroup limits apply to cgroup:<path> targets, not ${parsed.kind}` };
    backends.cgroupCpu = no;
    backends.cgroupCpuset = no;
    backends.cgroupIo = no;
    backends.diskDevice = no;
  } else {
    const layout = await detectCgroupLayout(options.cgroupRoot ?? DEFAULT_CGROUP_ROOT);
    cgroupVersion = layout.version;
    const controller = (dir: string | undefined, name: string): Capability => {
      if (!dir) {
        return {
          available: false,
          reason: `the ${name} controller is not mounted/enabled (cgroup v${layout.version})`,
          fix:
            layout.version === 1
              ? `mount -t cgroup -o ${name} cgroup /sys/fs/cgroup/${name}`
              : `echo +${name} > cgroup.subtree_control`,
        };
      }
      return root ? { available: true } : { available: false, ...NOT_ROOT };
    };
    backends.cgroupCpu = controller(layout.cpu, 'cpu');
    backends.cgroupCpuset = controller(layout.cpuset, 'cpuset');
    backends.cgroupIo = controller(layout.io, layout.version === 1 ? 'blkio' : 'io');
    if (layout.version === 1 && backends.cgroupIo.available) {
      backends.cgroupIo.note = 'cgroup v1 blkio throttles only direct (O_DIRECT/sync) I/O; buffered writeback escapes';
    }
    const workDir = options.workDir ?? tmpdir();
    try {
      const device = await resolveBlockDevice(workDir);
      backends.diskDevice = { available: true, note: `${workDir} is on ${device.name} (${device.majMin})` };
    } catch (error) {
      backends.diskDevice = {
        available: false,
        reason: (error as Error).message,
        fix: 'point workDir (or the spec device) at a folder on a real disk',
      };
    }
  }

  backends.stressNode = remote
    ? { available: false, reason: 'the Node stressor runs on this machine only', fix: "use { engine: 'stress-ng' }" }
    : { available: true };
  backends.stressNg = (await hasProgram(runner, 'stress-ng', ['--version']))
    ? { available: true }
    : { available: false, reason: 'stress-ng is not installed', fix: 'apt-get install stress-ng' };

  Object.assign(backends, await probeNetwork(remote ? runner : createLocalRunner(), root));
  backends.docker = await probeDocker(runner);
  return { target: runner.target, root, ...(cgroupVersion ? { cgroupVersion } : {}), backends };
}

/** tc and nft probes in a throw-away namespace, so that nothing the target uses is touched. */
async function probeNetwork(
  runner: CommandRunner,
  root: boolean,
): Promise<Pick<Capabilities['backends'], 'tcTbf' | 'tcHtb' | 'netem' | 'nftLoss'>> {
  const all = (capability: Capability) => ({
    tcTbf: capability,
    tcHtb: capability,
    netem: capability,
    nftLoss: capability,
  });
  if (!root) return all({ available: false, ...NOT_ROOT });
  if (!(await hasProgram(runner, 'ip', ['-V']))) {
    return all({ available: false, reason: 'ip (iproute2) is not installed', fix: 'apt-get install iproute2' });
  }
  const hasTc = await hasProgram(runner, 'tc', ['-V']);
  const hasNft = await hasProgram(runner, 'nft', ['--version']);
  const namespace = `proteus-probe-${randomBytes(4).toString('hex')}`;
  const made = await runner.run('ip', ['netns', 'add', namespace], { allowFailure: true });
  if (made.exitCode !== 0) {
    return all({
      available: false,
      reason: `cannot create a network namespace: ${made.stderr.trim()}`,
      fix: 'run as root',
    });
  }
  try {
    const inNs = (file: string, args: string[], input?: string) =>
      runner.run('ip', ['netns', 'exec', namespace, file, ...args], {
        allowFailure: true,
        ...(input === undefined ? {} : { input }),
      });
    const qdisc = async (kind: string, args: string[], module: string): Promise<Capability> => {
      if (!hasTc)
        return { available: false, reason: 'tc (iproute2) is not installed', fix: 'apt-get install iproute2' };
      const added = await inNs('tc', ['qdisc', 'add', 'dev', 'lo', 'root', ...args]);
      if (added.exitCode !== 0) {
        return {
          available: false,
          reason: `the kernel has no ${kind} qdisc (${added.stderr.trim()})`,
          fix: `modprobe ${module} (Debian/Ubuntu: install linux-modules-extra-$(uname -r))`,
        };
      }
      await inNs('tc', ['qdisc', 'del', 'dev', 'lo', 'root']);
      return { available: true };
    };
    const tcTbf = await qdisc('tbf', ['tbf', 'rate', '1mbit', 'burst', '32kbit', 'latency', '50ms'], 'sch_tbf');
    const tcHtb = await qdisc('htb', ['handle', '1:', 'htb'], 'sch_htb');
    const netem = await qdisc('netem', ['netem', 'loss', '1%'], 'sch_netem');
    let nftLoss: Capability;
    if (!hasNft) {
      nftLoss = { available: false, reason: 'nft (nftables) is not installed', fix: 'apt-get install nftables' };
    } else {
      const script = [
        'table inet proteus_probe {',
        '  chain input { type filter hook input priority -150; policy accept; numgen random mod 10000 < 1 counter drop; }',
        '}',
        '',
      ].join('\n');
      const loaded = await inNs('nft', ['-f', '-'], script);
      nftLoss =
        loaded.exitCode === 0
          ? { available: true }
          : {
              available: false,
              reason: `nft numgen drop rejected (${loaded.stderr.trim()})`,
              fix: 'needs kernel ≥ 4.9 with nf_tables and nft ≥ 0.7',
            };
    }
    return { tcTbf, tcHtb, netem, nftLoss };
  } finally {
    await runner.run('ip', ['netns', 'del', namespace], { allowFailure: true });
  }
}

async function probeDocker(runner: CommandRunner): Promise<Capability> {
  try {
    const result = await runner.run('docker', ['version', '--format', '{{.Server.Version}}'], {
      allowFailure: true,
      timeoutMs: 10_000,
    });
    if (result.exitCode === 0 && result.stdout.trim() !== '')
      return { available: true, note: `engine ${result.stdout.trim()}` };
    return {
      available: false,
      reason: `no Docker engine answers (${result.stderr.trim().split('\n').pop() ?? 'no output'})`,
      fix: 'start dockerd; until then planDockerFlags() gives the docker run/update flags as a plan',
    };
  } catch (error) {
    if (
      isProteusError(error, 'PROTEUS_INJECTOR_COMMAND_NOT_FOUND') ||
      isProteusError(error, 'PROTEUS_INJECTOR_COMMAND_TIMEOUT')
    ) {
      return {
        available: false,
        reason:
          error.code === 'PROTEUS_INJECTOR_COMMAND_NOT_FOUND'
            ? 'the docker CLI is not installed'
            : 'docker did not answer within 10 s',
        fix: 'install Docker; until then planDockerFlags() gives the flags as a plan',
      };
    }
    throw error;
  }
}
