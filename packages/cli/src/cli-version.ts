import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGE_NAME = '@proteus-wf/cli';

/**
 * The version in `@proteus-wf/cli`'s own package.json, found by walking up from this module, so it works from `src`,
 * from the bundled `dist` chunks and from an installed tarball alike.
 * @example readCliVersion() // '0.0.0'
 */
export function readCliVersion(): string {
  let folder = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(folder, 'package.json');
    if (existsSync(manifest)) {
      const parsed = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string; version?: string };
      if (parsed.name === PACKAGE_NAME && typeof parsed.version === 'string') return parsed.version;
    }
    const parent = dirname(folder);
    if (parent === folder) return 'unknown';
    folder = parent;
  }
}
