import { join } from 'node:path';
import { build } from 'esbuild';

/**
 * Bundles `support/campaign-child.ts` against the sources under test into `<dir>/campaign-child.mjs` and returns its
 * path. esbuild comes with tsup (a root devDependency).
 */
export async function buildCampaignChild(dir: string): Promise<string> {
  const childScript = join(dir, 'campaign-child.mjs');
  await build({
    entryPoints: [join(import.meta.dirname, 'campaign-child.ts')],
    outfile: childScript,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    conditions: ['@proteus-wf/source'],
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
    logLevel: 'error',
  });
  return childScript;
}
