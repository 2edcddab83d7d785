import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTempDir, hasSharedDatasets, sharedDataset } from '../../../../tooling/test-utils/src/index.js';
import { runCli } from '../run-cli.js';

const eht = sharedDataset('flowbench/eht_imaging.zip');
const pycbc = sharedDataset('flowbench/pycbc_inference.zip');
const montage = sharedDataset('flowbench/montage.zip');

describe.skipIf(!hasSharedDatasets)('proteus train / evaluate / score', () => {
  let temp: { path: string; dispose: () => Promise<void> };
  let modelDir: string;
  let trained: Record<string, unknown> & { runs: { train: number; val: number; test: number } };

  beforeAll(async () => {
    temp = await createTempDir();
    modelDir = join(temp.path, 'eht-node');
    const { exitCode, stdout, stderr } = await runCli([
      'train',
      '--dataset',
      eht,
      '--model',
      'gcn',
      '--task',
      'node',
      '--labels',
      'binary',
      '--protocol',
      'deployable',
      '--epochs',
      '3',
      '--seed',
      '7',
      '--out',
      modelDir,
      '--json',
    ]);
    expect(stderr).not.toMatch(/^proteus: (?!warning:)/m);
    expect(exitCode).toBe(0);
    trained = JSON.parse(stdout);
  });
  afterAll(async () => temp.dispose());

  it('train --json prints the contract fields and saves model.onnx + model.json', () => {
    expect(trained).toMatchObject({
      model: 'gcn',
      task: 'node',
      protocol: 'deployable',
      workflow: 'eht_imaging',
      epochs: 3,
    });
    expect(trained.runs.train + trained.runs.val + trained.runs.test).toBe(501);
    const test = trained.test as Record<string, number>;
    for (const key of ['accuracy', 'precision', 'recall', 'f1', 'rocAuc', 'averagePrecision', 'precisionAtK']) {
      expect(test[key]).toBeGreaterThanOrEqual(0);
      expect(test[key]).toBeLessThanOrEqual(1);
    }
    expect(test.count).toBe(trained.runs.test * 12);
    expect(typeof trained.trainSeconds).toBe('number');
    expect(existsSync(join(modelDir, 'model.onnx'))).toBe(true);
    expect(JSON.parse(readFileSync(join(modelDir, 'model.json'), 'utf8'))).toMatchObject({
      workflow: 'eht_imaging',
      jobs: 12,
      training: { lr: 3e-3, lrDecay: { factor: 0.5, patience: 10, minLr: 1e-5 } },
    });
  });

  it('train --no-lr-decay keeps the learning rate constant and records it', async () => {
    const out = join(temp.path, 'eht-constant-lr');
    const { exitCode } = await runCli(
      ['train', '--dataset', eht, '--model', 'mlp', '--epochs', '1', '--lr', '0.003', '--no-lr-decay', '--out', out],
      {},
    );
    expect(exitCode).toBe(0);
    expect(JSON.parse(readFileSync(join(out, 'model.json'), 'utf8')).training).toMatchObject({
      lr: 0.003,
      lrDecay: false,
    });
  });

  it('train is deterministic for a seed', async () => {
    const again = await runCli([
      'train',
      '--dataset',
      eht,
      '--model',
      'gcn',
      '--task',
      'node',
      '--labels',
      'binary',
      '--protocol',
      'deployable',
      '--epochs',
      '3',
      '--seed',
      '7',
      '--json',
    ]);
    expect(JSON.parse(again.stdout).test).toEqual(trained.test);
  });

  it('evaluate --json prints the test metrics of the saved model on a whole dataset', async () => {
    const { exitCode, stdout } = await runCli(['evaluate', '--model', modelDir, '--dataset', eht, '--json']);
    expect(exitCode).toBe(0);
    const result = JSON.parse(stdout);
    expect(result).toMatchObject({ workflow: 'eht_imaging', task: 'node', runs: 501 });
    expect(result.test.count).toBe(501 * 12);
    expect(result.test.rocAuc).toBeGreaterThan(0);
  });

  it('score --json prints one score per job, for a zip and for a single CSV run', async () => {
    const all = await runCli(['score', '--model', modelDir, '--dataset', eht, '--json']);
    expect(all.exitCode).toBe(0);
    const scored = JSON.parse(all.stdout);
    expect(scored.jobs).toHaveLength(501 * 12);
    expect(scored.jobs[0]).toEqual({
      run: expect.any(String),
      job: expect.any(String),
      score: expect.any(Number),
      predicted: expect.any(String),
    });
    const csv = join(temp.path, 'eht-imaging-run0001.csv');
    writeFileSync(csv, execFileSync('unzip', ['-p', eht, 'eht-imaging-run0001.csv']));
    const one = await runCli(['score', '--model', modelDir, '--dataset', csv, '--json']);
    expect(one.exitCode).toBe(0);
    const single = JSON.parse(one.stdout);
    expect(single.jobs).toHaveLength(12);
    const sameRun = scored.jobs.filter((j: { run: string }) => j.run === 'eht-imaging-run0001');
    expect(single.jobs.map((j: { score: number }) => j.score)).toEqual(sameRun.map((j: { score: number }) => j.score));
  });

  it('score of another workflow fails with PROTEUS_MODELS_WORKFLOW_MISMATCH', async () => {
    const { exitCode, stdout } = await runCli(['score', '--model', modelDir, '--dataset', pycbc, '--json']);
    expect(exitCode).toBe(1);
    expect(JSON.parse(stdout).error.code).toBe('PROTEUS_MODELS_WORKFLOW_MISMATCH');
  });

  it('evaluate of a corrupted model fails with PROTEUS_MODELS_BAD_ONNX', async () => {
    const broken = join(temp.path, 'broken');
    await runCli([
      'train',
      '--dataset',
      eht,
      '--model',
      'mlp',
      '--task',
      'graph',
      '--labels',
      'binary',
      '--protocol',
      'deployable',
      '--epochs',
      '1',
      '--out',
      broken,
      '--json',
    ]);
    const bytes = readFileSync(join(broken, 'model.onnx'));
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] as number) ^ 0xff;
    writeFileSync(join(broken, 'model.onnx'), bytes);
    const { exitCode, stdout } = await runCli(['evaluate', '--model', broken, '--dataset', eht, '--json']);
    expect(exitCode).toBe(1);
    expect(JSON.parse(stdout).error.code).toBe('PROTEUS_MODELS_BAD_ONNX');
  });

  it('train --protocol paper on gen-1 traces splits node-level jobs transductively', async () => {
    const { exitCode, stdout } = await runCli([
      'train',
      '--dataset',
      sharedDataset('exogeni-2020/wind_clustering_casa.zip'),
      '--generation',
      '1',
      '--model',
      'gcn',
      '--task',
      'node',
      '--labels',
      'multiclass',
      '--protocol',
      'paper',
      '--epochs',
      '1',
      '--json',
    ]);
    expect(exitCode).toBe(0);
    const result = JSON.parse(stdout);
    expect(result.pipeline).toBe('works22');
    // Split by job: jobs of one run land in different parts, so far more runs hold test jobs than 20% of them.
    const total = (result.items.train + result.items.val + result.items.test) / 7;
    expect(result.runs.train).toBeGreaterThan(0.95 * total);
    expect(result.runs.test).toBeGreaterThan(0.5 * total);
    expect(result.test.classes).toEqual(['normal', 'cpu', 'hdd', 'loss']);
  });

  it('train defaults to --task node --labels binary --protocol deployable, says so, and shows progress while loading', async () => {
    const { exitCode, stdout, stderr } = await runCli(
      ['train', '--dataset', eht, '--model', 'mlp', '--epochs', '1', '--json'],
      { env: { ...process.env, PROTEUS_PROGRESS_SECONDS: '0' } },
    );
    expect(exitCode, stderr).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ task: 'node', labels: 'binary', protocol: 'deployable' });
    expect(stderr).toContain('using --task node --labels binary --protocol deployable');
    expect(stderr).toMatch(/^loading runs: \d+\/501 runs \(\d+%\), elapsed \d+ s/m);
    expect(stderr).toMatch(/^loading runs: 501\/501 runs \(100%\)/m);
    expect(stderr).toMatch(/^training: epoch 1\/1 \(100%\)/m);
  });

  it('train warns when the model predicts one class for every run, beside the majority-class baseline', async () => {
    // montage, graph level: 54 of the 64 test runs are anomalous and the GCN calls every run anomalous.
    const { exitCode, stdout, stderr } = await runCli([
      'train',
      '--dataset',
      montage,
      '--model',
      'gcn',
      '--task',
      'graph',
      '--labels',
      'binary',
      '--protocol',
      'deployable',
      '--epochs',
      '5',
      '--json',
    ]);
    expect(exitCode, stderr).toBe(0);
    const result = JSON.parse(stdout);
    expect(result.test.recall).toBe(1);
    expect(result.test.precision).toBe(result.test.accuracy);
    expect(result.baseline).toEqual({
      majorityClass: 'anomalous',
      accuracy: result.test.accuracy,
      precision: result.test.precision,
      recall: 1,
      f1: result.test.f1,
    });
    expect(result.warnings).toHaveLength(1);
    expect(stderr).toMatch(/^proteus: warning: the model predicts "anomalous" for every one of the 64 test runs/m);
  }, 180_000);

  it('train prints the majority-class baseline beside accuracy and F1', async () => {
    const { exitCode, stdout } = await runCli([
      'train',
      ...['--dataset', eht, '--model', 'mlp', '--epochs', '1'],
      ...['--task', 'node', '--labels', 'binary', '--protocol', 'deployable'],
    ]);
    expect(exitCode).toBe(0);
    expect(stdout).toMatch(/^metric\s+test\s+majority baseline \(all "normal"\)$/m);
    expect(stdout).toMatch(/^accuracy\s+\d\.\d{4}\s+\d\.\d{4}$/m);
    expect(stdout).toMatch(/^F1\s+\d\.\d{4}\s+0\.0000$/m);
  });
});
