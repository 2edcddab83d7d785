#!/usr/bin/env node
// Soak test of @proteus-wf/injector: N randomized apply / kill -9 / recover cycles against the BUILT package.
// Each cycle starts a child that applies 1-3 random anomalies (cgroup CPU and disk limits, Node and stress-ng
// stressors, nft loss and tbf in a network namespace) and SIGKILLs it at a random moment, sometimes in the middle
// of an apply. recoverLedger() must then leave nothing behind: no changed cgroup knob, no stressor process, no nft
// table, no qdisc, no scratch folder, no unreverted ledger entry, and no entry of its own refused by recover's checks
// of the declarative ledger. Prints one JSON line per cycle and a summary.
// Usage: npm run build && npm run soak:injector -- [--cycles 100] [--seed 7]   (root, cgroup v1 or v2, iproute2, nftables)
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, rmdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createRng } from '@proteus-wf/core';
import { readLedger, recoverLedger } from '@proteus-wf/injector';
import { execa } from 'execa';

const { values } = parseArgs({
  options: { cycles: { type: 'string', default: '100' }, seed: { type: 'string', default: '7' } },
});
const cycles = Number(values.cycles);
const rng = createRng(Number(values.seed));

if (process.getuid?.() !== 0 || !existsSync('/sys/fs/cgroup/cpu/cpu.cfs_quota_us')) {
  console.error('soak-injector: needs root and cgroup v1 cpu/cpuset/blkio (the CI machine has both)');
  process.exit(1);
}
const hasStressNg =
  (await execa('stress-ng', ['--version'], { reject: false }).catch(() => ({ exitCode: 1 }))).exitCode === 0;
const hasNft = (await execa('nft', ['--version'], { reject: false }).catch(() => ({ exitCode: 1 }))).exitCode === 0;

// One worker cgroup (the testbed convention) and one namespace with a veth end, shared by all cycles.
const tag = Math.floor(rng.float() * 0xffffff)
  .toString(16)
  .padStart(6, '0');
const cgroup = `proteus/soak-${tag}/w1`;
const controllers = ['cpu', 'cpuset', 'blkio'];
for (const controller of controllers) {
  let current = join('/sys/fs/cgroup', controller);
  for (const segment of cgroup.split('/')) {
    const parent = current;
    current = join(current, segment);
    if (existsSync(current)) continue;
    await mkdir(current);
    if (controller === 'cpuset') {
      for (const knob of ['cpuset.cpus', 'cpuset.mems'])
        await writeFile(join(current, knob), (await readFile(join(parent, knob), 'utf8')).trim());
    }
  }
}
const netns = `pxsoak-${tag}`;
const device = `vs${tag}`;
await execa('ip', ['netns', 'add', netns]);
await execa('ip', ['link', 'add', device, 'netns', netns, 'type', 'veth', 'peer', 'name', `vp${tag}`, 'netns', netns]);
await execa('ip', ['-n', netns, 'link', 'set', device, 'up']);
const work = await mkdtemp(join(tmpdir(), 'proteus-soak-'));

const knobs = [
  join('/sys/fs/cgroup/cpu', cgroup, 'cpu.cfs_quota_us'),
  join('/sys/fs/cgroup/cpuset', cgroup, 'cpuset.cpus'),
  join('/sys/fs/cgroup/blkio', cgroup, 'blkio.throttle.read_bps_device'),
  join('/sys/fs/cgroup/blkio', cgroup, 'blkio.throttle.write_bps_device'),
];
const baseline = await Promise.all(knobs.map((k) => readFile(k, 'utf8')));

const menu = [
  { target: `cgroup:${cgroup}`, spec: { kind: 'cpu', quota: 0.5 } },
  { target: `cgroup:${cgroup}`, spec: { kind: 'cpu', removeCores: 1 } },
  { target: `cgroup:${cgroup}`, spec: { kind: 'disk', writeBps: 5 * 1048576, readBps: 10 * 1048576 } },
  { target: `cgroup:${cgroup}`, spec: { kind: 'stress', engine: 'node', cpu: { workers: 1, loadPercent: 10 } } },
  { target: 'local', spec: { kind: 'stress', engine: 'node', disk: { workers: 1, bytes: 1048576 } } },
  ...(hasStressNg
    ? [
        {
          target: `cgroup:${cgroup}`,
          spec: { kind: 'stress', engine: 'stress-ng', cpu: { workers: 1, loadPercent: 10 } },
        },
      ]
    : []),
  ...(hasNft ? [{ target: `netns:${netns}`, spec: { kind: 'network', lossPercent: 5 } }] : []),
  { target: `netns:${netns}`, spec: { kind: 'network', rateMbit: 20, interface: device } },
];

