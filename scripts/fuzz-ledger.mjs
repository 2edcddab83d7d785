#!/usr/bin/env node
// Forged-ledger fuzz of @proteus-wf/injector's recoverLedger (issue 13, item 1). Each of N forged entries (free
// commands, foreign paths and cgroups, option-like names, tables and folders not derived from the id, old-format
// lines, malformed records) goes into a ledger of its own, owned by a dead process on this host, and recoverLedger
// runs on it. Pass: every entry is reported in `rejected`; no command reaches a runner; nothing in the sandbox
// (canary files and folders, a cgroup tree with proteus/ and foreign cgroups) changes; a canary process lives.
// Prints one JSON summary line. Usage: npm run build -w @proteus-wf/core -w @proteus-wf/injector &&
//   node scripts/fuzz-ledger.mjs [--count 1000] [--seed 1]
import { spawn } from 'node:child_process';
import { lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { createRng } from '@proteus-wf/core';

/**
 * Runs the fuzz with the given `recoverLedger` (the built package from the command line, the sources from the test).
 * @returns {Promise<{ entries: number, reported: number, executed: number, changed: string[], unreported: string[], codes: Record<string, number>, canaryAlive: boolean }>}
 */
export async function fuzzLedger({ recoverLedger, count = 1000, seed = 1 }) {
  const rng = createRng(seed);
  const pick = (items) => items[rng.int(0, items.length - 1)];
  const sandbox = await mkdtemp(join(tmpdir(), 'proteus-fuzz-ledger-'));
  const canary = spawn('sleep', ['600'], { stdio: 'ignore', detached: true });
  try {
    const cgroupRoot = join(sandbox, 'cgroup');
    const files = join(sandbox, 'canaries');
    await mkdir(join(files, 'tree', 'deep'), { recursive: true });
    await writeFile(join(files, 'secret'), 'keep me');
    await writeFile(join(files, 'tree', 'deep', 'file'), 'keep me too');
    // A cgroup v2 tree of plain files: the injector's own worker cgroup and two that are not ours.
    await writeFile(join(cgroupRoot, 'cgroup.controllers'), 'cpuset cpu io\n').catch(async () => {
      await mkdir(cgroupRoot, { recursive: true });
      await writeFile(join(cgroupRoot, 'cgroup.controllers'), 'cpuset cpu io\n');
    });
    for (const group of ['proteus/tb/w1', 'user.slice', 'system.slice/sshd.service']) {
      await mkdir(join(cgroupRoot, group), { recursive: true });
      await writeFile(join(cgroupRoot, group, 'cpu.max'), 'max 100000\n');
      await writeFile(join(cgroupRoot, group, 'cpuset.cpus'), '0-1\n');
      await writeFile(join(cgroupRoot, group, 'io.max'), '');
      await writeFile(join(cgroupRoot, group, 'cgroup.procs'), '');
    }
    const owner = { pid: 2 ** 22 - 7, startTime: '1', hostname: hostname() };
    const canaryStart = (await readFile(`/proc/${canary.pid}/stat`, 'utf8')).split(') ')[1].split(' ')[19];
    // Folders and a link that carry the scratch name of an id, but were not made by the injector.
    const unmarkedId = 'zzzzzzzzzzzzzzz1';
    await mkdir(join(sandbox, `proteus-stress-${unmarkedId}`));
    await writeFile(join(sandbox, `proteus-stress-${unmarkedId}`, 'data'), 'not ours');
    const linkedId = 'zzzzzzzzzzzzzzz2';
    await symlink(files, join(sandbox, `proteus-stress-${linkedId}`));
    const before = await snapshot(sandbox);

    const commands = [
      ['sh', '-c', `touch ${join(files, 'pwned')}`],
      ['rm', '-rf', files],
      ['touch', join(sandbox, 'created')],
      ['kill', '-9', String(canary.pid)],
      ['nft', 'flush', 'ruleset'],
      ['tc', 'qdisc', 'del', 'dev', 'lo', 'root'],
    ];
    const paths = [
      files,
      join(files, 'secret'),
      join(files, 'tree'),
      '/',
      sandbox,
      `${files}/../canaries`,
      'relative/x',
    ];
    const id = (n) => `f${n.toString(36).padStart(15, '0')}`;
    const legacy = (n) => {
      const steps = [
        () => {
          const [file, ...args] = pick(commands);
          return { op: 'run', file, args };
        },
        () => ({ op: 'write', path: pick(paths), value: 'pwned' }),
        () => ({ op: 'remove', path: pick(paths) }),
        () => ({ op: 'kill', marker: 'x', pid: canary.pid, where: 'local' }),
      ];
      return [
        intent(n, {
          v: pick([1, undefined, '2', 3]),
          target: 'local',
          spec: { kind: 'none' },
          inverse: [pick(steps)()],
        }),
      ];
    };
    const intent = (n, fields) => ({ type: 'intent', id: id(n), at: 1, owner, v: 2, ...fields });
    const applied = (n, inverse) => ({ type: 'applied', id: id(n), at: 2, effect: {}, inverse });
    const v2 = (n, target, spec, action) => [intent(n, { target, spec, inverse: [] }), applied(n, [action])];
    const cpu = { kind: 'cpu', quota: 0.5 };
    const net = { kind: 'network', lossPercent: 5 };
    const stress = { kind: 'stress', cpu: { workers: 1 } };
    const forgeries = [
      legacy,
      // Old-style steps in a format-2 entry.
      (n) => {
        const [file, ...args] = pick(commands);
        return v2(
          n,
          'local',
          stress,
          pick([
            { op: 'run', file, args },
            { kind: 'run', file, args },
            { kind: 'exec', command: args.join(' ') },
          ]),
        );
      },
      // Knobs of cgroups that are not ours, knobs we never touch, values that are not values.
      (n) =>
        v2(
          n,
          pick([
            'cgroup:user.slice',
            'cgroup:system.slice/sshd.service',
            'cgroup:proteus',
            'cgroup:proteus/../user.slice',
            'cgroup:-x',
            'local',
          ]),
          cpu,
          {
            kind: 'cgroup-knob',
            knob: 'cpu.max',
            value: '1000 100000',
          },
        ),
      (n) =>
        v2(n, 'cgroup:proteus/tb/w1', pick([cpu, { kind: 'disk', writeBps: 1 }]), {
          kind: 'cgroup-knob',
          knob: pick([
            'cgroup.procs',
            'release_agent',
            'notify_on_release',
            '../../user.slice/cpu.max',
            'cpu.max/../x',
            'tasks',
          ]),
          value: '1',
        }),
      (n) =>
        v2(n, 'cgroup:proteus/tb/w1', cpu, {
          kind: 'cgroup-knob',
          knob: pick(['cpu.max', 'cpuset.cpus', 'io.max']),
          value: pick([
            'max 100000\n1000 1000',
            '1; rm -rf /',
            '../../x',
            'max',
            '0-1\n',
            '8:0 rbps=1',
            ' '.repeat(5000),
          ]),
        }),
      (n) =>
        v2(n, 'cgroup:proteus/tb/w1', pick([stress, net, { kind: 'none' }]), {
          kind: 'cgroup-knob',
          knob: 'cpu.max',
          value: 'max 100000',
        }),
      (n) =>
        v2(n, 'cgroup:proteus/tb/w1', cpu, {
          kind: 'cgroup-knob',
          knob: 'cpu.max',
          value: 'max 100000',
          path: pick(paths),
        }),
      // nft tables that are not the entry's, on targets that cannot have them.
      (n) =>
        v2(n, pick(['local', 'netns:-x', 'netns:..']), net, {
          kind: 'nft-table',
          table: pick(['filter', 'proteus_other', 'nat', `proteus_${id(n)}x`, '-x']),
        }),
      (n) => v2(n, pick(['cgroup:proteus/tb/w1', 'docker:c1']), net, { kind: 'nft-table', table: `proteus_${id(n)}` }),
      (n) => v2(n, `netns:proteus-fuzz-absent-${n}`, net, { kind: 'nft-table', table: `proteus_${id(n)}` }),
      // qdiscs on option-like or foreign devices, of kinds we never add.
      (n) =>
        v2(n, 'local', pick([net, { ...net, interface: 'eth9' }]), {
          kind: 'qdisc',
          device: pick(['-x', 'lo; reboot', 'a'.repeat(16), '', '../x', '--help']),
          qdisc: pick(['netem', 'tbf']),
        }),
      (n) => v2(n, 'local', net, { kind: 'qdisc', device: 'lo', qdisc: pick(['htb', 'fq_codel', 'ingress', '']) }),
      (n) => v2(n, 'local', cpu, { kind: 'qdisc', device: 'lo', qdisc: 'tbf' }),
      // docker updates with injected values or on the wrong target.
      (n) =>
        v2(n, pick(['docker:c1', 'local', 'docker:-c1']), cpu, {
          kind: 'docker-cpu',
          cpusetCpus: pick(['0-3; rm -rf /', '', '0-1 --privileged', '0-1']),
          cpus: pick([Number.NaN, -1, 1e9, '1', null]),
        }),
      // Process groups that are not a stressor of ours: pid 1, the canary, malformed pids and start times.
      (n) =>
        v2(n, pick(['local', 'cgroup:proteus/tb/w1', 'ssh:host1']), stress, {
          kind: 'process-group',
          ...pick([
            { pid: 1 },
            { pid: canary.pid },
            { pid: 0, startTime: '1' },
            { pid: -canary.pid, startTime: canaryStart },
            { pid: String(canary.pid), startTime: canaryStart },
            { pid: canary.pid, startTime: 'x' },
            { pid: canary.pid, startTime: canaryStart, marker: 'x' },
            { pid: canary.pid, startTime: canaryStart, where: 'local' },
          ]),
        }),
      (n) => v2(n, 'ssh:host1', stress, { kind: 'process-group', pid: canary.pid, startTime: canaryStart }),
      (n) =>
        v2(n, pick(['docker:c1', 'local']), pick([cpu, net]), {
          kind: 'process-group',
          pid: canary.pid,
          startTime: canaryStart,
        }),
      // Scratch folders that are not the entry's: canaries, the sandbox, links, unmarked look-alikes.
      (n) =>
        v2(n, 'local', stress, {
          kind: 'scratch-dir',
          path: pick([...paths, join(files, `proteus-stress-${id(n)}`, '..')]),
        }),
      (n) =>
        v2(n, 'ssh:host1', stress, {
          kind: 'scratch-dir',
          path: pick(['/', '/tmp', `/tmp/proteus-stress-${id(n)}/..`, files]),
        }),
      (n) => {
        const [entry] = v2(n, 'local', stress, {});
        const look = pick([unmarkedId, linkedId]);
        return [
          { ...entry, id: look },
          { ...applied(n, [{ kind: 'scratch-dir', path: join(sandbox, `proteus-stress-${look}`) }]), id: look },
        ];
      },
      // Malformed entries: ids, targets, specs, owners, versions, too many actions, records out of order.
      (n) =>
        v2(n, pick(['netns:-x', 'netns:--help', 'ssh:-oProxyCommand=sh', 'cgroup:../../etc', 'vm:x', '']), stress, {
          kind: 'process-group',
        }),
      (n) =>
        v2(n, 'local', pick([{ kind: 'stress' }, { kind: 'disk', writeBps: 2 ** 50 }, null, 'cpu_1']), {
          kind: 'process-group',
        }),
      (n) => {
        const lines = v2(n, 'local', stress, { kind: 'process-group' });
        const bad = pick(['../x', 'ABC', 'a', 'x'.repeat(40), 'id with space', '-x']);
        return lines.map((line) => ({ ...line, id: `${bad}${n}` }));
      },
      (n) => [
        intent(n, { target: 'local', spec: stress, inverse: [], owner: pick([null, { pid: 'x' }, {}]) }),
        applied(n, [{ kind: 'process-group' }]),
      ],
      (n) => [
        intent(n, { target: 'local', spec: stress, inverse: [] }),
        applied(
          n,
          Array.from({ length: 17 }, () => ({ kind: 'process-group' })),
        ),
      ],
      (n) => [
        intent(n, { target: 'local', spec: stress, inverse: pick(['rm -rf /', { kind: 'process-group' }, 7, null]) }),
      ],
      (n) => [applied(n, [{ kind: 'process-group' }])],
      (n) => [{ ...intent(n, { target: 'local', spec: stress, inverse: [] }), type: pick(['exec', 'run', 'undo']) }],
    ];

    const spy = [];
    const runnerFor = (target) => ({
      target,
      run: async (file, args) => {
        spy.push([target, file, ...args].join(' '));
        return { exitCode: 1, stdout: '', stderr: 'refused by the fuzz' };
      },
    });
    const codes = {};
    const unreported = [];
    let reported = 0;
    let executed = 0;
    const ledgers = join(sandbox, 'ledgers');
    await mkdir(ledgers);
    const ledgerFiles = new Set();
    for (let n = 0; n < count; n++) {
      const lines = pick(forgeries)(n);
      const ledgerPath = join(ledgers, `${n}.jsonl`);
      ledgerFiles.add(`ledgers/${n}.jsonl`);
      await writeFile(ledgerPath, `${lines.map((line) => JSON.stringify(line)).join('\n')}\n`);
      const result = await recoverLedger(ledgerPath, { runnerFor, cgroupRoot });
      executed += result.reverted.length + result.failed.length;
      if (result.rejected.length > 0 && result.reverted.length === 0 && result.failed.length === 0) reported++;
      else unreported.push(JSON.stringify(lines).slice(0, 300));
      for (const entry of result.rejected) codes[entry.code] = (codes[entry.code] ?? 0) + 1;
    }
    const after = await snapshot(sandbox);
    const changed = [];
    for (const [path, state] of after) {
      if (path.startsWith('ledgers/') && ledgerFiles.has(path)) continue;
      if (path === 'ledgers') continue;
      if (before.get(path) !== state) changed.push(`${path} ${before.has(path) ? 'changed' : 'created'}`);
    }
    for (const path of before.keys()) if (!after.has(path)) changed.push(`${path} removed`);
    const canaryAlive = canary.exitCode === null && canary.signalCode === null;
    return { entries: count, reported, executed, commands: spy.length, changed, unreported, codes, canaryAlive };
  } finally {
    canary.kill('SIGKILL');
    await rm(sandbox, { recursive: true, force: true });
  }
}

/** Every path under `root` with its type, mode, size and content (files) or target (links). */
async function snapshot(root) {
  const states = new Map();
  const walk = async (relative) => {
    for (const name of await readdir(join(root, relative))) {
      const path = relative ? `${relative}/${name}` : name;
      const full = join(root, path);
      const info = await lstat(full);
      if (info.isSymbolicLink()) states.set(path, `link ${await readlink(full)}`);
      else if (info.isDirectory()) {
        states.set(path, `dir ${info.mode}`);
        await walk(path);
      } else states.set(path, `file ${info.mode} ${await readFile(full, 'latin1')}`);
    }
  };
  await walk('');
  return states;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({
    options: { count: { type: 'string', default: '1000' }, seed: { type: 'string', default: '1' } },
  });
  const { recoverLedger } = await import('@proteus-wf/injector');
  const { loadavg } = await import('node:os');
  const started = performance.now();
  const result = await fuzzLedger({ recoverLedger, count: Number(values.count), seed: Number(values.seed) });
  console.log(
    JSON.stringify({
      ...result,
      unreported: result.unreported.slice(0, 5),
      seconds: Math.round((performance.now() - started) / 100) / 10,
      loadavg: loadavg().map((l) => Math.round(l * 100) / 100),
    }),
  );
  const ok =
    result.reported === result.entries &&
    result.executed === 0 &&
    result.commands === 0 &&
    result.changed.length === 0 &&
    result.canaryAlive;
  if (!ok) process.exitCode = 1;
}
