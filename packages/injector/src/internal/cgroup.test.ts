import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isProteusError } from '@proteus-wf/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTempDir } from '../../test/helpers.js';
import { createLocalRunner } from '../local-runner.js';
import { detectCgroupLayout, formatCpuList, parseCpuList, planCpu } from './cgroup.js';
import { runInverse } from './inverse-actions.js';

describe('cpu lists', () => {
  it('parses and formats kernel CPU lists', () => {
    expect(parseCpuList('0-3,8,10-11\n')).toEqual([0, 1, 2, 3, 8, 10, 11]);
    expect(formatCpuList([11, 0, 1, 2, 3, 8, 10])).toBe('0-3,8,10-11');
    expect(formatCpuList([])).toBe('');
  });
});

// A cgroup v2 tree is plain files to the planner; this checks the v2 knobs (cpu.max, cpuset.cpus) where the
// machine itself runs v1. The v1 path is measured for real in test/cpu-effect.test.ts.
describe('planCpu on a cgroup v2 layout', () => {
  let dir: Awaited<ReturnType<typeof createTempDir>>;
  const worker = 'proteus/tb/w1';
  beforeAll(async () => {
    dir = await createTempDir();
    await writeFile(join(dir.path, 'cgroup.controllers'), 'cpuset cpu io memory pids\n');
    await mkdir(join(dir.path, worker), { recursive: true });
    await writeFile(join(dir.path, worker, 'cpu.max'), 'max 100000\n');
    await writeFile(join(dir.path, worker, 'cpuset.cpus'), '4-7\n');
  });
  afterAll(async () => dir.dispose());

  it('withholds K cores from the top of the cpuset, caps cpu.max at the rest, and the inverse restores both', async () => {
    const layout = await detectCgroupLayout(dir.path);
    expect(layout).toMatchObject({ version: 2, cpu: dir.path, cpuset: dir.path, io: dir.path });
    const plan = await planCpu(layout, worker, { kind: 'cpu', removeCores: 2 });
    for (const step of plan.steps) await step.apply();
    expect(await readFile(join(dir.path, worker, 'cpuset.cpus'), 'utf8')).toBe('4-5');
    expect(await readFile(join(dir.path, worker, 'cpu.max'), 'utf8')).toBe('200000 100000');
    const errors = await runInverse(plan.steps.flatMap((s) => s.inverse).reverse(), {
      id: 'test0000',
      target: { kind: 'cgroup', path: worker },
      runner: () => createLocalRunner(),
      cgroupRoot: dir.path,
    });
    expect(errors).toEqual([]);
    expect(await readFile(join(dir.path, worker, 'cpuset.cpus'), 'utf8')).toBe('4-7');
    expect(await readFile(join(dir.path, worker, 'cpu.max'), 'utf8')).toBe('max 100000');
  });

  it('shrinks a quota that is a share of the cpuset by the same fraction as the cores (workers sharing cores)', async () => {
    const layout = await detectCgroupLayout(dir.path);
    const shared = 'proteus/tb/shared';
    await mkdir(join(dir.path, shared), { recursive: true });
    await writeFile(join(dir.path, shared, 'cpu.max'), '200000 100000\n');
    await writeFile(join(dir.path, shared, 'cpuset.cpus'), '4-7\n');
    const plan = await planCpu(layout, shared, { kind: 'cpu', removeCores: 2 });
    for (const step of plan.steps) await step.apply();
    expect(await readFile(join(dir.path, shared, 'cpuset.cpus'), 'utf8')).toBe('4-5');
    expect(await readFile(join(dir.path, shared, 'cpu.max'), 'utf8')).toBe('100000 100000');
    expect(plan.effect.quotaCores).toBe(1);
  });

  it('throws PROTEUS_INJECTOR_SPEC_UNSATISFIABLE when K withholds every core and PROTEUS_INJECTOR_TARGET_MISSING for a missing cgroup', async () => {
    const layout = await detectCgroupLayout(dir.path);
    const all = await planCpu(layout, worker, { kind: 'cpu', removeCores: 4 }).catch((e: unknown) => e);
    expect(isProteusError(all, 'PROTEUS_INJECTOR_SPEC_UNSATISFIABLE')).toBe(true);
    const missing = await planCpu(layout, 'proteus/tb/none', { kind: 'cpu', quota: 1 }).catch((e: unknown) => e);
    expect(isProteusError(missing, 'PROTEUS_INJECTOR_TARGET_MISSING')).toBe(true);
  });
});
