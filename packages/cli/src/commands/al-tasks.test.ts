import { describe, expect, it } from 'vitest';
import { hasSharedDatasets, sharedDataset } from '../../../../tooling/test-utils/src/index.js';
import { runCli } from '../run-cli.js';

const casa = sharedDataset('exogeni-2020/wind_clustering_casa.zip');
const small = ['--iterations', '2', '--per-iteration', '2', '--seeds', '1', '--max-steps', '20', '--stop', 'never'];

describe.skipIf(!hasSharedDatasets)('proteus al emulate --task / --labels / --generation', () => {
  it('emulates graph-level binary detection on an exogeni-2020 zip (generation 1): run ROC-AUC per iteration', async () => {
    const { exitCode, stdout, stderr } = await runCli([
      'al',
      'emulate',
      '--dataset',
      casa,
      '--generation',
      '1',
      '--task',
      'graph',
      '--labels',
      'binary',
      '--strategy',
      'margin',
      '--compare',
      'random',
      '--full-pool-steps',
      '20',
      ...small,
      '--json',
    ]);
    expect(stderr).not.toMatch(/^proteus: (?!warning:)/m);
    expect(exitCode).toBe(0);
    const result = JSON.parse(stdout);
    expect(result.settings.task).toMatchObject({ level: 'graph', labels: 'binary', metric: 'run ROC-AUC' });
    expect(result.strategies.map((s: { curve: { samples: number }[] }) => s.curve.map((p) => p.samples))).toEqual([
      [2, 4],
      [2, 4],
    ]);
  }, 60_000);

  it('rejects --model ssl with --task graph or --labels multiclass with PROTEUS_CLI_USAGE', async () => {
    for (const flags of [
      ['--task', 'graph'],
      ['--labels', 'multiclass'],
    ]) {
      const { exitCode, stdout } = await runCli([
        'al',
        'emulate',
        '--dataset',
        casa,
        '--model',
        'ssl',
        ...flags,
        '--json',
      ]);
      expect(exitCode).toBe(1);
      expect(JSON.parse(stdout).error.code).toBe('PROTEUS_CLI_USAGE');
    }
  });

  it('rejects an unknown --task value before loading anything', async () => {
    const { exitCode } = await runCli(['al', 'emulate', '--dataset', casa, '--task', 'edge', '--json']);
    expect(exitCode).not.toBe(0);
  });
});

describe('proteus al run --task / --labels / --generation', () => {
  it('rejects --generation 1, --labels multiclass with one anomaly, and --model ssl --task graph with PROTEUS_CLI_USAGE', async () => {
    for (const flags of [
      ['--generation', '1'],
      ['--labels', 'multiclass', '--anomalies', 'cpu_1'],
      ['--model', 'ssl', '--task', 'graph'],
    ]) {
      const { exitCode, stdout } = await runCli([
        'al',
        'run',
        '--workflow',
        'missing.yml',
        '--out',
        'never',
        ...flags,
        '--json',
      ]);
      expect(exitCode).toBe(1);
      expect(JSON.parse(stdout).error.code).toBe('PROTEUS_CLI_USAGE');
    }
  });
});
