import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasSharedDatasets, repoRoot, sharedDataset } from '@proteus-wf/test-utils';
import { describe, expect, it } from 'vitest';
import { main } from '../src/main.js';

// The local path runs 4 workflow executions (a few minutes on a loaded 2-core machine): PROTEUS_SLOW=1 runs it.
const slow = process.env.PROTEUS_SLOW === '1';
if (!slow) console.warn('examples/02 local runs + live watch: skipped (set PROTEUS_SLOW=1 to run it, several minutes)');

async function run(args: string[]): Promise<{ lines: string[]; result: { alerts: number; jobs: number } }> {
  const out = await mkdtemp(join(tmpdir(), 'proteus-example-02-'));
  try {
    const lines: string[] = [];
    const result = await main([...args, '--out', out], (line) => lines.push(line));
    return { lines, result };
  } finally {
    await rm(out, { recursive: true, force: true });
  }
}

describe('examples/02-score-pegasus-runs', () => {
  it.skipIf(!hasSharedDatasets)(
    'smoke: loads a Flow-Bench zip, trains without labels and scores every job',
    async () => {
      const { lines } = await run(['--flowbench', sharedDataset('flowbench/eht_imaging.zip'), '--epochs', '1']);
      expect(lines[0]).toBe('loaded 501 runs of eht_imaging (12 jobs each)');
      expect(lines[1]).toMatch(/^most anomalous job: \S+ \S+ \(score [\d.]+, threshold [\d.]+\)$/);
    },
  );

  it.skipIf(!slow)(
    'runs the local testbed, loads its runs as Pegasus submit directories, trains, scores and watches a live run',
    async () => {
      const workflow = join(repoRoot, 'examples/workflows/1000genome-like/workflow.yml');
      const { lines, result } = await run(['--workflow', workflow, '--count', '3', '--epochs', '2']);
      expect(lines[0]).toMatch(/^loaded 3 runs of 1000genome-like/);
      expect(result.jobs).toBeGreaterThan(0);
      expect(lines.at(-1)).toMatch(/^live run: \d+\/\d+ jobs/);
    },
    1_800_000,
  );
});
