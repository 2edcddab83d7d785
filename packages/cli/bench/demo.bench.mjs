// Wall time of `npm run demo` (the live active-learning loop on testbed-local with the demo defaults; target < 5 min
// on 2 cores), plus the loop's own time and final test ROC-AUCs from its JSON summary. Prints JSON lines.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const started = process.hrtime.bigint();
const demo = spawnSync(process.execPath, [join(root, 'examples', '01-live-loop', 'scripts', 'demo.mjs'), '--json'], {
  cwd: root,
  encoding: 'utf8',
  stdio: ['ignore', 'pipe', 'inherit'],
  maxBuffer: 64 * 1024 * 1024,
});
const wall = Number(process.hrtime.bigint() - started) / 1e9;
if (demo.status !== 0) {
  process.stderr.write(`demo.bench: the demo exited with ${demo.status}\n`);
  process.exit(1);
}
const summary = JSON.parse(demo.stdout);
const print = (name, unit, value) => process.stdout.write(`${JSON.stringify({ name, unit, value })}\n`);
print('cli/demo wall time (npm run demo)', 's', Number(wall.toFixed(1)));
print('cli/demo live loop wall time (al run)', 's', Number(summary.live.wallSeconds.toFixed(1)));
for (const strategy of summary.strategies) {
  print(`cli/demo final test ROC-AUC (${strategy.strategy})`, 'auc', Number(strategy.final.rocAuc.mean.toFixed(3)));
}
