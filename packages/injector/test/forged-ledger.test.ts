import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fuzzLedger } from '../../../scripts/fuzz-ledger.mjs';
import { recoverLedger } from '../src/index.js';
import { createTempDir } from './helpers.js';

describe('recoverLedger on a hand-written ledger', () => {
  it('runs no command and writes no file that a forged two-line ledger names, and reports the entry', async () => {
    const dir = await createTempDir();
    try {
      const ledgerPath = join(dir.path, 'injector-ledger.jsonl');
      const ran = join(dir.path, 'ran-as-root');
      const written = join(dir.path, 'written-as-root');
      // A dead owner on this host: recover treats the entry as left behind by a crash.
      const owner = { pid: 2 ** 22 - 3, startTime: '1', hostname: hostname() };
      const intent = {
        type: 'intent',
        v: 1,
        id: 'forged1',
        at: 1,
        target: 'local',
        spec: { kind: 'none' },
        owner,
        inverse: [],
      };
      const applied = {
        type: 'applied',
        id: 'forged1',
        at: 2,
        effect: {},
        inverse: [
          { op: 'run', file: 'sh', args: ['-c', `touch ${ran}`] },
          { op: 'write', path: written, value: 'pwned' },
        ],
      };
      await writeFile(ledgerPath, `${JSON.stringify(intent)}\n${JSON.stringify(applied)}\n`);
      const result = await recoverLedger(ledgerPath);
      expect(existsSync(ran)).toBe(false);
      expect(existsSync(written)).toBe(false);
      expect(result.reverted).toEqual([]);
      expect(result.rejected).toMatchObject([{ id: 'forged1', code: 'PROTEUS_INJECTOR_LEDGER_LEGACY' }]);
    } finally {
      await dir.dispose();
    }
  });
});

describe('recoverLedger on forged ledgers (seeded fuzz; scripts/fuzz-ledger.mjs runs 1,000)', () => {
  it('reports each of 150 forged entries, runs no command and changes nothing in the sandbox', async () => {
    const result = await fuzzLedger({ recoverLedger: recoverLedger as never, count: 150, seed: 13 });
    expect(result.unreported).toEqual([]);
    expect(result).toMatchObject({
      entries: 150,
      reported: 150,
      executed: 0,
      commands: 0,
      changed: [],
      canaryAlive: true,
    });
    // The forgeries reach every refusal: old format, rejected, gone namespace, malformed line.
    expect(Object.keys(result.codes).sort()).toEqual([
      'PROTEUS_INJECTOR_LEDGER_LEGACY',
      'PROTEUS_INJECTOR_LEDGER_MALFORMED',
      'PROTEUS_INJECTOR_LEDGER_REJECTED',
      'PROTEUS_INJECTOR_LEDGER_TARGET_GONE',
    ]);
  }, 60_000);
});
