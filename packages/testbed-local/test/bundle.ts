import { join } from 'node:path';
import { bundleForChildProcess } from '@proteus-wf/test-utils';
import { repoRoot } from './helpers.js';

/** testbed-local's sources as one ESM file for crash tests' child processes. */
export function bundleTestbedLocal(): Promise<{ path: string; dispose: () => Promise<void> }> {
  return bundleForChildProcess(join(repoRoot, 'packages/testbed-local/src/index.ts'), { name: 'testbed-local' });
}
