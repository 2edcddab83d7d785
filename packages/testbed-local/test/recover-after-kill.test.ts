import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, rmdirSync, utimesSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalTestbed, recoverLocalTestbeds } from '../src/index.js';
import { cgroupPids, probeCgroups } from '../src/internal/cgroups.js';
import { probeNetwork } from '../src/internal/network.js';
import { isRunning, readProcessStat } from '../src/internal/proc.js';
import { bundleTestbedLocal } from './bundle.js';
import { isRoot, leftovers, writeTestWorkflow, yamlUnavailable } from './helpers.js';

const cgroups = probeCgroups();
const v1 = cgroups.ok && cgroups.host.version === 1;
const withNetwork = probeNetwork().length === 0;
const noYaml = yamlUnavailable();
const skip = !isRoot
  ? 'not running as root (the crash tests build real cgroups and namespaces)'
  : !v1
    ? `no cgroup v1 cpu/cpuset/blkio hierarchies (${cgroups.ok ? 'cgroup v2 host' : cgroups.missing.join(', ')})`
    : noYaml;
if (skip) console.warn(`testbed-local crash-recovery tests skipped: ${skip}`);
else if (!withNetwork) console.warn(`testbed-local crash-recovery tests run without namespaces: ${probeNetwork()}`);

const CPU = '/sys/fs/cgroup/cpu';
const HIERARCHIES = ['/sys/fs/cgroup/cpu', '/sys/fs/cgroup/cpuset', '/sys/fs/cgroup/blkio'];

/** The child: provisions a 2-worker cgroup testbed (namespaces when possible), starts two endless jobs, waits. */
const CHILD = `
const [bundle, workDir, yaml, runDir, network] = process.argv.slice(1);
const { createLocalTestbed } = await import(bundle);
const testbed = createLocalTestbed({ workers: 2, slotsPerWorker: 1, isolation: 'cgroup', network: network === 'yes', workDir });
const deployment = await testbed.provision();
let told = false;
testbed.runWorkflow(yaml, { runId: 'crash', workDir: runDir, onProgress: (e) => {
  if (told || e.data?.running !== 2) return;
  told = true;
  const watchdog = Number(deployment.resources.find((r) => r.kind === 'watchdog')?.id);
  console.log(JSON.stringify({ testbedId: testbed.testbedId, targets: deployment.workers.flatMap((w) => w.targets), watchdog }));
} }).catch((error) => console.error(error));
setInterval(() => {}, 1000);`;

/** Each job leaves a grandchild in its process group, as real jobs (shell pipelines, MPI launchers) do. */
const HANG = `import { spawn } from 'node:child_process';\nspawn('sleep', ['300'], { stdio: 'ignore' });\nsetInterval(() => {}, 1000);\n`;

let dir: string;
let bundle: { path: string; dispose: () => Promise<void> } | undefined;
let yaml: string;
const children: ChildProcess[] = [];

beforeAll(async () => {
  if (skip) return;
  dir = await mkdtemp(join(tmpdir(), 'proteus-recover-kill-'));
  bundle = await bundleTestbedLocal();
  yaml = await writeTestWorkflow(join(dir, 'wf'), 'hang', [
    { id: 'hang_a', script: HANG },
    { id: 'hang_b', script: HANG },
  ]);
});
afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  await bundle?.dispose();
  if (dir) await rm(dir, { recursive: true, force: true });
});

interface Started {
  child: ChildProcess;
  testbedId: string;
  targets: string[];
  /** The testbed's job watchdog, which kills the jobs when the owner dies; these tests kill it first to see recovery. */
  watchdog: number;
  /** Every process in the workers' cgroups once both jobs and their grandchildren run. */
  jobPids: number[];
  exited: Promise<unknown>;
}

