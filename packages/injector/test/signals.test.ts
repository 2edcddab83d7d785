import { spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readLedger } from '../src/index.js';
import { findMarkedProcesses } from '../src/internal/proc.js';
import { bundleInjector } from './bundle.js';
import { createTempDir } from './helpers.js';

/** The child applies a stressor, says so, and waits; it installs no signal handler of its own. */
const CHILD = `
const [bundle, ledgerPath, workDir] = process.argv.slice(1);
const { createInjector } = await import(bundle);
const injector = createInjector({ ledgerPath, workDir });
await injector.apply('local', { kind: 'stress', engine: 'node', cpu: { workers: 1, loadPercent: 10 } });
console.log('applied');
setInterval(() => {}, 1000);`;

describe('signals', () => {
  let bundle: string;
  let dir: Awaited<ReturnType<typeof createTempDir>>;
  beforeAll(async () => {
    bundle = await bundleInjector();
    dir = await createTempDir();
  });
  afterAll(async () => {
    await rm(dirname(bundle), { recursive: true, force: true });
    await dir.dispose();
  });

  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    it(`reverts live anomalies on ${signal}, then lets the signal terminate the process`, async () => {
      const ledgerPath = join(dir.path, `${signal}.jsonl`);
      const child = spawn(
        process.execPath,
        ['--input-type=module', '-e', CHILD, pathToFileURL(bundle).href, ledgerPath, dir.path],
        {
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (d: Buffer) => d.toString().includes('applied') && resolve());
        child.on('exit', (code) => reject(new Error(`child exited ${code}`)));
      });
      child.kill(signal);
      const [code, killedBy] = await new Promise<[number | null, string | null]>((resolve) =>
        child.on('exit', (c, s) => resolve([c, s])),
      );
      expect(killedBy).toBe(signal);
      expect(code).toBeNull();
      const [entry] = await readLedger(ledgerPath);
      expect(entry).toMatchObject({ state: 'reverted', revertReason: 'signal' });
      expect(await findMarkedProcesses(entry!.id)).toEqual([]);
    });
  }
});
