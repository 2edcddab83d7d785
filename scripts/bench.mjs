#!/usr/bin/env node
// Runs every packages/*/bench/*.bench.mjs in its own Node process (so peak RSS is per benchmark) against the built
// packages (build output goes to stderr), and prints their JSON lines `{ "name", "unit", "value" }` on stdout.
// `npm run bench -- <filter>` runs a subset; `npm run --silent bench > bench.jsonl` keeps only the JSON lines.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

// `--compare-torch` runs scripts/compare-torch.mjs (ours and PyTorch's reference, interleaved) instead.
const compareTorch = process.argv.includes('--compare-torch');
const filter = process.argv.slice(2).find((arg) => !arg.startsWith('--')) ?? '';
const root = new URL('..', import.meta.url).pathname;
const build = spawnSync('npx', ['turbo', 'run', 'build', '--output-logs=errors-only'], {
  cwd: root,
  stdio: ['ignore', 2, 2],
});
if (build.status !== 0) process.exit(build.status ?? 1);
if (compareTorch) {
  const compared = spawnSync(process.execPath, [join(root, 'scripts', 'compare-torch.mjs')], {
    cwd: root,
    stdio: 'inherit',
  });
  process.exit(compared.status ?? 1);
}

let failed = 0;
for (const pkg of readdirSync(join(root, 'packages'))) {
  const folder = join(root, 'packages', pkg, 'bench');
  if (!existsSync(folder)) continue;
  for (const file of readdirSync(folder)
    .filter((f) => f.endsWith('.bench.mjs'))
    .sort()) {
    if (filter && !`${pkg}/${file}`.includes(filter)) continue;
    const result = spawnSync(process.execPath, ['--expose-gc', join(folder, file)], {
      cwd: root,
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    if (result.status !== 0) {
      failed++;
      process.stderr.write(`bench: ${pkg}/${file} exited with ${result.status}\n`);
    }
  }
}
process.exit(failed ? 1 : 0);
