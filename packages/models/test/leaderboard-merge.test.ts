import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createTempDir, hasSharedDatasets, sharedDataset } from '../../../tooling/test-utils/src/index.js';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

function runScript(args: string[]): Promise<{ code: number | null; stderr: string }> {
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
        ...args,
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

describe('evaluate-detectors --merge', () => {
  // Parallel evaluations write separate files; one process then adds their cells of the named detectors to the cache.
  it.skipIf(!hasSharedDatasets)(
    "adds another results file's cells of the named detectors to the cache, keeps the cache's own, and tabulates them",
    async () => {
      const dir = await createTempDir('proteus-leaderboard-merge-');
      try {
        const side = join(dir.path, 'side.json');
        const cache = join(dir.path, 'detectors.json');
        const markdown = join(dir.path, 'detectors.md');
        const evaluated = await runScript([
          '--detectors',
          'zscore',
          '--seeds',
          '0,1',
          '--results',
          side,
          '--markdown',
          markdown,
        ]);
        expect(evaluated.code, evaluated.stderr).toBe(0);
        const sideRecords = JSON.parse(await readFile(side, 'utf8')).records as Record<string, { detector: string }>;
        // A foreign cell of another detector in the side file is not merged; the cache's own cell stays.
        sideRecords['eht_imaging/knn/0/{"k":5}'] = { ...Object.values(sideRecords)[0], detector: 'knn' } as never;
        await writeFile(
          side,
          JSON.stringify({ format: 'proteus-detector-leaderboard', version: 1, records: sideRecords }),
        );
        const own = { 'eht_imaging/iforest/9/{}': { detector: 'iforest', workflow: 'eht_imaging', seed: 9 } };
        await writeFile(cache, JSON.stringify({ format: 'proteus-detector-leaderboard', version: 1, records: own }));
        const merged = await runScript([
          '--detectors',
          'zscore',
          '--seeds',
          '0,1',
          '--results',
          cache,
          '--markdown',
          markdown,
          '--merge',
          side,
          '--table-only',
        ]);
        expect(merged.code, merged.stderr).toBe(0);
        const keys = Object.keys(JSON.parse(await readFile(cache, 'utf8')).records).sort();
        expect(keys).toEqual(['eht_imaging/iforest/9/{}', 'eht_imaging/zscore/0/{}', 'eht_imaging/zscore/1/{}']);
        expect(await readFile(markdown, 'utf8')).toMatch(/\| eht_imaging \(12, \d+\) \| \*\*\.\d{3} ± \.\d{3}\*\* \|/);
      } finally {
        await dir.dispose();
      }
    },
    120_000,
  );
});
