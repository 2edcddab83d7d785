import { fileURLToPath } from 'node:url';

export { createTempDir, hasSharedDatasets, sharedDataset } from '@proteus-wf/test-utils';

/** Absolute path of a committed fixture of this package. */
export function fixture(name: string): string {
  return fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
}
