import { execFile } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createTempDir, repoRoot } from '@proteus-wf/test-utils';
import { describe, expect, it } from 'vitest';
import { main } from '../src/main.js';

describe('example 01-live-loop (smoke)', () => {
  it('learns from live runs on the local testbed and scores a held-out test set after every iteration', async () => {
    const dir = await createTempDir('proteus-example-live-');
    try {
      const workflow = join(dir.path, 'workflow', 'workflow.yml');
      const generator = join(repoRoot, 'examples', 'workflows', '1000genome-like', 'generate.mjs');
      await promisify(execFile)(process.execPath, [generator, '--scale', 'small', '--out', workflow]);
      const lines: string[] = [];
      const out = join(dir.path, 'out');
      const argv = [
        '--workflow',
        workflow,
        '--out',
        out,
        '--iterations',
        '2',
        '--per-iteration',
        '1',
        '--test-runs',
        '2',
      ];
      const result = await main(argv, (line) => lines.push(String(line)));
      expect(result.iterations.map((record) => record.samples)).toEqual([1, 2]);
      for (const record of result.iterations) expect(record.metrics?.rocAuc).toBeGreaterThanOrEqual(0);
      expect(lines.some((line) => line.startsWith('held-out test set: '))).toBe(true);
      expect(lines.filter((line) => /^iteration \d: learned from /.test(line))).toHaveLength(2);
      // Two training runs: each a Flow-Bench CSV beside the submit directory the controller read it back from.
      const traces = await readdir(join(out, 'traces', '1000genome-like'));
      expect(traces.filter((name) => name.endsWith('.csv'))).toHaveLength(2);
      expect(traces.filter((name) => name.endsWith('.submit'))).toHaveLength(2);
    } finally {
      await dir.dispose();
    }
  }, 300_000);
});
