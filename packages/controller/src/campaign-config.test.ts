import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isProteusError } from '@proteus-wf/core';
import { describe, expect, it } from 'vitest';
import { createTempDir } from '../test/support/temp-dir.js';
import { type ConfigProblem, loadCampaignConfig, parseCampaignConfig } from './index.js';

const base = {
  infrastructure: {
    workers: [
      { name: 'w1', cores: 1, memory_mb: 512 },
      { name: 'w2', cores: 1, memory_mb: 512 },
    ],
  },
  experiments: [{ workflow: 'genome', type: 'cpu_2', number_of_runs: 2, number_of_anomaly_workers: [1] }],
  workflows: { genome: { path: 'genome.yml' } },
};

function problemsOf(input: unknown): ConfigProblem[] {
  try {
    parseCampaignConfig(input);
  } catch (error) {
    expect(isProteusError(error, 'PROTEUS_CONTROLLER_INVALID_CONFIG')).toBe(true);
    return (error as { details: ConfigProblem[] }).details;
  }
  throw new Error('expected PROTEUS_CONTROLLER_INVALID_CONFIG');
}

describe('parseCampaignConfig', () => {
  it('normalises workers, anomalies and resolves workflow paths against baseDir', () => {
    const config = parseCampaignConfig(base, { baseDir: '/campaign' });
    expect(config.infrastructure.workers).toEqual([
      { name: 'w1', cores: 1, memoryMb: 512, site: 'local' },
      { name: 'w2', cores: 1, memoryMb: 512, site: 'local' },
    ]);
    expect(config.experiments).toEqual([{ workflow: 'genome', anomalies: ['cpu_2'], anomalousWorkers: [1], runs: 2 }]);
    expect(config.workflows.genome?.path).toBe('/campaign/genome.yml');
  });

  it('slices Poseidon-X chameleon_nodes into <node>-container-<lo>-<hi> workers with condor_config', () => {
    const config = parseCampaignConfig({
      ...base,
      infrastructure: {
        chameleon_nodes: { worker1: { cores: 10, ram: 32, ip_address: '10.0.0.1' } },
        condor_config: { cores: 4, ram: 8 },
        submit_node: { ip_address: '10.0.0.100' },
      },
    });
    expect(config.infrastructure.workers.map((worker) => worker.name)).toEqual([
      'worker1-container-0-3',
      'worker1-container-4-7',
    ]);
    expect(config.infrastructure.workers[0]?.memoryMb).toBe(8 * 1024);
    expect(config.infrastructure.submitNode).toEqual({ ipAddress: '10.0.0.100' });
  });

  it('expands anomaly + levels into one name per level and an empty worker list into a normal experiment', () => {
    const config = parseCampaignConfig({
      ...base,
      experiments: [
        { workflow: 'genome', anomaly: 'hdd', levels: [5, 10], number_of_runs: 1, number_of_anomaly_workers: [1, 2] },
        { workflow: 'genome', type: 'normal', number_of_runs: 3, number_of_anomaly_workers: [] },
      ],
    });
    expect(config.experiments[0]?.anomalies).toEqual(['hdd_5', 'hdd_10']);
    expect(config.experiments[1]).toEqual({
      workflow: 'genome',
      anomalies: ['normal'],
      anomalousWorkers: [0],
      runs: 3,
    });
  });

  it('throws PROTEUS_CONTROLLER_INVALID_CONFIG listing every schema problem at once', () => {
    const problems = problemsOf({
      infrastructure: { workers: [{ name: 'w 1', cores: 0, memory_mb: 512 }] },
      experiments: [
        { workflow: 'genome', type: 'cpu_2', number_of_runs: -1, number_of_anomaly_workers: [1], extra: 1 },
      ],
      workflows: {},
    });
    const paths = problems.map((problem) => problem.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'infrastructure.workers[0].name',
        'infrastructure.workers[0].cores',
        'experiments[0].number_of_runs',
        'experiments[0]',
      ]),
    );
    expect(problems.length).toBeGreaterThanOrEqual(4);
  });

  it('lists every semantic problem: unknown workflow, unknown anomaly, too many workers, normal with workers', () => {
    const problems = problemsOf({
      ...base,
      experiments: [
        { workflow: 'montage', type: 'cpu_2', number_of_runs: 1, number_of_anomaly_workers: [1] },
        { workflow: 'genome', type: 'gpu_9', number_of_runs: 1, number_of_anomaly_workers: [1] },
        { workflow: 'genome', type: 'cpu_2', number_of_runs: 1, number_of_anomaly_workers: [3] },
        { workflow: 'genome', type: 'normal', number_of_runs: 1, number_of_anomaly_workers: [1] },
        { workflow: 'genome', type: 'cpu_2', number_of_runs: 1, number_of_anomaly_workers: [] },
        { workflow: 'genome', anomaly: 'cpu', number_of_runs: 1, number_of_anomaly_workers: [1] },
      ],
    });
    expect(problems.map((problem) => problem.path)).toEqual([
      'experiments[0].workflow',
      'experiments[1].type',
      'experiments[2].number_of_anomaly_workers[0]',
      'experiments[3].number_of_anomaly_workers[0]',
      'experiments[4].number_of_anomaly_workers[0]',
      'experiments[5].levels',
    ]);
  });

  it('rejects nodes without condor_config and duplicate workers', () => {
    expect(problemsOf({ ...base, infrastructure: { nodes: { n1: { cores: 4, ram: 8 } } } })[0]?.path).toBe(
      'infrastructure.condor_config',
    );
    const duplicate = { name: 'w1', cores: 1, memory_mb: 1 };
    expect(problemsOf({ ...base, infrastructure: { workers: [duplicate, duplicate] } })[0]?.message).toMatch(
      /duplicate/,
    );
  });
});

