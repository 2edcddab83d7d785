#!/usr/bin/env node
// Evidence for issue 14 §3: query strategies over experiment options (run configurations) against random, paired by
// seed (same test split, same initialisation, same balanced burn-in), on Flow-Bench workflows. Per seed it records the
// test ROC-AUC after every iteration and the testbed-seconds of the runs acquired (their wall time from the traces).
// Target: the mean final AUC over every strategy and seed of the workflow, minus --target-gap (a near-plateau target
// common to all strategies). Runs to target per seed (a seed that never reaches it counts as budget + one batch,
// "censored"); the comparison is the paired ratio strategy / random with a 95% t-interval on the log ratio over
// seeds, plus the per-iteration AUC swing (mean |AUC_k - AUC_k-1| after burn-in) against random's.
// Prints one JSON line per (workflow, strategy) and, with --markdown, the README table.
//   npm run evaluate:al:strategies -- [--seeds 10] [--workflows 1000genome,predict_future_sales] [--strategies random,balanced,gradient,bandit,badge]
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const root = new URL('..', import.meta.url).pathname;
const { values } = parseArgs({
  options: {
    seeds: { type: 'string', default: '10' },
    iterations: { type: 'string', default: '8' },
    'per-iteration': { type: 'string', default: '2' },
    steps: { type: 'string', default: '60' },
    workflows: { type: 'string', default: '1000genome,predict_future_sales' },
    strategies: { type: 'string', default: 'random,balanced,gradient,diversity,bandit,badge' },
    'target-gap': { type: 'string', default: '0.01' },
    datasets: { type: 'string', default: resolve(root, '..', 'shared', 'datasets', 'flowbench') },
    markdown: { type: 'boolean', default: false },
    'skip-build': { type: 'boolean', default: false },
  },
});

if (!values['skip-build']) {
  const packages = ['core', 'workflow-graph', 'features', 'onnx-train', 'models', 'active-learner'].flatMap((p) => [
    '-w',
    `@proteus-wf/${p}`,
  ]);
  const build = spawnSync('npm', ['run', 'build', '--silent', ...packages], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  if (build.status !== 0) process.exit(build.status ?? 1);
}

const { loadFlowBench } = await import('@proteus-wf/features');
const { createEmulationBackend, runActiveLearning } = await import('@proteus-wf/active-learner');

const seeds = Number(values.seeds);
const iterations = Number(values.iterations);
const perIteration = Number(values['per-iteration']);
const steps = Number(values.steps);
const gap = Number(values['target-gap']);
const strategies = values.strategies.split(',');
if (!strategies.includes('random')) strategies.unshift('random');

/** Mean and 95% t-interval (two-sided) of a sample. */
function meanCi(xs) {
  const n = xs.length;
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  if (n < 2) return { mean, ci95: [mean, mean] };
  const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1));
  // t quantiles 0.975 for 1..30 degrees of freedom, then the normal's.
  const t =
    [
      12.71, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12,
      2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042,
    ][n - 2] ?? 1.96;
  const half = (t * sd) / Math.sqrt(n);
  return { mean, ci95: [mean - half, mean + half] };
}
const round = (x, d = 3) => (x === null || x === undefined ? null : Number(x.toFixed(d)));

