import { execFile } from 'node:child_process';
import { copyFile, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createTempDir, repoRoot } from '@proteus-wf/test-utils';
import { describe, expect, it } from 'vitest';
import { runCli } from '../run-cli.js';

const genomeWorkflow = join(repoRoot, 'examples', 'workflows', '1000genome-like', 'workflow.yml');

function campaign(overrides: Record<string, unknown> = {}) {
  return {
    infrastructure: {
      workers: [
        { name: 'w1', cores: 1, memory_mb: 256 },
        { name: 'w2', cores: 1, memory_mb: 256 },
      ],
    },
    experiments: [
      { workflow: 'genome', type: 'normal', number_of_runs: 1, number_of_anomaly_workers: [] },
      { workflow: 'genome', anomaly: 'cpu', levels: [1], number_of_runs: 2, number_of_anomaly_workers: [1] },
    ],
    workflows: { genome: { path: genomeWorkflow } },
    ...overrides,
  };
}

async function withConfig<T>(config: unknown, body: (path: string, dir: string) => Promise<T>): Promise<T> {
  const temp = await createTempDir();
  try {
    const path = join(temp.path, 'campaign.json');
    await writeFile(path, JSON.stringify(config));
    return await body(path, temp.path);
  } finally {
    await temp.dispose();
  }
}

describe('proteus experiment plan', () => {
  it('prints the deterministic plan as JSON', async () => {
    await withConfig(campaign(), async (path) => {
      const first = await runCli(['experiment', 'plan', '--config', path, '--seed', '4', '--json']);
      expect(first.exitCode, first.stderr).toBe(0);
      const plan = JSON.parse(first.stdout);
      expect(plan.runs.map((run: { id: string; anomaly: string }) => `${run.id}:${run.anomaly}`)).toEqual([
        'genome-run0001:normal',
        'genome-run0002:cpu_1',
        'genome-run0003:cpu_1',
      ]);
      expect(plan.seed).toBe(4);
      const second = await runCli(['experiment', 'plan', '--config', path, '--seed', '4', '--json']);
      expect(second.stdout).toBe(first.stdout);
    });
  });

  it('prints a table without --json', async () => {
    await withConfig(campaign(), async (path) => {
      const outcome = await runCli(['experiment', 'plan', '--config', path]);
      expect(outcome.exitCode).toBe(0);
      expect(outcome.stdout).toMatch(/genome-run0002\s+cpu_1\s+w[12]/);
    });
  });

  it('exits 1 with PROTEUS_CONTROLLER_INVALID_CONFIG and every problem for a bad config', async () => {
    const bad = campaign({
      experiments: [{ workflow: 'nope', type: 'cpu_x', number_of_runs: 0, number_of_anomaly_workers: [1] }],
    });
    await withConfig(bad, async (path) => {
      const outcome = await runCli(['experiment', 'plan', '--config', path, '--json']);
      expect(outcome.exitCode).toBe(1);
      const { error } = JSON.parse(outcome.stdout);
      expect(error.code).toBe('PROTEUS_CONTROLLER_INVALID_CONFIG');
      expect(outcome.stderr).not.toMatch(/\n\s+at /);
    });
  });

  it('exits 1 with PROTEUS_CONTROLLER_CONFIG_UNREADABLE for a missing file', async () => {
    const outcome = await runCli(['experiment', 'plan', '--config', '/nonexistent/campaign.json', '--json']);
    expect(outcome.exitCode).toBe(1);
    expect(JSON.parse(outcome.stdout).error.code).toBe('PROTEUS_CONTROLLER_CONFIG_UNREADABLE');
  });
});

let hasYaml = true;
try {
  createRequire(join(repoRoot, 'packages', 'workflow-graph', 'package.json')).resolve('yaml');
} catch {
  hasYaml = false;
  console.warn('proteus experiment run: skipped, the `yaml` package (Pegasus YAML workflows) is not installed');
}

describe.skipIf(!hasYaml)('proteus experiment run', () => {
  it('runs a campaign on the local testbed, refuses to rerun without --resume, and resumes with it', async () => {
    const temp = await createTempDir();
    const workflow = join(temp.path, 'workflow', 'workflow.yml');
    const example = join(repoRoot, 'examples', 'workflows', '1000genome-like');
    await promisify(execFile)(process.execPath, [join(example, 'generate.mjs'), '--scale', 'small', '--out', workflow]);
    await copyFile(join(example, 'populations.txt'), join(temp.path, 'workflow', 'populations.txt'));
    const small = campaign({ workflows: { genome: { path: workflow } } });
    await withConfig(small, async (path, dir) => {
      const out = join(dir, 'out');
      const run = await runCli(['experiment', 'run', '--config', path, '--testbed', 'local', '--out', out, '--json']);
      expect(run.exitCode, run.stderr).toBe(0);
      const result = JSON.parse(run.stdout);
      expect(result).toMatchObject({ done: 3, failed: 0 });
      expect(await readFile(join(out, 'genome', 'genome-run0001.csv'), 'utf8')).toMatch(/^,anomaly_type,type,/);
      const again = await runCli(['experiment', 'run', '--config', path, '--out', out, '--json']);
      expect(again.exitCode).toBe(1);
      expect(JSON.parse(again.stdout).error.code).toBe('PROTEUS_CONTROLLER_ALREADY_STARTED');
      const resumed = await runCli(['experiment', 'run', '--config', path, '--out', out, '--resume', '--json']);
      expect(resumed.exitCode, resumed.stderr).toBe(0);
      expect(JSON.parse(resumed.stdout).runs.every((r: { resumed: boolean }) => r.resumed)).toBe(true);
      const inspected = await runCli(['dataset', 'inspect', join(out, 'genome'), '--json']);
      expect(inspected.exitCode, inspected.stderr).toBe(0);
      expect(JSON.parse(inspected.stdout)).toMatchObject({ workflow: 'genome', generation: 2, runs: 3, skipped: [] });
    }).finally(() => temp.dispose());
  }, 180_000);

  it('exits 3 with the result on stdout and the failed runs on stderr when a run of the campaign failed', async () => {
    const temp = await createTempDir();
    // Without populations.txt beside it, the workflow cannot run: every run of the campaign fails.
    const workflow = join(temp.path, 'workflow', 'workflow.yml');
    const example = join(repoRoot, 'examples', 'workflows', '1000genome-like');
    await promisify(execFile)(process.execPath, [join(example, 'generate.mjs'), '--scale', 'small', '--out', workflow]);
    await rm(join(temp.path, 'workflow', 'populations.txt'));
    const broken = campaign({ workflows: { genome: { path: workflow } } });
    await withConfig(broken, async (path, dir) => {
      const run = await runCli(['experiment', 'run', '--config', path, '--out', join(dir, 'out'), '--json']);
      expect(run.exitCode, run.stderr).toBe(3);
      const result = JSON.parse(run.stdout);
      expect(result).toMatchObject({ done: 0, failed: 3 });
      expect(result.runs[0].error.code).toBe('PROTEUS_CONTROLLER_RUN_FAILED');
      expect(run.stderr).toMatch(/^proteus: experiment run: 3 of 3 runs failed \(genome-run0001, /m);
    }).finally(() => temp.dispose());
  }, 180_000);
});
