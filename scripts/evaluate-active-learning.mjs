#!/usr/bin/env node
// Evidence for issue 5: the active-learning emulation (gradient strategy vs random, plus the ablation without Eq. 6's
// third term) on Flow-Bench 1000genome, montage and predict_future_sales, GCN and SSL, 5 seeds, 2 runs per
// iteration. Builds the packages it needs, then imports them by their public names. Writes one folder per
// (workflow, model) under the output folder (summary.json, report.html, checkpoints, request files) and prints one
// JSON line per (workflow, model) with the AULC and final metrics. Besides the paper's strategy (`gradient`, types
// ranked on the labelled runs) it runs `gradient, pool` (pool-based: types and runs ranked by the model's uncertainty
// on the unlabelled candidate runs) with the same seeds; its gain is against the same `random` entry.
// `--validation-fraction 0.2` evaluates on a validation share of each pool instead of the test set (for tuning).
//   npm run evaluate:al -- [--out al-evaluation] [--seeds 5] [--iterations 15] [--workflows 1000genome,montage] [--models gcn,ssl] [--resume]
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const root = new URL('..', import.meta.url).pathname;
const { values } = parseArgs({
  options: {
    out: { type: 'string', default: 'al-evaluation' },
    seeds: { type: 'string', default: '5' },
    iterations: { type: 'string', default: '15' },
    'per-iteration': { type: 'string', default: '2' },
    workflows: { type: 'string', default: '1000genome,montage,predict_future_sales' },
    models: { type: 'string', default: 'gcn,ssl' },
    datasets: { type: 'string', default: resolve(root, '..', 'shared', 'datasets', 'flowbench') },
    resume: { type: 'boolean', default: false },
    'validation-fraction': { type: 'string', default: '0' },
    'class-weights': { type: 'string', default: 'balanced' },
    'no-pool': { type: 'boolean', default: false },
    'run-reduce': { type: 'string', default: 'max' },
    'skip-build': { type: 'boolean', default: false },
  },
});

if (!values['skip-build']) {
  const packages = ['core', 'workflow-graph', 'features', 'models', 'active-learner'].flatMap((p) => [
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
const { emulateActiveLearning, samplesToReach } = await import('@proteus-wf/active-learner');

for (const workflow of values.workflows.split(',')) {
  const dataset = await loadFlowBench(join(values.datasets, `${workflow}.zip`));
  for (const model of values.models.split(',')) {
    const started = Date.now();
    const common = {
      model,
      strategy: 'gradient',
      seeds: Number(values.seeds),
      iterations: Number(values.iterations),
      perIteration: Number(values['per-iteration']),
      classWeights: values['class-weights'],
      ...(Number(values['validation-fraction']) > 0
        ? { validationFraction: Number(values['validation-fraction']) }
        : {}),
      resume: values.resume,
    };
    const progress = (label) => (e) =>
      process.stderr.write(
        `\r${workflow} ${model} ${label} ${(e.ratio * 100).toFixed(0).padStart(3)}% ${e.message ?? ''}`
          .slice(0, 118)
          .padEnd(118),
      );
    const summary = await emulateActiveLearning(dataset, {
      ...common,
      compare: ['random'],
      ablation: true,
      standard: true,
      out: join(values.out, `${workflow}-${model}`),
      onProgress: progress('paper'),
    });
    const pool = values['no-pool']
      ? undefined
      : await emulateActiveLearning(dataset, {
          ...common,
          runSelection: 'uncertain',
          typeScore: 'pool',
          runReduce: values['run-reduce'],
          out: join(values.out, `${workflow}-${model}-pool-${values['run-reduce']}`),
          onProgress: progress('pool'),
        });
    process.stderr.write('\n');
    const random = summary.strategies.find((s) => s.label === 'random');
    const row = (s, label = s.label) => ({
      strategy: label,
      aulc: +s.aulc.toFixed(4),
      aulcStd: +s.aulcStd.toFixed(4),
      rocAuc: +s.final.rocAuc.mean.toFixed(4),
      rocAucStd: +s.final.rocAuc.std.toFixed(4),
      averagePrecision: +s.final.averagePrecision.mean.toFixed(4),
      precisionAtK: +s.final.precisionAtK.mean.toFixed(4),
      aulcVsRandom: random ? +((s.aulc - random.aulc) / random.aulc).toFixed(4) : null,
      samplesToRandomFinal: random ? samplesToReach(s.curve, random.final.rocAuc.mean) : null,
    });
    const poolEntry = pool?.strategies[0];
    console.log(
      JSON.stringify({
        workflow,
        model,
        evaluatedOn: common.validationFraction ? 'validation' : 'test',
        seconds: Math.round((Date.now() - started) / 1000),
        strategies: [
          ...summary.strategies.map((s) => row(s)),
          ...(poolEntry ? [row(poolEntry, 'gradient, pool')] : []),
        ],
        comparison: summary.comparison,
      }),
    );
  }
}
