#!/usr/bin/env node
// Evidence for issue 14 §3 (tasks where each run is one scarce label): graph-level (run) detection on the exogeni-2020
// workflows and job-level multi-class diagnosis on Flow-Bench, each strategy against random paired by seed (same test
// split, same initialisation), through `emulateActiveLearning` (its full-pool target, runs to target, AULC and paired
// 95% t-intervals). Every strategy ranks pool runs (typeScore pool, runSelection uncertain); random and balanced are
// designs and draw any run of the option they pick. Writes one JSON line per task and strategy and, with --markdown
// FILE, the table (with the machine load beside it).
//   npm run evaluate:al:tasks -- [--seeds 10] [--tasks graph-binary:exogeni-2020/1000genome,...] [--strategies ...]
import { mkdir } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const root = new URL('..', import.meta.url).pathname;
const { values } = parseArgs({
  options: {
    seeds: { type: 'string', default: '10' },
    // Model-driven iterations after the burn-in.
    iterations: { type: 'string', default: '5' },
    'per-iteration': { type: 'string', default: '2' },
    // auto: a balanced design of one run per class of the task (binary: one iteration; multiclass: one run per label).
    'burn-in': { type: 'string', default: 'auto' },
    'reselect-every': { type: 'string', default: '0' },
    'max-steps': { type: 'string', default: '60' },
    'full-pool-steps': { type: 'string', default: '300' },
    candidates: { type: 'string', default: '16' },
    tasks: {
      type: 'string',
      default: 'graph-binary:exogeni-2020/1000genome,graph-binary:exogeni-2020/wind_clustering_casa',
    },
    strategies: { type: 'string', default: 'random,balanced,entropy,gradient,bandit,badge' },
    'target-gap': { type: 'string', default: '0.01' },
    datasets: { type: 'string', default: resolve(root, '..', 'shared', 'datasets') },
    markdown: { type: 'string', default: '' },
  },
});

const { writeFileAtomic } = await import('@proteus-wf/core');
const { loadFlowBench } = await import('@proteus-wf/features');
const { emulateActiveLearning } = await import('@proteus-wf/active-learner');

const strategies = values.strategies.split(',');
const [first, ...rest] = strategies.filter((s) => s !== 'random');
const seeds = Number(values.seeds);
const load = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');
const fmt = (m, d = 2) =>
  m.mean === null ? '—' : `${m.mean.toFixed(d)}${m.ci95 ? ` [${m.ci95[0].toFixed(d)}, ${m.ci95[1].toFixed(d)}]` : ''}`;
