import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTempDir, hasSharedDatasets, sharedDataset } from '../../../../tooling/test-utils/src/index.js';
import { runCli } from '../run-cli.js';

const eht = sharedDataset('flowbench/eht_imaging.zip');
const sslArgs = [
  'train',
  '--dataset',
  eht,
  '--model',
  'ssl',
  '--task',
  'node',
  '--labels',
  'binary',
  '--protocol',
  'deployable',
];

describe.skipIf(!hasSharedDatasets)('proteus train --model ssl', () => {
  let temp: { path: string; dispose: () => Promise<void> };
  beforeAll(async () => {
    temp = await createTempDir();
  });
  afterAll(async () => temp.dispose());

  it('trains without labels, prints ranking metrics on the test runs and saves model.onnx + model.json', async () => {
    const out = join(temp.path, 'ssl');
    const { exitCode, stdout, stderr } = await runCli([
      ...sslArgs,
      '--epochs',
      '2',
      '--seed',
      '3',
      '--out',
      out,
      '--json',
    ]);
    expect(stderr).toBe('');
    expect(exitCode).toBe(0);
    const result = JSON.parse(stdout);
    expect(result).toMatchObject({
      model: 'ssl',
      task: 'node',
      protocol: 'deployable',
      workflow: 'eht_imaging',
      epochs: 2,
    });
    expect(result.runs.train + result.runs.val + result.runs.test).toBe(501);
    expect(result.test.count).toBe(result.runs.test * 12);
    for (const key of ['rocAuc', 'averagePrecision', 'precisionAtK']) {
      expect(result.test[key]).toBeGreaterThanOrEqual(0);
      expect(result.test[key]).toBeLessThanOrEqual(1);
    }
    expect(JSON.parse(readFileSync(join(out, 'model.json'), 'utf8'))).toMatchObject({
      model: 'ssl',
      workflow: 'eht_imaging',
      jobs: 12,
    });
  });

  it('fails with PROTEUS_CLI_USAGE for a graph-level task', async () => {
    const args = [...sslArgs];
    args[args.indexOf('node')] = 'graph';
    const { exitCode, stdout } = await runCli([...args, '--epochs', '1', '--json']);
    expect(exitCode).toBe(1);
    expect(JSON.parse(stdout).error.code).toBe('PROTEUS_CLI_USAGE');
  });
});
