import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isProteusError } from '@proteus-wf/core';
import { parseWorkflow } from '@proteus-wf/workflow-graph';

export const repoRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');
export const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

/** Why Pegasus YAML cannot be parsed in this checkout (the `yaml` package of workflow-graph), or undefined. */
export function yamlUnavailable(): string | undefined {
  try {
    parseWorkflow('pegasus: "5.0"\nname: probe\njobs:\n  - type: job\n    name: t\n    id: ID1\n', {
      source: 'probe.yml',
    });
    return undefined;
  } catch (error) {
    if (isProteusError(error, 'PROTEUS_GRAPH_DEPENDENCY_MISSING')) return error.message;
    throw error;
  }
}

/** Generates an example workflow at `--scale small` into `folder`; returns the YAML path. */
export function generateExample(example: '1000genome-like' | 'montage-like', folder: string): string {
  const out = join(folder, 'workflow.yml');
  const result = spawnSync(
    process.execPath,
    [join(repoRoot, 'examples/workflows', example, 'generate.mjs'), '--scale', 'small', '--seed', '3', '--out', out],
    {
      encoding: 'utf8',
    },
  );
  if (result.status !== 0) throw new Error(`generate ${example} failed: ${result.stderr}`);
  return out;
}

export interface TestJob {
  id: string;
  /** Body of a Node ES module; `process.argv.slice(2)` holds `args`. */
  script: string;
  args?: string[];
  inputs?: string[];
  outputs?: string[];
  parents?: string[];
}

/** Writes a Pegasus YAML 5.0 workflow whose jobs are small Node scripts; returns the YAML path. */
export async function writeTestWorkflow(folder: string, name: string, jobs: TestJob[]): Promise<string> {
  await mkdir(join(folder, 'bin'), { recursive: true });
  const q = (value: string) => JSON.stringify(value);
  const lines = ['pegasus: "5.0"', `name: ${q(name)}`, 'transformationCatalog:', '  transformations:'];
  for (const job of jobs) {
    await writeFile(join(folder, 'bin', `${job.id}.mjs`), job.script);
    lines.push(
      `    - name: ${q(job.id)}`,
      '      sites:',
      '        - name: "local"',
      `          pfn: ${q(`bin/${job.id}.mjs`)}`,
    );
  }
  lines.push('jobs:');
  for (const job of jobs) {
    lines.push(
      '  - type: "job"',
      `    name: ${q(job.id)}`,
      `    id: ${q(job.id)}`,
      `    arguments: [${(job.args ?? []).map(q).join(', ')}]`,
    );
    const uses = [
      ...(job.inputs ?? []).map((lfn) => [lfn, 'input']),
      ...(job.outputs ?? []).map((lfn) => [lfn, 'output']),
    ];
    if (uses.length > 0) {
      lines.push('    uses:');
      for (const [lfn, type] of uses)
        lines.push(`      - lfn: ${q(lfn as string)}`, `        type: ${q(type as string)}`);
    }
  }
  const withParents = jobs.filter((job) => (job.parents ?? []).length > 0);
  if (withParents.length > 0) {
    lines.push('jobDependencies:');
    for (const parent of jobs) {
      const children = jobs.filter((job) => job.parents?.includes(parent.id)).map((job) => q(job.id));
      if (children.length > 0) lines.push(`  - id: ${q(parent.id)}`, `    children: [${children.join(', ')}]`);
    }
  }
  const path = join(folder, 'workflow.yml');
  await writeFile(path, `${lines.join('\n')}\n`);
  return path;
}

/** Cgroup folders and namespaces of a testbed id that still exist. */
export function leftovers(testbedId: string): string[] {
  const found: string[] = [];
  for (const controller of ['cpu', 'cpuset', 'blkio']) {
    const folder = `/sys/fs/cgroup/${controller}/proteus/${testbedId}`;
    if (existsSync(folder)) found.push(folder);
  }
  if (existsSync(`/sys/fs/cgroup/proteus/${testbedId}`)) found.push(`/sys/fs/cgroup/proteus/${testbedId}`);
  if (existsSync('/run/netns')) {
    for (const name of readdirSync('/run/netns'))
      if (name.startsWith(`proteus-${testbedId}-`)) found.push(`netns ${name}`);
  }
  return found;
}

/** Largest number of [start, end) intervals open at once. */
export function peakOverlap(intervals: Array<[number, number]>): number {
  const events = intervals.flatMap(([start, end]) => [
    [start, 1],
    [end, -1],
  ]);
  events.sort((a, b) => (a[0] as number) - (b[0] as number) || (a[1] as number) - (b[1] as number));
  let open = 0;
  let peak = 0;
  for (const [, delta] of events) {
    open += delta as number;
    peak = Math.max(peak, open);
  }
  return peak;
}