const lines = [];
for (const spec of values.tasks.split(',')) {
  const [kind, path] = spec.split(':');
  const [level, labels] = kind.split('-');
  const started = Date.now();
  const loadBefore = load();
  const dataset = await loadFlowBench(join(values.datasets, `${path}.zip`));
  const classes = labels === 'multiclass' ? new Set(dataset.runs.map((run) => run.label)).size : 2;
  const perIteration = Number(values['per-iteration']);
  const burnIn = values['burn-in'] === 'auto' ? Math.ceil(classes / perIteration) : Number(values['burn-in']);
  const summary = await emulateActiveLearning(dataset, {
    task: { level, labels },
    strategy: first,
    compare: ['random', ...rest],
    seeds,
    iterations: burnIn + Number(values.iterations),
    perIteration,
    burnIn,
    reselectEvery: Number(values['reselect-every']),
    typeScore: 'pool',
    runSelection: 'uncertain',
    candidatesPerType: Number(values.candidates),
    training: { kind: 'converge', maxSteps: Number(values['max-steps']) },
    fullPoolSteps: Number(values['full-pool-steps']),
    targetGap: Number(values['target-gap']),
    stopping: { rule: 'never' },
    onProgress: (e) => {
      if (e.data?.variant !== undefined && e.message?.includes('iteration') === false) return;
      process.stderr.write(`${path} ${e.message ?? ''} (load ${load()})\n`);
    },
  });
  const minutes = (Date.now() - started) / 60000;
  const random = summary.metrics?.find((m) => m.strategy === 'random');
  // A seed that never reaches the target counts as the budget plus one batch (censored), as evaluate-al-strategies.
  const budget = (burnIn + Number(values.iterations) + 1) * perIteration;
  const censored = (perSeed) => perSeed.map((runs) => runs ?? budget);
  const meanCi = (xs) => {
    const n = xs.length;
    const mean = xs.reduce((a, b) => a + b, 0) / n;
    const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1));
    const t = [12.71, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201][n - 2] ?? 2.2;
    return { mean, ci95: [mean - (t * sd) / Math.sqrt(n), mean + (t * sd) / Math.sqrt(n)] };
  };
  for (const m of summary.metrics ?? []) {
    const c = summary.comparisons?.find((x) => x.strategy === m.strategy);
    const row = {
      task: `${level}-level ${labels}`,
      burnInRuns: burnIn * perIteration,
      workflow: `${path}`,
      metric: summary.settings.task?.metric,
      fullPool: summary.fullPool?.rocAuc,
      strategy: m.strategy,
      runsToTarget: m.runsToTarget.mean,
      reached: `${m.runsToTarget.reached}/${m.runsToTarget.perSeed.length}`,
      aulc16: m.aulc.mean,
      runsToTargetRatio: c?.runsToTargetRatio ?? null,
      aulcGain: c?.aulcGain ?? null,
      runsToTargetPerSeed: m.runsToTarget.perSeed,
      censoredRatio:
        c && random
          ? meanCi(censored(m.runsToTarget.perSeed).map((runs, i) => runs / censored(random.runsToTarget.perSeed)[i]))
          : null,
      minutes,
      load: `${loadBefore} → ${load()}`,
    };
    console.log(JSON.stringify(row));
    const ratio = c ? `${fmt(c.runsToTargetRatio)} (${c.runsToTargetRatio.seeds})` : '1 (baseline)';
    const gain = c ? fmt(c.aulcGain, 3) : '—';
    const censoredRatio = row.censoredRatio ? fmt(row.censoredRatio) : '—';
    lines.push(
      `| ${row.task} | ${path} | ${m.strategy} | ${m.runsToTarget.mean === null ? '—' : m.runsToTarget.mean.toFixed(1)} (${row.reached}) | ${ratio} | ${censoredRatio} | ${m.aulc.mean.toFixed(3)} | ${gain} | ${summary.fullPool?.rocAuc.toFixed(3)} (${summary.settings.task?.metric}) | ${minutes.toFixed(0)} min, load ${row.load} |`,
    );
  }
}
if (values.markdown) {
  const command = `npm run evaluate:al:tasks -- ${process.argv.slice(2).join(' ')}`;
  const text = [
    `# Active learning on scarce-label tasks (issue 14 §3)`,
    '',
    `Command: \`${command}\` (seeds 0..${seeds - 1}, paired by seed: same split and init; ${values.iterations} model-driven iterations of ${values['per-iteration']} runs after a balanced burn-in of ${values['burn-in'] === 'auto' ? 'one run per class of the task (binary: 2 runs; multiclass: one per label)' : `${values['burn-in']} iterations`}; training to convergence, at most ${values['max-steps']} steps per iteration; ${values.candidates} candidate pool runs scored per option and iteration; full-pool model at most ${values['full-pool-steps']} steps; target = full-pool model − ${values['target-gap']}).`,
    'Ratios and gains are paired per seed, mean with 95% t-interval; the runs-to-target ratio is over the seeds where both reached the target. Timings on a shared, loaded 2-core machine (load = 1/5/15-min averages before → after).',
    '',
    '| task | workflow | strategy | runs to target (seeds reached) | ratio vs random [95% CI] (seeds both reached) | ratio, all seeds (not reached = budget + 1 batch) | AULC (16 runs) | AULC gain vs random [95% CI] | full-pool metric | wall, load |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...lines,
    '',
  ].join('\n');
  await mkdir(dirname(resolve(values.markdown)), { recursive: true });
  await writeFileAtomic(resolve(values.markdown), text);
}
