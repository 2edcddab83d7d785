import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createTempDir, hasSharedDatasets, sharedDataset } from '../../../../tooling/test-utils/src/index.js';
import { runCli } from '../run-cli.js';

const eht = sharedDataset('flowbench/eht_imaging.zip');
const small = ['--iterations', '3', '--per-iteration', '2', '--steps', '2', '--seeds', '2', '--full-pool-steps', '30'];

describe.skipIf(!hasSharedDatasets)('proteus al emulate', () => {
  it('prints the strategies contract with the random baseline and writes summary, report and checkpoints', async () => {
    const dir = await createTempDir();
    try {
      const out = join(dir.path, 'al');
      const { exitCode, stdout, stderr } = await runCli([
        'al',
        'emulate',
        '--dataset',
        eht,
        '--model',
        'gcn',
        '--strategy',
        'gradient',
        '--compare',
        'random',
        ...small,
        '--out',
        out,
        '--json',
      ]);
      expect(stderr).not.toMatch(/^proteus: (?!warning:)/m);
      expect(exitCode).toBe(0);
      const result = JSON.parse(stdout);
      expect(result.strategies.map((s: { strategy: string }) => s.strategy)).toEqual(['gradient', 'random']);
      for (const entry of result.strategies) {
        expect(entry.aulc).toBeGreaterThan(0);
        expect(entry.curve.map((p: { samples: number }) => p.samples)).toEqual([2, 4, 6]);
        for (const point of entry.curve) {
          for (const metric of ['rocAuc', 'averagePrecision', 'precisionAtK']) {
            expect(Object.keys(point[metric]).sort()).toEqual(['mean', 'std']);
          }
        }
        expect(entry.final).toEqual(entry.curve[2]);
        expect(entry.runsToTarget.perSeed).toHaveLength(2);
        expect(Object.keys(entry.secondsToTarget)).toEqual(['mean']);
        expect(Object.keys(entry.stopped).sort()).toEqual(['atTarget', 'rocAuc', 'runs']);
      }
      expect(result.fullPool.runs).toBeGreaterThan(300);
      expect(result.fullPool.rocAuc).toBeGreaterThan(0.5);
      expect(result.comparisons).toHaveLength(1);
      expect(result.comparisons[0]).toMatchObject({ strategy: 'gradient', baseline: 'random' });
      expect(Object.keys(result.comparisons[0].aulcGain).sort()).toEqual(['ci95', 'mean', 'seeds']);
      expect(result.comparisons[0].aulcGain.ci95).toHaveLength(2);
      const summary = JSON.parse(await readFile(join(out, 'summary.json'), 'utf8'));
      expect(summary.strategies.map((s: { aulc: number }) => s.aulc)).toEqual(
        result.strategies.map((s: { aulc: number }) => s.aulc),
      );
      const report = await readFile(join(out, 'report.html'), 'utf8');
      expect(report.match(/<svg/g)?.length).toBeGreaterThanOrEqual(2);
      const checkpoint = JSON.parse(await readFile(join(out, 'checkpoints', 'gradient', 'seed-1.json'), 'utf8'));
      expect(checkpoint.iteration).toBe(3);

      // --resume over finished checkpoints gives the same numbers without training again.
      const again = await runCli([
        'al',
        'emulate',
        '--dataset',
        eht,
        '--compare',
        'random',
        ...small,
        '--out',
        out,
        '--resume',
        '--json',
      ]);
      expect(again.exitCode).toBe(0);
      expect(JSON.parse(again.stdout).strategies).toEqual(result.strategies);
    } finally {
      await dir.dispose();
    }
  }, 240_000);

  it('adds the ablation entry and prints a readable table without --json', async () => {
    const { exitCode, stdout } = await runCli([
      'al',
      'emulate',
      '--dataset',
      eht,
      '--model',
      'ssl',
      '--ablation',
      ...small,
    ]);
    expect(exitCode).toBe(0);
    expect(stdout).toMatch(/^strategy\s+AULC/m);
    expect(stdout).toMatch(/^gradient without term 3\s/m);
  }, 240_000);

  it('runs pool-based selection with class weights on a validation split, and rejects a validation fraction of 1', async () => {
    const pool = ['--run-selection', 'uncertain', '--type-score', 'pool', '--run-reduce', 'max'];
    const flags = [...pool, '--class-weights', 'balanced', '--validation-fraction', '0.2', '--compare', 'random'];
    const { exitCode, stdout } = await runCli(['al', 'emulate', '--dataset', eht, ...small, ...flags, '--json']);
    expect(exitCode).toBe(0);
    const result = JSON.parse(stdout);
    expect(result.strategies.map((s: { strategy: string }) => s.strategy)).toEqual(['gradient', 'random']);
    expect(result.comparison.randomSamples).toBe(6);
    const bad = await runCli(['al', 'emulate', '--dataset', eht, ...small, '--validation-fraction', '1', '--json']);
    expect(bad.exitCode).toBe(1);
    expect(JSON.parse(bad.stdout).error.code).toBe('PROTEUS_AL_INVALID_OPTION');
  }, 240_000);

  it('rejects --resume without --out and an unknown strategy with exit code 1', async () => {
    const noOut = await runCli(['al', 'emulate', '--dataset', eht, '--resume', '--json']);
    expect(noOut.exitCode).toBe(1);
    expect(JSON.parse(noOut.stdout).error.code).toBe('PROTEUS_CLI_USAGE');
    const unknown = await runCli(['al', 'emulate', '--dataset', eht, '--strategy', 'magic']);
    expect(unknown.exitCode).toBe(1);
  });
});
