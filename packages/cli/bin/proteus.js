#!/usr/bin/env node
// A committed entry point, so npm links `proteus` at install time even before the first build.
import { existsSync } from 'node:fs';

const built = new URL('../dist/bin.js', import.meta.url);
if (!existsSync(built)) {
  process.stderr.write('proteus: @proteus-wf/cli is not built yet. Run `npm run build` at the repository root.\n');
  process.exit(1);
}
await import(built.href);
