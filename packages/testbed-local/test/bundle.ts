import { mkdir, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { build } from 'esbuild';
import { repoRoot } from './helpers.js';

/**
 * Bundles testbed-local's sources (and its sibling packages', through the source condition) into one ESM file a
 * plain `node` child can import: crash tests need a real separate process to SIGKILL, and Node 20 cannot load `.ts`.
 * NOTE: esbuild comes with tsup (a root devDependency). The bundle goes to the git-ignored `.proteus-tmp/`.
 */
export async function bundleTestbedLocal(): Promise<{ path: string; dispose: () => Promise<void> }> {
  const outfile = join(repoRoot, '.proteus-tmp', `testbed-local-${process.pid}-${Date.now()}`, 'index.mjs');
  await mkdir(dirname(outfile), { recursive: true });
  await build({
    entryPoints: [join(repoRoot, 'packages/testbed-local/src/index.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    conditions: ['@proteus-wf/source'],
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
    logLevel: 'error',
  });
  return { path: outfile, dispose: () => rm(dirname(outfile), { recursive: true, force: true }) };
}
