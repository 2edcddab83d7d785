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
        { id: summary.id, state: 'reverted', runId: 'r1', worker: 'w1', revertReason: 'release' },
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
      expect(JSON.parse(reverting.stdout)).toEqual({ reverted: [id], skipped: [], failed: [] });
      const again = await runCli(['inject', 'revert', '--ledger', ledger, '--id', id, '--json']);
      expect(JSON.parse(again.stdout).reverted).toEqual([]);
      const recovered = await runCli(['inject', 'recover', '--ledger', ledger]);
      expect(recovered.stdout).toContain('reverted 0');
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
