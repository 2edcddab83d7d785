import { execFile, spawn } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { readLedger } from '@proteus-wf/injector';
import { createTempDir, repoRoot } from '@proteus-wf/test-utils';
import { describe, expect, it } from 'vitest';
import { runCli } from '../src/run-cli.js';

// Slow (about 1-2 minutes on 2 busy cores): a real `proteus al run` process is killed with SIGKILL in the middle of
// an iteration's experiments, then resumed. Run with PROTEUS_SLOW=1.
const slow = process.env.PROTEUS_SLOW === '1';
if (!slow) console.warn('al run kill -9 resume test: skipped (set PROTEUS_SLOW=1 to run it, about 2 minutes)');

const register = join(repoRoot, 'examples', '01-live-loop', 'scripts', 'register.mjs');
const bin = join(repoRoot, 'packages', 'cli', 'src', 'bin.ts');

describe.skipIf(!slow)('proteus al run --resume after kill -9 (slow)', () => {
  it('finishes the loop with no run lost or duplicated and no anomaly left applied', async () => {
    const dir = await createTempDir('proteus-al-resume-');
    try {
      const workflow = join(dir.path, 'workflow', 'workflow.yml');
      const generator = join(repoRoot, 'examples', 'workflows', '1000genome-like', 'generate.mjs');
      await promisify(execFile)(process.execPath, [generator, '--scale', 'small', '--out', workflow]);
      const out = join(dir.path, 'live');
      const args = ['al', 'run', '--workflow', workflow, '--out', out, '--iterations', '3', '--per-iteration', '2'];
      const tiny = ['--test-runs', '2', '--calibration-runs', '2', '--steps', '5'];

      // Kill the process once iteration 2's second run has started: one run of the batch is done, one is half-run.
      const child = spawn(process.execPath, ['--import', register, bin, ...args, ...tiny], { cwd: repoRoot });
      let stderr = '';
      const killed = new Promise<void>((resolve, reject) => {
        child.stderr.on('data', (chunk: Buffer) => {
          stderr += chunk.toString();
          const iteration2 = stderr.indexOf('iteration 2/3: request');
          if (iteration2 >= 0 && stderr.indexOf('run 2/2', iteration2) >= 0) child.kill('SIGKILL');
        });
        child.on('exit', (code, signal) =>
          signal === 'SIGKILL' ? resolve() : reject(new Error(`exited ${code} before the kill:\n${stderr}`)),
        );
      });
      await killed;
      const checkpoint = JSON.parse(await readFile(join(out, 'checkpoints', 'gradient.json'), 'utf8'));
      expect(checkpoint.iteration).toBe(1);

      const resumed = await runCli([...args, ...tiny, '--resume', '--json']);
      expect(resumed.exitCode, resumed.stderr).toBe(0);
      const summary = JSON.parse(resumed.stdout);
      expect(summary.strategies[0].curve.map((point: { samples: number }) => point.samples)).toEqual([2, 4, 6]);
      // 3 iterations x 2 runs: the run finished before the kill is reused, the half-run one is run again under its id.
      const csvs = (await readdir(summary.live.traces)).filter((name) => name.endsWith('.csv'));
      expect(csvs.sort()).toEqual([1, 2, 3, 4, 5, 6].map((n) => `1000genome-like-run000${n}.csv`));
      for (const folder of ['traces', 'test-set', 'calibration']) {
        const ledger = await readLedger(join(out, folder, 'injector-ledger.jsonl'));
        expect(ledger.filter((entry) => entry.state !== 'reverted')).toEqual([]);
      }
    } finally {
      await dir.dispose();
    }
  }, 600_000);
});
