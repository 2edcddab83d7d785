#!/usr/bin/env node
// Live evidence for issue 14 §4: active learning on the local testbed, AL (gradient) vs random vs balanced, paired by
// seed (same held-out test set, same calibration scaler, same initialisation per seed). Run kinds: normal, cpu_1,
// hdd_1, hdd_5, loss_5, loss_20, each also placed on the `individuals` jobs (`<anomaly>@individuals`: the anomaly only
// on the worker running those jobs, while they run). cpu has one level here: on a 2-core host cpu_2 withholds every
// core of a worker, which the injector refuses. The workflow is the small 1000genome-like example (8 jobs, a few
// seconds a run), the only size at which 5 seeds x 3 strategies of live runs fit the 30-minute budget on a shared
// 2-core machine. The test set (one run per kind) and the scaler's calibration runs are collected once and shared by
// every seed; each (strategy, seed) then runs its own live experiments.
// Target: the mean final test ROC-AUC over every strategy and seed, minus --target-gap (a level every strategy's
// budget can reach; there is no full pool live). Runs and testbed-seconds to target per seed (a seed that never
// reaches it counts as budget + one batch, "censored"); comparisons are paired ratios strategy / random with a 95%
// t-interval on the log ratio over seeds. Writes <out>/report.json and <out>/report.md and prints the table.
//   npm run evaluate:al:live -- [--out out/evaluate-al-live] [--seeds 5] [--iterations 5] [--per-iteration 2] [--resume]
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  meanInterval,
  runActiveLearning,
  summarizePairedComparison,
  summarizeStrategyMetrics,
} from '@proteus-wf/active-learner';
import { createLiveLab } from '@proteus-wf/lab';
import { createLocalTestbed } from '@proteus-wf/testbed-local';

const root = new URL('..', import.meta.url).pathname;
const { values } = parseArgs({
  options: {
    out: { type: 'string', default: join(root, 'out', 'evaluate-al-live') },
    seeds: { type: 'string', default: '5' },
    iterations: { type: 'string', default: '5' },
    'per-iteration': { type: 'string', default: '2' },
    steps: { type: 'string', default: '60' },
    strategies: { type: 'string', default: 'random,balanced,gradient' },
    anomalies: { type: 'string', default: 'cpu_1,hdd_1,hdd_5,loss_5,loss_20' },
    'place-on': { type: 'string', default: 'individuals' },
    'target-gap': { type: 'string', default: '0.01' },
    resume: { type: 'boolean', default: false },
  },
});
const out = resolve(values.out);
const seeds = Number(values.seeds);
const iterations = Number(values.iterations);
const perIteration = Number(values['per-iteration']);
const gap = Number(values['target-gap']);
const strategies = values.strategies.split(',');
if (!strategies.includes('random')) strategies.unshift('random');
const started = Date.now();
const load = () => loadavg()[0].toFixed(1);
const log = (text) =>
  process.stderr.write(`[${Math.round((Date.now() - started) / 1000)} s, load ${load()}] ${text}\n`);

const workflow = join(out, 'workflow', 'workflow.yml');
execFileSync(process.execPath, [
  join(root, 'examples', 'workflows', '1000genome-like', 'generate.mjs'),
  '--scale',
  'small',
  '--seed',
  '1',
  '--out',
  workflow,
]);
await mkdir(out, { recursive: true });
const testbed = createLocalTestbed({
  workers: 2,
  network: true,
  cpuWeight: 64,
  workDir: join(out, '.testbed'),
  seed: 0,
});
const lab = await createLiveLab({
  workflow,
  outDir: out,
  anomalies: values.anomalies.split(','),
  placeOn: values['place-on'].split(',').filter(Boolean),
  testbed,
  onProgress: (event) => event.phase === 'experiment' && log(`  ${event.message}`),
});
const curves = new Map(strategies.map((s) => [s, []]));
try {
  const deployment = await lab.provision();
  log(
    `testbed: ${deployment.workers.length} workers, isolation ${deployment.isolation}; kinds ${lab.kinds.join(', ')}`,
  );
  const testSet = await lab.collectTestSet(lab.kinds.length);
  await lab.calibrate(2);
  const evaluation = await lab.evaluationSet();
  const effects = await lab.measureAnomalyEffects();
  log(`test set ${testSet.labels.join(', ')}; anomalies measurable: ${effects.measurable}`);
  for (let seed = 0; seed < seeds; seed++) {
    for (const strategy of strategies) {
      const backend = lab.createBackend(`${strategy}-s${seed}`);
      const seconds = [];
      const runExperiments = backend.runExperiments.bind(backend);
      backend.runExperiments = async (file, options) => {
        const runs = await runExperiments(file, options);
        seconds.push(runs.durations.reduce((a, b) => a + b, 0));
        return runs;
      };
      const checkpoint = join(out, 'checkpoints', `${strategy}-s${seed}.json`);
      const result = await runActiveLearning({
        backend,
        evaluation,
        strategy,
        seed,
        iterations,
        perIteration,
        burnIn: 1,
        reselectEvery: 0,
        stepsPerIteration: Number(values.steps),
        checkpoint,
        resume: values.resume && existsSync(checkpoint),
      });
      // Iterations restored from a checkpoint ran in an earlier process: their seconds come from its report.
      const restored = result.iterations.length - seconds.length;
      let spent = 0;
      curves.get(strategy).push(
        result.iterations.map((record, k) => {
          spent += k < restored ? Number.NaN : (seconds[k - restored] ?? 0);
          return { runs: record.samples, seconds: spent, rocAuc: record.metrics?.rocAuc ?? 0, ran: record.ran };
        }),
      );
      log(
        `${strategy} seed ${seed + 1}/${seeds}: final ROC-AUC ${curves.get(strategy).at(-1).at(-1).rocAuc.toFixed(3)}`,
      );
    }
  }
  await writeReport({ effects, testSet, deployment });
} finally {
  await lab.release();
  await testbed.release();
}

