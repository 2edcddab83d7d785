import { spawn } from 'node:child_process';
import { readdir, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readLedger, recoverLedger } from '../src/index.js';
import { bundleInjector } from './bundle.js';
import { createTempDir } from './helpers.js';

/**
 * The child dies with SIGKILL at the exact moment the stressor's scratch marker is written: after the ledger's intent,
 * before the stressor starts. `syncBuiltinESMExports` makes the bundle's `import { writeFile }` see the patched one.
 */
const CHILD = `
import { createRequire, syncBuiltinESMExports } from 'node:module';
const require = createRequire(import.meta.url);
const [bundle, ledgerPath, workDir] = process.argv.slice(1);
const fsp = require('node:fs/promises');
const writeFile = fsp.writeFile;
fsp.writeFile = (path, ...rest) => {
  if (String(path).endsWith('.proteus-scratch')) process.kill(process.pid, 'SIGKILL');
  return writeFile(path, ...rest);
};
syncBuiltinESMExports();
const { createInjector } = await import(bundle);
const injector = createInjector({ ledgerPath, workDir });
await injector.apply('local', { kind: 'stress', cpu: { workers: 1, loadPercent: 10 } }, { runId: 'mid-apply' });
console.log('not killed');`;

describe('a process killed between the intent and the stressor scratch marker', () => {
  let bundle: string;
  beforeAll(async () => {
    bundle = await bundleInjector();
  });
  afterAll(async () => {
    if (bundle) await rm(dirname(bundle), { recursive: true, force: true });
  });

  it('leaves an anomaly that recover reverts, and no folder behind', async () => {
    const dir = await createTempDir();
    try {
      const ledgerPath = join(dir.path, 'ledger.jsonl');
      const workDir = join(dir.path, 'work');
      const child = spawn(
        process.execPath,
        ['--input-type=module', '-e', CHILD, pathToFileURL(bundle).href, ledgerPath, workDir],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let output = '';
      child.stdout.on('data', (d: Buffer) => (output += d));
      child.stderr.on('data', (d: Buffer) => (output += d));
      const signal = await new Promise<NodeJS.Signals | null>((resolve) =>
        child.on('exit', (_code, sig) => resolve(sig)),
      );
      expect(signal, output).toBe('SIGKILL');
      expect((await readLedger(ledgerPath)).map((entry) => entry.state)).toEqual(['pending']);

      const result = await recoverLedger(ledgerPath);
      expect(result.rejected).toEqual([]);
      expect(result.failed).toEqual([]);
      expect(result.reverted).toHaveLength(1);
      expect((await readLedger(ledgerPath)).map((entry) => entry.state)).toEqual(['reverted']);
      expect(await readdir(workDir)).toEqual([]);
    } finally {
      await dir.dispose();
    }
  });
});
