import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { createTempDir } from '@proteus-wf/test-utils';
import { describe, expect, it } from 'vitest';
import { runCli } from '../run-cli.js';

const stress = JSON.stringify({ kind: 'stress', engine: 'node', cpu: { workers: 1, loadPercent: 10 } });

describe('proteus inject', () => {
  it('apply --duration holds the anomaly, reverts it and records both in the ledger', async () => {
    const temp = await createTempDir();
    try {
      const ledger = join(temp.path, 'ledger.jsonl');
      const applied = await runCli([
        'inject',
        'apply',
        stress,
        '--target',
        'local',
        '--ledger',
        ledger,
        '--duration',
        '0.2',
        '--run-id',
        'r1',
        '--worker',
        'w1',
        '--json',
      ]);
      expect(applied.stderr).toBe('');
      expect(applied.exitCode).toBe(0);
      const summary = JSON.parse(applied.stdout);
      expect(summary).toMatchObject({ target: 'local', reverted: true, ledger, spec: { kind: 'stress' } });
      const listed = await runCli(['inject', 'list', '--ledger', ledger, '--json']);
      expect(JSON.parse(listed.stdout)).toMatchObject([
        // The injector's own timer and the command's hold end at the same deadline: either records the revert.
        {
          id: summary.id,
          state: 'reverted',
          runId: 'r1',
          worker: 'w1',
          revertReason: expect.stringMatching(/^(duration|release)$/),
          durationSec: 0.2,
        },
      ]);
    } finally {
      await temp.dispose();
    }
  });

  it('apply without --duration leaves the anomaly applied until revert --id', async () => {
    const temp = await createTempDir();
    try {
      const ledger = join(temp.path, 'ledger.jsonl');
      const applied = await runCli(['inject', 'apply', stress, '--target', 'local', '--ledger', ledger, '--json']);
      expect(applied.exitCode).toBe(0);
      const { id, reverted } = JSON.parse(applied.stdout);
      expect(reverted).toBe(false);
      const reverting = await runCli(['inject', 'revert', '--ledger', ledger, '--id', id, '--json']);
      expect(JSON.parse(reverting.stdout)).toEqual({ reverted: [id], skipped: [], failed: [], rejected: [] });
      const again = await runCli(['inject', 'revert', '--ledger', ledger, '--id', id, '--json']);
      expect(JSON.parse(again.stdout).reverted).toEqual([]);
      const recovered = await runCli(['inject', 'recover', '--ledger', ledger]);
      expect(recovered.stdout).toContain('reverted 0');
    } finally {
      await temp.dispose();
    }
  });

  it('rejects a --duration that is not finite, not positive or past 7 days (2147484 s used to revert after 1 ms)', async () => {
    for (const duration of ['2147484', '1e9', 'Infinity', 'NaN', '0', '-1']) {
      const { exitCode, stdout } = await runCli([
        'inject',
        'apply',
        stress,
        '--target',
        'local',
        '--ledger',
        '/tmp/none.jsonl',
        '--duration',
        duration,
        '--json',
      ]);
      expect(exitCode, duration).toBe(1);
      expect(JSON.parse(stdout).error.code, duration).toBe('PROTEUS_CLI_USAGE');
    }
  });

  it('recover runs nothing of a hand-written ledger, lists the entry as not run and exits 1', async () => {
    const temp = await createTempDir();
    try {
      const ledger = join(temp.path, 'injector-ledger.jsonl');
      const canary = join(temp.path, 'canary');
      const owner = { pid: 2 ** 22 - 3, startTime: '1', hostname: hostname() };
      const lines = [
        {
          type: 'intent',
          v: 2,
          id: 'aaaaaaaaaaaa0001',
          at: 1,
          target: 'local',
          spec: { kind: 'stress', cpu: { workers: 1 } },
          owner,
          inverse: [],
        },
        {
          type: 'applied',
          id: 'aaaaaaaaaaaa0001',
          at: 2,
          effect: {},
          inverse: [{ kind: 'scratch-dir', path: temp.path }],
        },
        {
          type: 'intent',
          v: 1,
          id: 'old1',
          at: 1,
          target: 'local',
          spec: { kind: 'none' },
          owner,
          inverse: [{ op: 'run', file: 'touch', args: [canary] }],
        },
      ];
      await writeFile(ledger, `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`);
      const { exitCode, stdout } = await runCli(['inject', 'recover', '--ledger', ledger, '--json']);
      expect(exitCode).toBe(1);
      const [result, error] = stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(result.reverted).toEqual([]);
      expect(result.rejected.map((r: { id: string; code: string }) => [r.id, r.code])).toEqual([
        ['aaaaaaaaaaaa0001', 'PROTEUS_INJECTOR_LEDGER_REJECTED'],
        ['old1', 'PROTEUS_INJECTOR_LEDGER_LEGACY'],
      ]);
      expect(error.error.code).toBe('PROTEUS_INJECTOR_LEDGER_REJECTED');
      expect(existsSync(temp.path)).toBe(true);
      expect(existsSync(canary)).toBe(false);
    } finally {
      await temp.dispose();
    }
  });

  it('prints PROTEUS_INJECTOR_SPEC_INVALID as a JSON error with exit code 1 for an unknown anomaly name', async () => {
    const { exitCode, stdout } = await runCli([
      'inject',
      'apply',
      'mem_2',
      '--target',
      'local',
      '--ledger',
      '/tmp/none.jsonl',
      '--json',
    ]);
    expect(exitCode).toBe(1);
    expect(JSON.parse(stdout).error.code).toBe('PROTEUS_INJECTOR_SPEC_INVALID');
  });

  it('capabilities --json reports every backend', async () => {
    const { exitCode, stdout } = await runCli(['inject', 'capabilities', '--json']);
    expect(exitCode).toBe(0);
    const caps = JSON.parse(stdout);
    expect(caps.target).toBe('local');
    expect(Object.keys(caps.backends)).toEqual(
      expect.arrayContaining(['cgroupCpu', 'nftLoss', 'netem', 'tcTbf', 'stressNode', 'docker']),
    );
  });
});
