import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createTempDir, hasSharedDatasets, sharedDataset } from '../../../tooling/test-utils/src/index.js';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const WRITERS = 8;
const CELLS_PER_WRITER = 40;

function runWriter(
  results: string,
  seeds: number[],
  markdown: string,
): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        join(repoRoot, 'examples/01-live-loop/scripts/register.mjs'),
        join(repoRoot, 'scripts/evaluate-detectors.mjs'),
        '--datasets',
        sharedDataset('flowbench'),
        '--workflows',
        'eht_imaging',
        '--detectors',
        'zscore',
        '--seeds',
        seeds.join(','),
        '--results',
        results,
        '--markdown',
        markdown,
      ],
      { cwd: repoRoot, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

describe('evaluate-detectors results cache', () => {
  // Several evaluations share one results file (other workflows, other detectors). Before the lock, each process
  // re-read the file and wrote it atomically, yet a cell written by one process between another's read and write
  // was lost (8 writers x 60 cells: 6-8 of 480 cells lost in each of 3 tries).
  it.skipIf(!hasSharedDatasets)(
    'keeps every cell when several writer processes record into one cache at once',
    async () => {
      const dir = await createTempDir('proteus-leaderboard-cache-');
      try {
        const results = join(dir.path, 'detectors.json');
        const outcomes = await Promise.all(
          Array.from({ length: WRITERS }, (_, w) =>
            runWriter(
              results,
              Array.from({ length: CELLS_PER_WRITER }, (_, i) => w * 1000 + i),
              join(dir.path, `detectors-${w}.md`),
            ),
          ),
        );
        for (const outcome of outcomes) expect(outcome.code, outcome.stderr).toBe(0);
        const store = JSON.parse(await readFile(results, 'utf8')) as { records: Record<string, { seed: number }> };
        const seeds = Object.values(store.records)
          .map((r) => r.seed)
          .sort((a, b) => a - b);
        const expected = Array.from(
          { length: WRITERS * CELLS_PER_WRITER },
          (_, k) => Math.floor(k / CELLS_PER_WRITER) * 1000 + (k % CELLS_PER_WRITER),
        );
        expect(seeds).toEqual(expected);
      } finally {
        await dir.dispose();
      }
    },
    240_000,
  );
});
