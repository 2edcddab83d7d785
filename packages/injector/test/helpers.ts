import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';

/** Facilities of this machine, with the reason a test skips when one is missing. */
export const isRoot = process.getuid?.() === 0;
export const cgroupV1 =
  existsSync('/sys/fs/cgroup/cpu/cpu.cfs_quota_us') &&
  existsSync('/sys/fs/cgroup/cpuset/cpuset.cpus') &&
  existsSync('/sys/fs/cgroup/blkio/blkio.throttle.write_bps_device');

export async function hasCommand(file: string, args: string[]): Promise<boolean> {
  try {
    return (await execa(file, args, { reject: false })).exitCode === 0;
  } catch {
    return false;
  }
}

/** Prints why a test is skipped (vitest shows only that it skipped). */
export function skipReason(skip: boolean, reason: string): boolean {
  if (skip) console.log(`[injector tests] skipped: ${reason}`);
  return skip;
}

const CONTROLLERS = ['cpu', 'cpuset', 'blkio'] as const;

/** A worker cgroup `proteus/<testbedId>/<worker>` in the v1 cpu, cpuset and blkio controllers (the testbed convention). */
export async function createWorkerCgroup(
  worker = 'w1',
): Promise<{ path: string; target: string; dispose: () => Promise<void> }> {
  const testbedId = `test-${randomBytes(4).toString('hex')}`;
  const relative = `proteus/${testbedId}/${worker}`;
  const root = '/sys/fs/cgroup';
  for (const controller of CONTROLLERS) {
    let current = join(root, controller);
    for (const segment of relative.split('/')) {
      const parent = current;
      current = join(current, segment);
      if (!existsSync(current)) {
        await mkdir(current);
        if (controller === 'cpuset') {
          // v1 cpusets start empty; inherit the parent's.
          await writeFile(join(current, 'cpuset.cpus'), (await readFile(join(parent, 'cpuset.cpus'), 'utf8')).trim());
          await writeFile(join(current, 'cpuset.mems'), (await readFile(join(parent, 'cpuset.mems'), 'utf8')).trim());
        }
      }
    }
  }
  return {
    path: relative,
    target: `cgroup:${relative}`,
    dispose: async () => {
      for (const controller of CONTROLLERS) {
        for (const dir of [relative, `proteus/${testbedId}`]) {
          const full = join(root, controller, dir);
          const procs = await readFile(join(full, 'cgroup.procs'), 'utf8').catch(() => '');
          for (const pid of procs.split('\n').filter(Boolean)) {
            await writeFile(join(root, controller, 'cgroup.procs'), pid).catch(() => undefined);
          }
          await rmdir(full).catch(() => undefined);
        }
      }
    },
  };
}

/** Runs `program` inside the cgroup (joined before exec) and resolves with its stdout and wall time. */
export async function runInCgroup(
  path: string,
  program: string[],
): Promise<{ stdout: string; stderr: string; wallMs: number }> {
  const procs = CONTROLLERS.map((c) => join('/sys/fs/cgroup', c, path, 'cgroup.procs'));
  const script = 'while [ "$1" != "--" ]; do echo $$ > "$1" || exit 97; shift; done; shift; exec "$@"';
  const started = performance.now();
  const child = spawn('sh', ['-c', script, 'sh', ...procs, '--', ...program], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (code !== 0) throw new Error(`${program.join(' ')} exited ${code}: ${stderr}`);
  return { stdout, stderr, wallMs: performance.now() - started };
}

/** `@proteus-wf/test-utils` by path: the workspace link is not in node_modules yet (it needs an `npm install`). */
export { createTempDir } from '@proteus-wf/test-utils';

/** Two network namespaces joined by a veth pair (`10.251.<n>.1` in `a`, `.2` in `b`), deleted by `dispose`. */
export async function createVethPair(): Promise<{
  a: string;
  b: string;
  ipA: string;
  ipB: string;
  dispose: () => Promise<void>;
}> {
  const tag = randomBytes(3).toString('hex');
  const octet = parseInt(tag.slice(0, 2), 16);
  const a = `pxa-${tag}`;
  const b = `pxb-${tag}`;
  const ipA = `10.251.${octet}.1`;
  const ipB = `10.251.${octet}.2`;
  const ip = (...args: string[]) => execa('ip', args);
  await ip('netns', 'add', a);
  await ip('netns', 'add', b);
  await ip('link', 'add', `va${tag}`, 'netns', a, 'type', 'veth', 'peer', 'name', `vb${tag}`, 'netns', b);
  await ip('-n', a, 'addr', 'add', `${ipA}/30`, 'dev', `va${tag}`);
  await ip('-n', b, 'addr', 'add', `${ipB}/30`, 'dev', `vb${tag}`);
  for (const [ns, dev] of [
    [a, `va${tag}`],
    [b, `vb${tag}`],
  ] as const) {
    await ip('-n', ns, 'link', 'set', 'lo', 'up');
    await ip('-n', ns, 'link', 'set', dev, 'up');
  }
  return {
    a,
    b,
    ipA,
    ipB,
    dispose: async () => {
      await execa('ip', ['netns', 'del', a], { reject: false });
      await execa('ip', ['netns', 'del', b], { reject: false });
    },
  };
}
