import { appendFile, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isProteusError } from '@proteus-wf/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTempDir } from '../test/helpers.js';
import { appendLedgerRecord, readLedger } from './ledger.js';

const owner = { pid: 1, startTime: '1', hostname: 'h' };

describe('readLedger', () => {
  let dir: Awaited<ReturnType<typeof createTempDir>>;
  beforeAll(async () => {
    dir = await createTempDir();
  });
  afterAll(async () => dir.dispose());

  it('folds intent, applied and reverted lines into one entry with its window in epoch seconds', async () => {
    const path = join(dir.path, 'fold.jsonl');
    const spec = { kind: 'cpu' as const, removeCores: 2, label: 'cpu_2' };
    await appendLedgerRecord(path, {
      type: 'intent',
      v: 2,
      id: 'a',
      at: 1000,
      target: 'local',
      spec,
      runId: 'r',
      worker: 'w',
      owner,
      inverse: [],
    });
    await appendLedgerRecord(path, {
      type: 'applied',
      id: 'a',
      at: 2000,
      inverse: [{ kind: 'scratch-dir', path: '/x' }],
      effect: { k: 1 },
    });
    await appendLedgerRecord(path, { type: 'revert-failed', id: 'a', at: 2500, reason: 'release', errors: ['boom'] });
    expect((await readLedger(path))[0]).toMatchObject({ state: 'applied', revertErrors: ['boom'] });
    await appendLedgerRecord(path, { type: 'reverted', id: 'a', at: 3000, reason: 'release' });
    const [entry] = await readLedger(path);
    expect(entry).toEqual({
      id: 'a',
      target: 'local',
      spec,
      runId: 'r',
      worker: 'w',
      owner,
      version: 2,
      state: 'reverted',
      inverse: [{ kind: 'scratch-dir', path: '/x' }],
      effect: { k: 1 },
      window: { intentAt: 1, appliedAt: 2, revertedAt: 3 },
      revertReason: 'release',
    });
  });

  it('skips a torn last line and starts the next append on a fresh line', async () => {
    const path = join(dir.path, 'torn.jsonl');
    await appendLedgerRecord(path, {
      type: 'intent',
      v: 2,
      id: 'a',
      at: 1,
      target: 'local',
      spec: { kind: 'none' },
      owner,
      inverse: [],
    });
    await appendFile(path, '{"type":"applied","id":"a","at":2,"inv');
    expect((await readLedger(path))[0]?.state).toBe('pending');
    await appendLedgerRecord(path, { type: 'reverted', id: 'a', at: 3, reason: 'recover' });
    expect((await readLedger(path))[0]?.state).toBe('reverted');
  });

  it('reads a missing file as empty and throws PROTEUS_INJECTOR_LEDGER_CORRUPT for foreign content', async () => {
    expect(await readLedger(join(dir.path, 'missing.jsonl'))).toEqual([]);
    const path = join(dir.path, 'foreign.jsonl');
    await writeFile(path, 'hello world\n');
    const error = await readLedger(path).catch((e: unknown) => e);
    expect(isProteusError(error, 'PROTEUS_INJECTOR_LEDGER_CORRUPT')).toBe(true);
  });

  it('refuses to append through a symbolic link with PROTEUS_INJECTOR_LEDGER_WRITE, leaving its target untouched', async () => {
    const victim = join(dir.path, 'victim');
    await writeFile(victim, 'root:x:0:0\n');
    const link = join(dir.path, 'linked.jsonl');
    await symlink(victim, link);
    const error = await appendLedgerRecord(link, { type: 'reverted', id: 'a', at: 1, reason: 'recover' }).catch(
      (e: unknown) => e,
    );
    expect(isProteusError(error, 'PROTEUS_INJECTOR_LEDGER_WRITE')).toBe(true);
    expect(await readFile(victim, 'utf8')).toBe('root:x:0:0\n');
  });
});
