import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createTempDir, hasSharedDatasets, sharedDataset } from '@proteus-wf/test-utils';
import { describe, expect, it } from 'vitest';
import { DATASET_INSPECT_FIELDS } from '../../test/support/dataset-inspect-fields.js';
import { runCli } from '../run-cli.js';

const eht = sharedDataset('flowbench/eht_imaging.zip');

describe.skipIf(!hasSharedDatasets)('proteus dataset', () => {
  it('inspect --json prints exactly the contract fields with the real counts', async () => {
    const { exitCode, stdout, stderr } = await runCli(['dataset', 'inspect', eht, '--json']);
    expect(stderr).not.toMatch(/^proteus: (?!warning:)/m);
    expect(exitCode).toBe(0);
    const summary = JSON.parse(stdout);
    expect(Object.keys(summary)).toEqual(DATASET_INSPECT_FIELDS);
    expect(summary).toMatchObject({
      workflow: 'eht_imaging',
      generation: 2,
      runs: 501,
      jobsPerRun: 12,
      edges: 18,
      skipped: [],
    });
    expect(summary.runLabels).toEqual({ normal: 212, cpu_2: 76, cpu_3: 74, hdd_5: 70, hdd_10: 69 });
    expect(summary.jobLabels).toEqual({ normal: 4908, cpu_2: 354, cpu_3: 241, hdd_5: 261, hdd_10: 248 });
    expect(summary.anomalousJobFraction).toBeCloseTo((354 + 241 + 261 + 248) / (501 * 12), 12);
  });

  it('inspect without --json prints a readable table', async () => {
    const { exitCode, stdout } = await runCli(['dataset', 'inspect', eht]);
    expect(exitCode).toBe(0);
    expect(stdout).toMatch(/^workflow\s+eht_imaging$/m);
    expect(stdout).toMatch(/^normal\s+212\s+4908$/m);
  });

  it('inspect reads a gen-1 zip and lists its skipped runs', async () => {
    const { exitCode, stdout } = await runCli([
      'dataset',
      'inspect',
      sharedDataset('exogeni-2020/1000genome.zip'),
      '--json',
    ]);
    expect(exitCode).toBe(0);
    const summary = JSON.parse(stdout);
    expect(summary).toMatchObject({ generation: 1, runs: 1220, jobsPerRun: 57, edges: 129 });
    expect(summary.skipped).toHaveLength(5);
    for (const skipped of summary.skipped) {
      expect(Object.keys(skipped)).toEqual(['file', 'code', 'message']);
      expect(skipped.code).toBe('PROTEUS_FEATURES_COLUMN_MISSING');
    }
  });

  it('convert writes an Arrow feature file', async () => {
    const temp = await createTempDir();
    try {
      const out = join(temp.path, 'eht.arrow');
      const { exitCode, stdout } = await runCli([
        'dataset',
        'convert',
        eht,
        '--pipeline',
        'flowbench-v1',
        '--out',
        out,
        '--json',
      ]);
      expect(exitCode).toBe(0);
      expect(existsSync(out)).toBe(true);
      expect(JSON.parse(stdout)).toMatchObject({
        out,
        pipeline: 'flowbench-v1',
        runs: 501,
        jobsPerRun: 12,
        features: expect.arrayContaining(['node_hop']),
      });
    } finally {
      await temp.dispose();
    }
  });

  it.each([
    [['dataset', 'inspect', '/nonexistent/x.zip'], /no file or folder/],
    [['dataset', 'inspect', eht, '--generation', '3'], /generation/],
    [['dataset', 'convert', eht], /out/],
    [['dataset', 'convert', eht, '--out', 'x.arrow', '--pipeline', 'nope'], /pipeline/],
    [['dataset', 'inspect', eht, '--adjacency', '/nonexistent/dag.json'], /adjacency/],
  ])('exits 1 with a clear message for %j', async (argv, message) => {
    const { exitCode, stderr } = await runCli(argv);
    expect(exitCode).toBe(1);
    expect(stderr).toMatch(message);
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it('prints { error: { code } } with --json', async () => {
    const { exitCode, stdout } = await runCli(['dataset', 'inspect', '/nonexistent/x.zip', '--json']);
    expect(exitCode).toBe(1);
    expect(JSON.parse(stdout).error.code).toBe('PROTEUS_FEATURES_PATH_NOT_FOUND');
  });
});
