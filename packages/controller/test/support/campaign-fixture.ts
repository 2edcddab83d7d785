import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CampaignConfigInput } from '../../src/index.js';

export const fixturesDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');
export const diamondPath = join(fixturesDir, 'diamond.dag');

/** A small campaign on two workers: one normal run, one cpu_1 run and one hdd_1 run of the diamond workflow. */
export function smallCampaign(overrides: Partial<CampaignConfigInput> = {}): CampaignConfigInput {
  return {
    infrastructure: {
      workers: [
        { name: 'w1', cores: 1, memory_mb: 256 },
        { name: 'w2', cores: 1, memory_mb: 256 },
      ],
    },
    experiments: [
      { workflow: 'diamond', type: 'normal', number_of_runs: 1, number_of_anomaly_workers: [] },
      { workflow: 'diamond', anomaly: 'cpu', levels: [1], number_of_runs: 1, number_of_anomaly_workers: [1] },
      { workflow: 'diamond', type: 'hdd_1', number_of_runs: 1, number_of_anomaly_workers: [1] },
    ],
    workflows: { diamond: { path: diamondPath } },
    ...overrides,
  };
}

/** Rows of a CSV written by the controller as { job, label, worker } (job names and labels hold no commas). */
export async function readLabels(
  csv: string,
): Promise<Array<{ job: string; label: string; worker: string; transformation: string; runtime: number }>> {
  const [header, ...lines] = (await readFile(csv, 'utf8')).trimEnd().split('\n');
  const columns = (header as string).split(',');
  const at = (name: string) => columns.indexOf(name);
  return lines.map((line) => {
    const cells = line.split(',');
    return {
      job: cells[0] as string,
      label: cells[1] as string,
      worker: cells[at('kickstart_hostname')] as string,
      transformation: cells[at('kickstart_transformations')] as string,
      runtime: Number(cells[at('runtime')]),
    };
  });
}
