import { mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const repoRoot = resolve(packageRoot, '../..');

/**
 * Bundles the injector's sources (and core's, through the source condition) into one ESM file that a plain
 * `node` child process can import: crash tests need a real separate process, and Node 20 cannot load `.ts`.
 * The bundle goes to the git-ignored `.proteus-tmp/` so that `execa` still resolves from the repository.
 */
export async function bundleInjector(): Promise<string> {
  const outfile = join(repoRoot, '.proteus-tmp', `injector-${process.pid}-${Date.now()}`, 'index.mjs');
  await mkdir(dirname(outfile), { recursive: true });
  await build({
    entryPoints: [join(packageRoot, 'src/index.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    conditions: ['@proteus-wf/source'],
    external: ['execa'],
    logLevel: 'silent',
  });
  return outfile;
}
