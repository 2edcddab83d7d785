import { describe, expect, it } from 'vitest';
import { parseCampaignConfig, planCampaign } from './index.js';

const config = parseCampaignConfig(
  {
    infrastructure: {
      workers: ['w1', 'w2', 'w3', 'w4'].map((name) => ({ name, cores: 1, memory_mb: 256 })),
    },
    experiments: [
      { workflow: 'genome', type: 'normal', number_of_runs: 2, number_of_anomaly_workers: [] },
      { workflow: 'genome', anomaly: 'cpu', levels: [2, 3], number_of_runs: 2, number_of_anomaly_workers: [1, 2] },
      { workflow: 'montage', type: 'hdd_5', number_of_runs: 1, number_of_anomaly_workers: [3] },
    ],
    workflows: { genome: { path: '/w/genome.yml' }, montage: { path: '/w/montage.yml' } },
  },
  { baseDir: '/' },
);

describe('planCampaign', () => {
  it('expands entries -> levels -> worker counts -> runs in Poseidon-X order, numbering runs per workflow', () => {
    const plan = planCampaign(config, { seed: 1 });
    expect(plan.runs.map((run) => `${run.id}:${run.anomaly}:${run.anomalousWorkers.length}`)).toEqual([
      'genome-run0001:normal:0',
      'genome-run0002:normal:0',
      'genome-run0003:cpu_2:1',
      'genome-run0004:cpu_2:1',
      'genome-run0005:cpu_2:2',
      'genome-run0006:cpu_2:2',
      'genome-run0007:cpu_3:1',
      'genome-run0008:cpu_3:1',
      'genome-run0009:cpu_3:2',
      'genome-run0010:cpu_3:2',
      'montage-run0001:hdd_5:3',
    ]);
    for (const run of plan.runs) {
      expect(new Set(run.anomalousWorkers).size).toBe(run.anomalousWorkers.length);
      for (const worker of run.anomalousWorkers) expect(['w1', 'w2', 'w3', 'w4']).toContain(worker);
    }
  });

  it('is deterministic: the same config and seed give the same plan and id; another seed changes the draw', () => {
    const a = planCampaign(config, { seed: 42 });
    const b = planCampaign(config, { seed: 42 });
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
    expect(a.id).toMatch(/^[0-9a-f]{16}$/);
    const draws = (seed: number) => planCampaign(config, { seed }).runs.map((run) => run.anomalousWorkers.join('+'));
    const seeds = [1, 2, 3, 4, 5].map(draws).map((list) => list.join(','));
    expect(new Set(seeds).size).toBeGreaterThan(1);
    expect(planCampaign(config, { seed: 43 }).id).not.toBe(a.id);
  });

  it('spreads the anomalous worker choice over all workers', () => {
    const counts = new Map<string, number>();
    for (let seed = 0; seed < 50; seed++) {
      for (const run of planCampaign(config, { seed }).runs) {
        for (const worker of run.anomalousWorkers) counts.set(worker, (counts.get(worker) ?? 0) + 1);
      }
    }
    expect([...counts.keys()].sort()).toEqual(['w1', 'w2', 'w3', 'w4']);
    const values = [...counts.values()];
    expect(Math.min(...values) / Math.max(...values)).toBeGreaterThan(0.7);
  });

  it('continues numbering from firstRunNumbers', () => {
    const plan = planCampaign(config, { seed: 1, firstRunNumbers: { genome: 13 } });
    expect(plan.runs[0]?.id).toBe('genome-run0013');
    expect(plan.runs.at(-1)?.id).toBe('montage-run0001');
  });
});

describe('planCampaign limits', () => {
  it('throws PROTEUS_CONTROLLER_TOO_MANY_RUNS for a programmatic config of 200000 runs (limit 20000), before making any', () => {
    const config = {
      infrastructure: { workers: [{ name: 'w1', cores: 1, memoryMb: 256, site: 'local' }] },
      experiments: [{ workflow: 'genome', anomalies: ['normal'], anomalousWorkers: [0], runs: 200_000 }],
      workflows: { genome: { path: '/w/genome.yml' } },
    };
    expect(() => planCampaign(config, { seed: 1 })).toThrow(
      expect.objectContaining({ code: 'PROTEUS_CONTROLLER_TOO_MANY_RUNS', details: { runs: 200_000, limit: 20_000 } }),
    );
  });
});