const CHILD = `
const [ledgerPath, workDir, plan] = process.argv.slice(1);
const { createInjector } = await import('@proteus-wf/injector');
const injector = createInjector({ ledgerPath, workDir });
for (const { target, spec } of JSON.parse(plan)) await injector.apply(target, spec, { runId: 'soak' });
console.log('applied');
setInterval(() => {}, 1000);`;

async function leftovers(ids) {
  const found = [];
  const now = await Promise.all(knobs.map((k) => readFile(k, 'utf8')));
  for (const [i, value] of now.entries()) {
    if (value !== baseline[i]) found.push(`knob ${knobs[i]} = ${JSON.stringify(value.trim())}`);
  }
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const environ = await readFile(`/proc/${name}/environ`, 'latin1').catch(() => '');
    const stat = await readFile(`/proc/${name}/stat`, 'utf8').catch(() => '');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    const marker = /(?:^|\0)PROTEUS_ANOMALY_ID=([^\0]*)/.exec(environ)?.[1];
    if (marker && ids.has(marker) && state !== 'Z') found.push(`process ${name} of ${marker}`);
  }
  const tables = await execa('ip', ['netns', 'exec', netns, 'nft', 'list', 'tables'], { reject: false });
  for (const line of tables.stdout.split('\n')) if (line.includes('proteus_')) found.push(`nft ${line.trim()}`);
  const qdisc = await execa('ip', ['netns', 'exec', netns, 'tc', 'qdisc', 'show', 'dev', device, 'root']);
  if (!/ 0: root/.test(qdisc.stdout)) found.push(`qdisc ${qdisc.stdout.trim()}`);
  for (const entry of await readdir(work)) if (entry.startsWith('proteus-stress-')) found.push(`folder ${entry}`);
  return found;
}

const durations = [];
let totalLeftovers = 0;
let killedMidApply = 0;
try {
  for (let cycle = 0; cycle < cycles; cycle++) {
    const started = performance.now();
    const ledgerPath = join(work, `ledger-${cycle}.jsonl`);
    const count = rng.int(1, 3);
    // One anomaly per kind of mechanism at a time: two CPU limits on one cgroup would race to restore each other.
    const plan = rng
      .shuffle([...menu])
      .filter((item, i, all) => all.findIndex((o) => o.spec.kind === item.spec.kind && o.target === item.target) === i)
      .slice(0, count);
    const midApply = rng.float() < 0.3;
    const child = spawn(
      process.execPath,
      ['--input-type=module', '-e', CHILD, ledgerPath, work, JSON.stringify(plan)],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise((resolve) => child.on('exit', resolve));
    await Promise.race([
      midApply
        ? new Promise((resolve) => setTimeout(resolve, 200 + rng.float() * 700))
        : new Promise((resolve) => child.stdout.on('data', (d) => d.toString().includes('applied') && resolve())),
      exited,
    ]);
    if (child.exitCode !== null) throw new Error(`cycle ${cycle}: the child failed: ${stderr}`);
    child.kill('SIGKILL');
    await exited;
    const before = await readLedger(ledgerPath);
    if (before.some((e) => e.state === 'pending')) killedMidApply++;
    const result = await recoverLedger(ledgerPath);
    const after = await readLedger(ledgerPath);
    const left = await leftovers(new Set(before.map((e) => e.id)));
    for (const entry of after)
      if (entry.state !== 'reverted') left.push(`ledger entry ${entry.id} still ${entry.state}`);
    for (const failure of result.failed) left.push(`revert failed ${failure.id}: ${failure.errors.join('; ')}`);
    // An entry the injector wrote itself must never be refused by recover's checks.
    for (const refused of result.rejected) left.push(`recover refused ${refused.id ?? refused.line}: ${refused.code}`);
    totalLeftovers += left.length;
    const ms = performance.now() - started;
    durations.push(ms);
    console.log(
      JSON.stringify({
        cycle,
        anomalies: plan.map((p) => p.spec.kind),
        killed: midApply ? 'mid-apply' : 'after-apply',
        entries: before.length,
        recovered: result.reverted.length,
        leftovers: left,
        ms: Math.round(ms),
      }),
    );
  }
} finally {
  await execa('ip', ['netns', 'del', netns], { reject: false });
  for (const controller of controllers) {
    for (const dir of [cgroup, cgroup.split('/').slice(0, 2).join('/')])
      await rmdir(join('/sys/fs/cgroup', controller, dir)).catch(() => undefined);
  }
  await rm(work, { recursive: true, force: true });
}
durations.sort((a, b) => a - b);
const summary = {
  cycles,
  leftovers: totalLeftovers,
  killedMidApply,
  msPerCycle: {
    mean: Math.round(durations.reduce((s, d) => s + d, 0) / durations.length),
    p50: Math.round(durations[Math.floor(durations.length / 2)]),
    max: Math.round(durations.at(-1)),
  },
};
console.log(JSON.stringify(summary));
if (totalLeftovers > 0) process.exitCode = 1;
