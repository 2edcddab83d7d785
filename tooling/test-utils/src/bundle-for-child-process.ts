import { mkdir, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { build } from 'esbuild';
import { repoRoot } from './paths.js';

/** Where the bundle goes and what stays outside it. */
export interface BundleForChildProcessOptions {
  /** Names the bundle's folder under `.proteus-tmp/` (git-ignored), e.g. `injector`. */
  name: string;
  /** Packages left as imports; they resolve from the repository's node_modules, since the bundle lives inside it. */
  external?: string[];
}

/**
 * Bundles a TypeScript entry (and the sibling packages it imports, through the `@proteus-wf/source` condition) into
 * one ESM file that a plain `node` child process can import: crash tests need a real separate process to SIGKILL, and
 * Node 20 cannot load `.ts`. esbuild comes with tsup (a root devDependency).
 * @example const bundle = await bundleForChildProcess(join(packageRoot, 'src/index.ts'), { name: 'injector' })
 */
export async function bundleForChildProcess(
  entry: string,
  options: BundleForChildProcessOptions,
): Promise<{ path: string; dispose: () => Promise<void> }> {
  const path = join(repoRoot, '.proteus-tmp', `${options.name}-${process.pid}-${Date.now()}`, 'index.mjs');
  await mkdir(dirname(path), { recursive: true });
  await build({
    entryPoints: [entry],
    outfile: path,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    conditions: ['@proteus-wf/source'],
    external: options.external ?? [],
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
    logLevel: 'error',
  });
  return { path, dispose: () => rm(dirname(path), { recursive: true, force: true }) };
}