describe('loadCampaignConfig', () => {
  it('reads a file, resolves paths against its folder and keeps the seed', async () => {
    const dir = await createTempDir();
    try {
      const path = join(dir.path, 'campaign.json');
      await writeFile(path, JSON.stringify({ ...base, seed: 11 }));
      const config = await loadCampaignConfig(path);
      expect(config.workflows.genome?.path).toBe(join(dir.path, 'genome.yml'));
      expect(config.seed).toBe(11);
    } finally {
      await dir.dispose();
    }
  });

  it('throws PROTEUS_CONTROLLER_CONFIG_UNREADABLE for a missing file and for bad JSON', async () => {
    const dir = await createTempDir();
    try {
      await expect(loadCampaignConfig(join(dir.path, 'nope.json'))).rejects.toMatchObject({
        code: 'PROTEUS_CONTROLLER_CONFIG_UNREADABLE',
      });
      await writeFile(join(dir.path, 'bad.json'), '{ "infrastructure": ');
      await expect(loadCampaignConfig(join(dir.path, 'bad.json'))).rejects.toMatchObject({
        code: 'PROTEUS_CONTROLLER_CONFIG_UNREADABLE',
      });
    } finally {
      await dir.dispose();
    }
  });
});

describe('parseCampaignConfig limits and strictness', () => {
  it('rejects unknown keys at every level, naming them', () => {
    const problems = problemsOf({
      ...base,
      infrastructure: {
        workers: [{ name: 'w1', cores: 1, memory_mb: 512, coers: 2 }],
        submit_node: { ip_address: '10.0.0.1', port: 22 },
      },
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        { path: 'infrastructure.workers[0]', message: expect.stringContaining('coers') },
        { path: 'infrastructure.submit_node', message: expect.stringContaining('port') },
      ]),
    );
    const nodes = problemsOf({
      ...base,
      infrastructure: {
        chameleon_nodes: { n1: { cores: 8, ram: 32, huors: 2 } },
        condor_config: { cores: 2, ram: 4, extra: true },
      },
    });
    expect(nodes.map((problem) => problem.path).sort()).toEqual([
      'infrastructure.chameleon_nodes.n1',
      'infrastructure.condor_config',
    ]);
  });

  it('bounds every count: runs per experiment, levels, workers, cores, memory', () => {
    const paths = problemsOf({
      ...base,
      infrastructure: { workers: [{ name: 'w1', cores: 1e6, memory_mb: 1e12 }] },
      experiments: [
        {
          workflow: 'genome',
          anomaly: 'cpu',
          levels: Array.from({ length: 101 }, (_, i) => i + 1),
          number_of_runs: 1e8,
          number_of_anomaly_workers: [1],
        },
      ],
    }).map((problem) => problem.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'infrastructure.workers[0].cores',
        'infrastructure.workers[0].memory_mb',
        'experiments[0].levels',
        'experiments[0].number_of_runs',
      ]),
    );
    expect(
      problemsOf({
        ...base,
        infrastructure: { nodes: { n1: { cores: 4096, ram: 65536 } }, condor_config: { cores: 1, ram: 1 } },
      }),
    ).toEqual(
      expect.arrayContaining([{ path: 'infrastructure.nodes.n1', message: expect.stringContaining('1024 workers') }]),
    );
  });

  it('rejects a campaign whose entries expand into more than CAMPAIGN_LIMITS.runs runs before planning any', () => {
    const experiments = Array.from({ length: 3 }, () => ({
      workflow: 'genome',
      type: 'normal',
      number_of_runs: 10_000,
      number_of_anomaly_workers: [],
    }));
    expect(problemsOf({ ...base, experiments })).toEqual([
      { path: 'experiments', message: expect.stringContaining('30000 runs') },
    ]);
  });
});
