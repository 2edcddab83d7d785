import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTempDir, hasSharedDatasets, sharedDataset } from '../../../../tooling/test-utils/src/index.js';
import { runCli } from '../run-cli.js';

const small = sharedDataset('exogeni-2020/nowcast_clustering_8.zip');
const large = sharedDataset('exogeni-2020/nowcast_clustering_16.zip');
const largeDag = sharedDataset('exogeni-2020/adjacency_list_dags/nowcast_clustering_16.json');
const montageDag = sharedDataset('flowbench/adjacency_list_dags/montage.json');

describe.skipIf(!hasSharedDatasets)('proteus evaluate / score --adjacency: another instance of the workflow', () => {
  let temp: { path: string; dispose: () => Promise<void> };
  let modelDir: string;

  beforeAll(async () => {
    temp = await createTempDir();
    modelDir = join(temp.path, 'nowcast-8');
    const trained = await runCli([
      'train',
      '--dataset',
      small,
      '--model',
      'gcn',
      '--task',
      'node',
      '--epochs',
      '2',
      '--seed',
      '1',
      '--out',
      modelDir,
      '--json',
    ]);
    expect(trained.stderr).not.toMatch(/^proteus: (?!warning:)/m);
    expect(trained.exitCode).toBe(0);
  });
  afterAll(async () => temp.dispose());

  it('evaluates a model of nowcast_clustering_8 (13 jobs) on nowcast_clustering_16 (9 jobs) by job type', async () => {
    const { exitCode, stdout } = await runCli([
      'evaluate',
      '--model',
      modelDir,
      '--dataset',
      large,
      '--adjacency',
      largeDag,
      '--json',
    ]);
    expect(exitCode).toBe(0);
    const result = JSON.parse(stdout);
    expect(result).toMatchObject({
      workflow: 'nowcast_clustering_16',
      task: 'node',
      trainedOn: { jobs: 13, unknownJobTypes: [] },
    });
    expect(result.test.count).toBe(result.runs * 9);
    expect(result.test.rocAuc).toBeGreaterThan(0);
    const scored = await runCli(['score', '--model', modelDir, '--dataset', large, '--adjacency', largeDag, '--json']);
    expect(scored.exitCode).toBe(0);
    expect(JSON.parse(scored.stdout).jobs).toHaveLength(result.runs * 9);
  });

  it('trains with --normalize job-type, saves a portable model.onnx with the per-type statistics, and evaluates the other instance', async () => {
    const dir = join(temp.path, 'nowcast-8-job-type');
    const trained = await runCli([
      'train',
      '--dataset',
      small,
      '--model',
      'gcn',
      '--task',
      'node',
      '--epochs',
      '2',
      '--normalize',
      'job-type',
      '--out',
      dir,
      '--json',
    ]);
    expect(trained.exitCode).toBe(0);
    const metadata = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8'));
    expect(metadata).toMatchObject({
      formatVersion: 2,
      normalization: { kind: 'job-type', scaler: { kind: 'per-job-type' } },
      onnx: { portable: { nodes: 'nodes', edgeIndex: 'edge_index', edgeWeight: 'edge_weight' } },
    });
    expect(Object.keys(metadata.normalization.scaler.types)).toContain('mrtV2');
    const { exitCode, stdout } = await runCli([
      'evaluate',
      '--model',
      dir,
      '--dataset',
      large,
      '--adjacency',
      largeDag,
      '--json',
    ]);
    expect(exitCode).toBe(0);
    const result = JSON.parse(stdout);
    expect(result.test.count).toBe(result.runs * 9);
    expect(result.test.rocAuc).toBeGreaterThan(0);
  });

  it('refuses a DAG with job types the model never saw: PROTEUS_MODELS_UNKNOWN_JOB_TYPE', async () => {
    const { exitCode, stdout } = await runCli([
      'evaluate',
      '--model',
      modelDir,
      '--dataset',
      sharedDataset('flowbench/montage.zip'),
      '--adjacency',
      montageDag,
      '--json',
    ]);
    expect(exitCode).toBe(1);
    expect(JSON.parse(stdout).error.code).toBe('PROTEUS_MODELS_UNKNOWN_JOB_TYPE');
  });
});
