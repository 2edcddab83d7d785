import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTempDir, hasSharedDatasets, sharedDataset } from '../../../../tooling/test-utils/src/index.js';
import { runCli } from '../run-cli.js';

const eht = sharedDataset('flowbench/eht_imaging.zip');
const pycbc = sharedDataset('flowbench/pycbc_inference.zip');
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
  // The model the first test trains and saves; the evaluate/score tests read it.
  let trained: { dir: string; test: { threshold: number } };
  beforeAll(async () => {
    temp = await createTempDir();
  });
  afterAll(async () => temp.dispose());

  it('trains without labels, prints ranking and threshold metrics on the test runs and saves model.onnx + model.json', async () => {
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
    expect(stderr).not.toMatch(/^proteus: (?!warning:)/m);
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
    const sidecar = JSON.parse(readFileSync(join(out, 'model.json'), 'utf8'));
    expect(sidecar).toMatchObject({ model: 'ssl', workflow: 'eht_imaging', jobs: 12 });
    // Threshold metrics at the threshold saved in the model, beside the ranking metrics.
    expect(result.test.threshold).toBe(sidecar.threshold.value);
    for (const key of ['accuracy', 'precision', 'recall', 'f1']) {
      expect(result.test[key]).toBeGreaterThanOrEqual(0);
      expect(result.test[key]).toBeLessThanOrEqual(1);
    }
    expect(result.test.confusionMatrix.flat().reduce((a: number, b: number) => a + b, 0)).toBe(result.test.count);
    trained = { dir: out, test: result.test };
  });

  it('evaluate --json measures the saved SSL model on every job of a labelled dataset', async () => {
    const { exitCode, stdout, stderr } = await runCli(['evaluate', '--model', trained.dir, '--dataset', eht, '--json']);
    expect(stderr).not.toMatch(/^proteus: (?!warning:)/m);
    expect(exitCode).toBe(0);
    const result = JSON.parse(stdout);
    expect(result).toMatchObject({ kind: 'ssl', workflow: 'eht_imaging', task: 'node', runs: 501 });
    expect(result.test.count).toBe(501 * 12);
    expect(result.test.classes).toEqual(['normal', 'anomalous']);
    expect(result.test.threshold).toBe(trained.test.threshold);
    expect(result.test.rocAuc).toBeGreaterThan(0);
    expect(result.test.rocAuc).toBeLessThan(1);
    const [[tn, fp], [fn, tp]] = result.test.confusionMatrix;
    expect(result.test.accuracy).toBeCloseTo((tn + tp) / (tn + fp + fn + tp), 12);
    expect(fn + tp).toBe(result.test.anomalies);
  });

  it("score --json prints each job's anomaly score, decided at the saved threshold", async () => {
    const { exitCode, stdout } = await runCli(['score', '--model', trained.dir, '--dataset', eht, '--json']);
    expect(exitCode).toBe(0);
    const result = JSON.parse(stdout);
    expect(result).toMatchObject({ kind: 'ssl', task: 'node', classes: ['normal', 'anomalous'], runs: 501 });
    expect(result.threshold).toBe(trained.test.threshold);
    expect(result.jobs).toHaveLength(501 * 12);
    for (const job of result.jobs.slice(0, 200))
      expect(job.predicted).toBe(job.score > result.threshold ? 'anomalous' : 'normal');
    expect(new Set(result.jobs.map((j: { predicted: string }) => j.predicted)).size).toBe(2);
  });

  it('evaluate and score of another workflow fail with PROTEUS_MODELS_WORKFLOW_MISMATCH', async () => {
    for (const command of ['evaluate', 'score']) {
      const { exitCode, stdout } = await runCli([command, '--model', trained.dir, '--dataset', pycbc, '--json']);
      expect(exitCode).toBe(1);
      expect(JSON.parse(stdout).error.code).toBe('PROTEUS_MODELS_WORKFLOW_MISMATCH');
    }
  });

  it('fails with PROTEUS_CLI_USAGE for a graph-level task', async () => {
    const args = [...sslArgs];
    args[args.indexOf('node')] = 'graph';
    const { exitCode, stdout, stderr } = await runCli([...args, '--epochs', '1', '--json']);
    expect(exitCode).toBe(1);
    expect(JSON.parse(stdout).error.code).toBe('PROTEUS_CLI_USAGE');
    expect(stderr).toContain('Run `proteus train --help` for usage.');
  });
});
