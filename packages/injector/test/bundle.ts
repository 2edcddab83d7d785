import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleForChildProcess } from '@proteus-wf/test-utils';

const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The injector's sources as one ESM file for crash tests' child processes; the caller removes its folder. */
export async function bundleInjector(): Promise<string> {
  return (await bundleForChildProcess(join(packageRoot, 'src/index.ts'), { name: 'injector', external: ['execa'] }))
    .path;
}