// Target, censoring and paired log-ratio CIs come from active-learner's shared comparison summary (the one the
// emulation uses): a seed that never reaches the target counts as budget + one batch, censored.
async function writeReport({ effects, testSet, deployment }) {
  const finals = [...curves.values()].flatMap((list) => list.map((curve) => curve.at(-1).rocAuc));
  const target = finals.reduce((a, b) => a + b, 0) / finals.length - gap;
  const options = { target, censoring: { extraRuns: perIteration }, ratioMean: 'geometric' };
  const seedCurves = (strategy) => curves.get(strategy).map((points, seed) => ({ seed, points }));
  const rows = strategies.map((strategy) => {
    const list = seedCurves(strategy);
    const metrics = summarizeStrategyMetrics(strategy, list, options);
    const paired =
      strategy === 'random'
        ? undefined
        : summarizePairedComparison(strategy, list, 'random', seedCurves('random'), options);
    return {
      strategy,
      seeds: list.length,
      budgetRuns: iterations * perIteration,
      finalRocAuc: meanInterval(list.map((curve) => curve.points.at(-1).rocAuc)),
      runsToTarget: {
        mean: metrics.runsToTarget.mean,
        perSeed: metrics.runsToTarget.perSeed,
        censored: metrics.runsToTarget.censored,
      },
      secondsToTarget: { mean: metrics.secondsToTarget.mean, perSeed: metrics.secondsToTarget.perSeed },
      ...(paired
        ? { runsToTargetRatio: paired.runsToTargetRatio, secondsToTargetRatio: paired.secondsToTargetRatio }
        : {}),
    };
  });
  const fmt = (x, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');
  const ci = (r) => (r ? `${fmt(r.mean)} [${fmt(r.ci95?.[0])}, ${fmt(r.ci95?.[1])}]` : '1 (baseline)');
  const minutes = (Date.now() - started) / 60_000;
  const lines = [
    `Live, testbed-local (${deployment.workers.length} workers, isolation ${deployment.isolation}), 1000genome-like small (8 jobs); ${seeds} seeds x ${strategies.length} strategies x ${iterations} iterations of ${perIteration} runs (burn-in 1); test set ${testSet.runIds.length} runs (one per kind), 2 calibration runs; target = mean final ROC-AUC ${fmt(target + gap, 3)} - ${gap} = ${fmt(target, 3)}; anomalies measurable in the traces: ${effects.measurable}; ${fmt(minutes, 1)} min, load ${load()} (2 cores, shared).`,
    '',
    '| strategy | final ROC-AUC (95% CI) | runs to target (censored) | × random runs (95% CI) | testbed-s to target | × random seconds (95% CI) |',
    '|---|---|---|---|---|---|',
    ...rows.map(
      (row) =>
        `| ${row.strategy} | ${fmt(row.finalRocAuc.mean, 3)} [${fmt(row.finalRocAuc.ci95?.[0], 3)}, ${fmt(row.finalRocAuc.ci95?.[1], 3)}] | ${fmt(row.runsToTarget.mean, 1)} (${row.runsToTarget.censored}/${row.seeds}) | ${ci(row.runsToTargetRatio)} | ${fmt(row.secondsToTarget.mean, 0)} | ${ci(row.secondsToTargetRatio)} |`,
    ),
  ];
  const report = {
    workflow: '1000genome-like (small, 8 jobs)',
    testbed: { workers: deployment.workers.map((w) => w.name), isolation: deployment.isolation },
    kinds: [...lab.kinds],
    seeds,
    iterations,
    perIteration,
    target: { rocAuc: target, gap },
    anomalyEffects: effects,
    rows,
    curves: Object.fromEntries(curves),
    minutes,
    loadAverage: loadavg(),
  };
  await writeFile(join(out, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(join(out, 'report.md'), `${lines.join('\n')}\n`);
  process.stdout.write(`${lines.join('\n')}\n`);
}
