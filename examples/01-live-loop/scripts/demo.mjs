#!/usr/bin/env node
// `npm run demo`: the live active-learning loop on this machine, from the workspace sources (no build needed).
// 1. writes the small 1000genome-like workflow (8 jobs) to out/demo/workflow/;
// 2. runs `proteus al run` on the local testbed: a held-out test set of live runs with random anomalies, then the
//    gradient strategy and the random baseline, each asking for real runs with CPU or disk anomalies injected;
// 3. prints the summary table, the path of report.html, and what a run of this size can and cannot show.
// Extra arguments go to `proteus al run` (e.g. `npm run demo -- --iterations 8`); `--json` prints the summary as JSON.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const out = join(root, 'out', 'demo');
const workflow = join(out, 'workflow', 'workflow.yml');
const started = Date.now();

const generate = spawnSync(
  process.execPath,
  [
    join(root, 'examples', 'workflows', '1000genome-like', 'generate.mjs'),
    '--scale',
    'small',
    '--seed',
    '1',
    '--out',
    workflow,
  ],
  { stdio: ['ignore', 'ignore', 'inherit'] },
);
if (generate.status !== 0) process.exit(generate.status ?? 1);
rmSync(join(out, 'loop'), { recursive: true, force: true });

const args = [
  'al',
  'run',
  '--testbed',
  'local',
  '--workflow',
  workflow,
  '--out',
  join(out, 'loop'),
  '--model',
  'gcn',
  '--compare',
  'random',
  '--anomalies',
  'cpu_1,hdd_1',
  '--iterations',
  '4',
  '--per-iteration',
  '2',
  '--test-runs',
  '6',
  '--calibration-runs',
  '2',
  '--steps',
  '40',
  ...process.argv.slice(2),
];
process.stderr.write(`proteus ${args.join(' ')}\n`);
const child = spawn(
  process.execPath,
  [
    '--enable-source-maps',
    '--import',
    join(root, 'examples', '01-live-loop', 'scripts', 'register.mjs'),
    join(root, 'packages', 'cli', 'src', 'bin.ts'),
    ...args,
  ],
  { cwd: root, stdio: 'inherit' },
);
// Ctrl-C reaches the CLI itself (same process group): it reverts its anomalies, releases the testbed and exits, so
// this process only waits (a forwarded second SIGINT would make the CLI exit without cleaning up). SIGTERM is passed on.
process.on('SIGINT', () => {});
process.on('SIGTERM', () => child.kill('SIGTERM'));
child.on('exit', (code, signal) => {
  if (code === 0) process.stdout.write(describeScope(join(out, 'loop', 'summary.json')));
  process.stderr.write(`demo: ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  process.exit(code ?? (signal ? 130 : 1));
});

/** What a run of this size can and cannot show, from its own summary (one seed, a handful of test runs). */
function describeScope(path) {
  if (!existsSync(path)) return '';
  const summary = JSON.parse(readFileSync(path, 'utf8'));
  const seeds = summary.reproduce?.seeds?.length ?? 1;
  const training = Object.values(summary.live.trainingRuns);
  return [
    '',
    `What this run can show (${seeds} seed, ${summary.dataset.test} test runs = ${summary.dataset.testJobs} jobs, ${training.join('/')} training runs per strategy):`,
    '  - the loop works end to end on real processes: queries become runs with injected anomalies, every anomaly is',
    '    reverted, and the labels come from the injector ledger;',
    `  - which anomalies measurably changed the traced runtimes: ${describeEffects(summary.anomalyEffects?.effects ?? [])}.`,
    'What it cannot show:',
    `  - that one strategy needs fewer runs than another: with ${seeds} seed and ${summary.dataset.testJobs} test jobs a`,
    '    difference in AULC or final ROC-AUC is within the seed-to-seed spread, so the gain above is not a result;',
    '  - testbed-seconds to a target with confidence intervals. `npm run evaluate:al:live` runs the paired',
    '    multi-seed comparison (AL vs random vs balanced); its table is in packages/lab/README.md.',
    '',
  ].join('\n');
}

function describeEffects(effects) {
  const named = (measurable) =>
    effects
      .filter((effect) => effect.measurable === measurable)
      .map((effect) => effect.anomaly)
      .join(', ') || 'none';
  return `${named(true)} did; ${named(false)} did not (see the warnings above)`;
}