const rows = [];
for (const workflow of values.workflows.split(',')) {
  const dataset = await loadFlowBench(join(values.datasets, `${workflow}.zip`));
  const labels = new Set(dataset.runs.map((r) => r.label)).size;
  const burnIn = Math.ceil(labels / perIteration);
  const total = burnIn + iterations;
  const curves = new Map(strategies.map((s) => [s, []]));
  const normalPicks = new Map(strategies.map((s) => [s, []]));
  const started = Date.now();
  for (const strategy of strategies) {
    for (let seed = 0; seed < seeds; seed++) {
      const backend = createEmulationBackend(dataset, { seed });
      const seconds = [];
      const runExperiments = backend.runExperiments.bind(backend);
      backend.runExperiments = async (file, options) => {
        const out = await runExperiments(file, options);
        seconds.push(out.durations.reduce((a, b) => a + b, 0));
        return out;
      };
      const result = await runActiveLearning({
        backend,
        evaluation: backend.testSet(),
        strategy,
        seed,
        iterations: total,
        perIteration,
        burnIn,
        reselectEvery: 0,
        stepsPerIteration: steps,
      });
      let spent = 0;
      const picks = result.iterations.slice(burnIn).flatMap((r) => r.ran);
      normalPicks.get(strategy).push([picks.filter((l) => l === 'normal').length, picks.length]);
      curves.get(strategy).push(
        result.iterations.map((r, k) => {
          spent += seconds[k] ?? 0;
          return { runs: r.samples, seconds: spent, rocAuc: r.metrics?.rocAuc ?? 0 };
        }),
      );
      process.stderr.write(
        `\r${workflow} ${strategy} seed ${seed + 1}/${seeds} (${Math.round((Date.now() - started) / 1000)} s, load ${loadavg()[0].toFixed(1)})`.padEnd(
          100,
        ),
      );
    }
  }
  process.stderr.write('\n');
  const finals = [...curves.values()].flatMap((list) => list.map((c) => c.at(-1).rocAuc));
  const target = finals.reduce((a, b) => a + b, 0) / finals.length - gap;
  const reach = (curve, field) => {
    const hit = curve.find((p) => p.rocAuc >= target);
    if (hit) return { value: hit[field], censored: false };
    const last = curve.at(-1);
    const extra = field === 'runs' ? perIteration : (last.seconds / last.runs) * perIteration;
    return { value: last[field] + extra, censored: true };
  };
  const swing = (curve) => {
    const after = curve.slice(burnIn - 1);
    const steps = after.slice(1).map((p, k) => Math.abs(p.rocAuc - after[k].rocAuc));
    return steps.reduce((a, b) => a + b, 0) / Math.max(1, steps.length);
  };
  const random = curves.get('random');
  for (const strategy of strategies) {
    const list = curves.get(strategy);
    const runs = list.map((c) => reach(c, 'runs'));
    const secs = list.map((c) => reach(c, 'seconds'));
    const row = {
      workflow,
      task: 'job-level binary',
      strategy,
      seeds,
      budgetRuns: total * perIteration,
      burnInRuns: burnIn * perIteration,
      target: round(target),
      finalRocAuc: meanCi(list.map((c) => c.at(-1).rocAuc)),
      runsToTarget: { mean: meanCi(runs.map((r) => r.value)).mean, censored: runs.filter((r) => r.censored).length },
      secondsToTarget: { mean: meanCi(secs.map((r) => r.value)).mean },
      swing: meanCi(list.map(swing)).mean,
      normalPicksAfterBurnIn: normalPicks
        .get(strategy)
        .reduce((sum, [n, of]) => [sum[0] + n, sum[1] + of], [0, 0])
        .join(' of '),
    };
    if (strategy !== 'random') {
      const logRatio = runs.map((r, s) => Math.log(r.value / reach(random[s], 'runs').value));
      const logSeconds = secs.map((r, s) => Math.log(r.value / reach(random[s], 'seconds').value));
      const swingDiff = list.map((c, s) => swing(c) - swing(random[s]));
      const lr = meanCi(logRatio);
      const ls = meanCi(logSeconds);
      const sd = meanCi(swingDiff);
      row.runsToTargetRatio = { mean: Math.exp(lr.mean), ci95: lr.ci95.map(Math.exp) };
      row.secondsToTargetRatio = { mean: Math.exp(ls.mean), ci95: ls.ci95.map(Math.exp) };
      row.swingMinusRandom = sd;
    }
    row.seconds = Math.round((Date.now() - started) / 1000);
    row.load = loadavg().map((l) => round(l, 1));
    rows.push(row);
    console.log(JSON.stringify(row));
  }
}

if (values.markdown) {
  const ci = (r) => (r ? `${r.mean.toFixed(2)} [${r.ci95[0].toFixed(2)}, ${r.ci95[1].toFixed(2)}]` : '1 (baseline)');
  console.log(
    '\n| workflow | strategy | final AUC | runs to target (censored) | runs ratio vs random [95% CI] | seconds ratio [95% CI] | AUC swing (− random) |',
  );
  console.log('|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    console.log(
      `| ${r.workflow} | ${r.strategy} | ${r.finalRocAuc.mean.toFixed(3)} | ${r.runsToTarget.mean.toFixed(1)} (${r.runsToTarget.censored}) | ${ci(r.runsToTargetRatio)} | ${ci(r.secondsToTargetRatio)} | ${r.swing.toFixed(3)}${r.swingMinusRandom ? ` (${r.swingMinusRandom.mean >= 0 ? '+' : ''}${r.swingMinusRandom.mean.toFixed(3)})` : ''} | ${r.normalPicksAfterBurnIn} |`,
    );
  }
}
