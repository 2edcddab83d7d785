import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (where the root package.json lives). */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** `../shared/datasets` beside the checkout; tests read real traces from here and never copy them. */
export const datasetsRoot = resolve(repoRoot, '..', 'shared', 'datasets');