async function startTestbedChild(workDir: string): Promise<Started> {
  const child = spawn(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      CHILD,
      pathToFileURL(bundle?.path as string).href,
      workDir,
      yaml,
      join(workDir, 'run'),
      withNetwork ? 'yes' : 'no',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  children.push(child);
  const exited = new Promise((resolve) => child.on('exit', resolve));
  let stderr = '';
  child.stderr?.on('data', (d) => {
    stderr += d;
  });
  const ready = await new Promise<{ testbedId: string; targets: string[]; watchdog: number }>((resolve, reject) => {
    let stdout = '';
    child.stdout?.on('data', (d: Buffer) => {
      stdout += d;
      const line = stdout.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve(JSON.parse(line));
    });
    child.on('exit', (code) => reject(new Error(`child exited ${code}: ${stderr}`)));
  });
  const workerFolders = ready.targets.filter((t) => t.startsWith('cgroup:')).map((t) => join(CPU, t.slice(7)));
  expect(workerFolders).toHaveLength(2);
  // sh wrapper + node job + sleep grandchild in each worker.
  const deadline = Date.now() + 20_000;
  while (workerFolders.some((folder) => cgroupPids(folder).length < 3)) {
    if (Date.now() > deadline) throw new Error(`jobs did not start in ${workerFolders.join(', ')}: ${stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { child, ...ready, jobPids: workerFolders.flatMap(cgroupPids), exited };
}

const running = (pid: number): boolean => isRunning(readProcessStat(pid));
const bridgeOf = (testbedId: string): string =>
  `/sys/class/net/ptb${createHash('sha1').update(testbedId).digest('hex').slice(0, 6)}`;

describe.skipIf(skip)('recoverLocalTestbeds after kill -9 (root, cgroup v1)', () => {
  it('removes every cgroup, namespace, link and job process of a SIGKILLed testbed, never those of a live one', async () => {
    const workDir = join(dir, 'tb-a');
    const started = await startTestbedChild(workDir);
    const { testbedId, jobPids } = started;
    expect(jobPids.length).toBeGreaterThanOrEqual(6);
    const before = leftovers(testbedId);
    expect(before).toHaveLength(withNetwork ? 5 : 3);
    if (withNetwork) expect(existsSync(bridgeOf(testbedId))).toBe(true);

    // The owner lives: recovery (state file and sweep alike) must not touch anything of it.
    const whileAlive = await recoverLocalTestbeds({ workDir });
    expect(whileAlive.recovered.map((t) => t.testbedId)).not.toContain(testbedId);
    expect(whileAlive.skipped).toContainEqual({ testbedId, reason: expect.stringMatching(/alive/) });
    expect(leftovers(testbedId)).toEqual(before);
    expect(jobPids.every(running)).toBe(true);
    expect(existsSync(join(workDir, `testbed-${testbedId}.json`))).toBe(true);

    // kill -9 of the owner and its watchdog (both die in an OOM kill or a kill of the session): the jobs then keep
    // running in the cgroups, and only recovery removes them.
    process.kill(started.watchdog, 'SIGKILL');
    started.child.kill('SIGKILL');
    await started.exited;
    expect(jobPids.every(running)).toBe(true);
    expect(leftovers(testbedId)).toEqual(before);

    const result = await recoverLocalTestbeds({ workDir });
    const entry = result.recovered.find((t) => t.testbedId === testbedId);
    expect(entry).toMatchObject({
      foundBy: 'state-file',
      ownerPid: started.child.pid,
      reason: expect.stringMatching(/gone/),
    });
    expect(entry?.killedPids).toEqual(expect.arrayContaining(jobPids));
    expect(entry?.namespaces).toHaveLength(withNetwork ? 2 : 0);
    expect(entry?.links.length).toBe(withNetwork ? 3 : 0);
    expect(jobPids.filter(running)).toEqual([]);
    expect(leftovers(testbedId)).toEqual([]);
    expect(existsSync(bridgeOf(testbedId))).toBe(false);
    expect(existsSync(join(workDir, `testbed-${testbedId}.json`))).toBe(false);
  }, 60_000);

  it('runs at the start of provision() for the same workDir', async () => {
    const workDir = join(dir, 'tb-b');
    const started = await startTestbedChild(workDir);
    started.child.kill('SIGKILL');
    await started.exited;
    await using testbed = createLocalTestbed({ workers: 1, isolation: 'cgroup', workDir });
    const deployment = await testbed.provision();
    expect(deployment.recovery.recovered.map((t) => t.testbedId)).toContain(started.testbedId);
    expect(started.jobPids.filter(running)).toEqual([]);
    expect(leftovers(started.testbedId)).toEqual([]);
    expect(deployment.workers[0]?.target).toBe(`cgroup:proteus/${testbed.testbedId}/worker-1`);
  }, 60_000);

  it('sweeps generated-id cgroups and namespaces of dead or reused pids that hold no process, and nothing else', async () => {
    const sleeper = spawn('sleep', ['60'], { stdio: 'ignore' });
    children.push(sleeper);
    const live = sleeper.pid as number;
    const gone = spawn('true');
    await new Promise((resolve) => gone.on('exit', resolve));
    const dead = gone.pid as number;
    const made: string[] = [];
    const make = (id: string, hierarchies = HIERARCHIES): void => {
      for (const hierarchy of hierarchies) {
        for (const folder of [join(hierarchy, 'proteus', id), join(hierarchy, 'proteus', id, 'w')]) {
          mkdirSync(folder);
          made.unshift(folder);
        }
      }
    };
    const ids = {
      orphan: `tl${dead}x901`,
      alive: `tl${live}x902`,
      reused: `tl${live}x903`,
      busy: `tl${dead}x904`,
      chosen: `test-${randomBytes(3).toString('hex')}`,
    };
    make(ids.orphan);
    make(ids.alive);
    make(ids.reused);
    make(ids.busy, [CPU]);
    make(ids.chosen, [CPU]);
    // Folders made long before the pid in their name started: that process cannot have made them.
    const past = new Date(Date.now() - 3_600_000);
    for (const hierarchy of HIERARCHIES) {
      for (const folder of [join(hierarchy, 'proteus', ids.reused, 'w'), join(hierarchy, 'proteus', ids.reused)])
        utimesSync(folder, past, past);
    }
    const squatter = spawn('sleep', ['60'], { stdio: 'ignore' });
    children.push(squatter);
    writeFileSync(join(CPU, 'proteus', ids.busy, 'w', 'cgroup.procs'), String(squatter.pid));
    const netns = `proteus-${ids.orphan}-w`;
    if (withNetwork) execFileSync('ip', ['netns', 'add', netns]);
    try {
      const result = await recoverLocalTestbeds();
      const recovered = new Map(result.recovered.map((t) => [t.testbedId, t]));
      const skipped = new Map(result.skipped.map((t) => [t.testbedId, t.reason]));
      expect(recovered.get(ids.orphan)).toMatchObject({ foundBy: 'sweep', ownerPid: dead, killedPids: [] });
      expect(recovered.get(ids.orphan)?.cgroups).toHaveLength(6);
      expect(recovered.get(ids.reused)?.reason).toMatch(/reused/);
      expect(skipped.get(ids.alive)).toMatch(/alive/);
      expect(skipped.get(ids.busy)).toMatch(/still inside/);
      expect(recovered.has(ids.chosen) || skipped.has(ids.chosen)).toBe(false);
      expect(leftovers(ids.orphan)).toEqual([]);
      expect(leftovers(ids.reused)).toEqual([]);
      expect(leftovers(ids.alive)).toHaveLength(3);
      expect(existsSync(join(CPU, 'proteus', ids.busy, 'w'))).toBe(true);
      expect(existsSync(join(CPU, 'proteus', ids.chosen, 'w'))).toBe(true);
      expect(running(squatter.pid as number)).toBe(true);
    } finally {
      squatter.kill('SIGKILL');
      sleeper.kill('SIGKILL');
      if (withNetwork && existsSync(`/run/netns/${netns}`)) execFileSync('ip', ['netns', 'del', netns]);
      for (const folder of made) {
        // The killed squatter leaves its cgroup once reaped.
        for (let i = 0; existsSync(folder) && i < 50; i++) {
          try {
            rmdirSync(folder);
          } catch {
            await new Promise((resolve) => setTimeout(resolve, 20));
          }
        }
      }
    }
  }, 30_000);
});
