import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { createTempDir, repoRoot } from '../../../../tooling/test-utils/src/index.js';
import { runCli } from '../run-cli.js';

const generator = join(repoRoot, 'examples', 'workflows', '1000genome-like', 'generate.mjs');

/** The small 1000genome-like workflow (8 jobs, a few seconds per run on 2 cores). */
async function smallWorkflow(folder: string): Promise<string> {
  const path = join(folder, 'workflow', 'workflow.yml');
  await promisify(execFile)(process.execPath, [generator, '--scale', 'small', '--seed', '1', '--out', path]);
  return path;
}

const tiny = [
  '--iterations',
  '2',
  '--per-iteration',
  '1',
  '--test-runs',
  '2',
  '--calibration-runs',
  '2',
  '--steps',
  '5',
];

interface Summary {
  workflow: string;
  strategies: Array<{ strategy: string; aulc: number; curve: Array<{ samples: number; rocAuc: { mean: number } }> }>;
  dataset: { test: number; testJobs: number };
  live: { isolation: string; trainingRuns: Record<string, number>; traces: string; workers: string[] };
  report: string;
  anomalyEffects: { measurable: boolean; effects: Array<{ anomaly: string; measurable: boolean }> };
  warnings: string[];
  comparison?: { meaningful?: boolean };
  reproduce: { command: string; versions: Record<string, string>; seeds: number[] };
}

describe('proteus al run', () => {
  it('rejects bad counts with PROTEUS_CLI_USAGE before touching the testbed', async () => {
    const { exitCode, stdout } = await runCli([
      'al',
      'run',
      '--workflow',
      'missing.yml',
      '--out',
      'never',
      '--iterations',
      '1',
      '--test-runs',
      '1',
      '--json',
    ]);
    expect(exitCode).toBe(1);
    const { error } = JSON.parse(stdout);
    expect(error.code).toBe('PROTEUS_CLI_USAGE');
    expect(error.details.problems).toHaveLength(2);
  });

  it('runs the live loop end to end on testbed-local, writes the report, and resumes without new runs', async () => {
    const dir = await createTempDir('proteus-al-run-');
    try {
      const workflow = await smallWorkflow(dir.path);
      const out = join(dir.path, 'live');
      const argv = ['al', 'run', '--testbed', 'local', '--workflow', workflow, '--out', out, '--compare', 'random'];
      const first = await runCli([...argv, ...tiny, '--json']);
      expect(first.exitCode, first.stderr).toBe(0);
      const summary = JSON.parse(first.stdout) as Summary;
      expect(summary.workflow).toBe('1000genome-like');
      expect(summary.strategies.map((s) => s.strategy)).toEqual(['gradient', 'random']);
      for (const strategy of summary.strategies) {
        expect(strategy.curve.map((point) => point.samples)).toEqual([1, 2]);
        for (const point of strategy.curve) expect(point.rocAuc.mean).toBeGreaterThanOrEqual(0);
      }
      expect(summary.dataset).toEqual({ runs: 8, pool: 0, test: 2, testJobs: 16 });
      expect(summary.live.trainingRuns).toEqual({ gradient: 2, random: 2 });

      // The report is `al emulate`'s, titled for the live setting; the request files are the translation layer's.
      const html = await readFile(summary.report, 'utf8');
      expect(html).toContain('live on testbed-local');
      expect(html).toContain('<svg');
      // Whether the anomalies showed in the traces was tested before learning, and the report says what it can show.
      expect(summary.anomalyEffects.effects.length).toBeGreaterThan(0);
      expect(summary.comparison?.meaningful).toBe(summary.anomalyEffects.measurable);
      // A warning exactly when some anomaly did not measurably change its jobs (two test runs are too few to test).
      expect(summary.warnings.length > 0).toBe(summary.anomalyEffects.effects.some((effect) => !effect.measurable));
      expect(html).toContain('Did the anomalies change the runs?');
      expect(html).toContain('Experiments requested per iteration');
      expect(html).toContain('anecdote');
      expect(html).not.toContain('± 0.000');
      expect(summary.reproduce.command).toMatch(/^proteus al run --testbed local --workflow \S+ --out \S+ .*--seed 0$/);
      expect(summary.reproduce.seeds).toEqual([0]);
      expect(Object.keys(summary.reproduce.versions)).toContain('@proteus-wf/active-learner');
      expect(await readdir(join(out, 'requests', 'gradient'))).toEqual(['iter-0001.json', 'iter-0002.json']);
      // The live traces are a Flow-Bench dataset that `proteus dataset inspect` reads: 4 training runs, no test run.
      const inspect = await runCli(['dataset', 'inspect', summary.live.traces, '--json']);
      expect(inspect.exitCode, inspect.stderr).toBe(0);
      expect(JSON.parse(inspect.stdout)).toMatchObject({ runs: 4 });

      const again = await runCli([...argv, ...tiny, '--json']);
      expect(again.exitCode).toBe(1);
      expect(JSON.parse(again.stdout).error.code).toBe('PROTEUS_LAB_ALREADY_STARTED');

      const resumed = await runCli([...argv, ...tiny, '--resume']);
      expect(resumed.exitCode, resumed.stderr).toBe(0);
      expect(resumed.stderr).not.toContain('  run ');
      expect(resumed.stdout).toMatch(/^strategy +AULC/);
      expect(resumed.stdout).toContain(`report: ${summary.report}`);
      const csvs = await readdir(summary.live.traces);
      expect(csvs.filter((name) => name.endsWith('.csv'))).toHaveLength(4);
    } finally {
      await dir.dispose();
    }
  }, 300_000);
});
