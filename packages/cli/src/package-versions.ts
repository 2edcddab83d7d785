import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Versions of `@proteus-wf/cli` and of every `@proteus-wf/*` package it depends on, plus Node's: what a report needs
 * to be rerun. Found from this file's location (source or dist) by walking up to the cli's package.json and looking
 * for each dependency in the `node_modules` folders above it; a package that cannot be found is left out.
 * @example await readPackageVersions() // { node: 'v22.12.0', '@proteus-wf/cli': '0.1.0', '@proteus-wf/core': '0.1.0', ... }
 */
export async function readPackageVersions(
  from: string = fileURLToPath(import.meta.url),
): Promise<Record<string, string>> {
  const versions: Record<string, string> = { node: process.version };
  let dir = dirname(from);
  let manifest: { name?: string; version?: string; dependencies?: Record<string, string> } | undefined;
  for (;;) {
    manifest = await readJson(join(dir, 'package.json'));
    if (manifest?.name === '@proteus-wf/cli') break;
    const parent = dirname(dir);
    if (parent === dir) return versions;
    dir = parent;
  }
  versions['@proteus-wf/cli'] = manifest.version ?? 'unknown';
  const names = Object.keys(manifest.dependencies ?? {})
    .filter((name) => name.startsWith('@proteus-wf/'))
    .sort();
  for (const name of names) {
    for (let at = dir; ; at = dirname(at)) {
      const found = await readJson(join(at, 'node_modules', name, 'package.json'));
      if (found?.version) {
        versions[name] = found.version;
        break;
      }
      if (dirname(at) === at) break;
    }
  }
  return versions;
}

async function readJson(
  path: string,
): Promise<{ name?: string; version?: string; dependencies?: Record<string, string> } | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8'));
  } catch {
    return undefined;
  }
}
