#!/usr/bin/env node
// Tunes the self-supervised detector on VALIDATION runs only: the same split by run as `evaluate:detectors`
// (60/20/20, the seed's), training on the training runs, job-level ROC-AUC on the validation runs; test runs are
// never scored into the output. Each variant is a name and `trainSsl` options; the reference rows are kNN, isolation
// forest and the training-free per-job z-score on the same validation runs (the leaderboard's inputs).
// Usage: npm run tune:ssl -- --workflows eht_imaging,pycbc_inference --seeds 0,1,2
//   --variants '{"default":{},"no-screen":{"screen":0}}' [--references knn,iforest,zscore] [--results file.json]
// Results are cached in --results (default /tmp/proteus-tune-ssl.json) per (workflow, seed, variant options).
import { existsSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { writeFileAtomic } from '@proteus-wf/core';
import { applyScaler, extractFeatures, fitScaler, loadFlowBench, splitByRun } from '@proteus-wf/features';
import { fitIsolationForest, fitJobStatistics, fitKnnDetector, rocAuc, trainSsl } from '@proteus-wf/models';

const ROOT = new URL('..', import.meta.url).pathname;
const RATIOS = { train: 0.6, validation: 0.2, test: 0.2 };
const { values } = parseArgs({
  options: {
    workflows: { type: 'string', default: 'eht_imaging,eht_smili,pycbc_inference,eht_difmap' },
    datasets: { type: 'string', default: join(ROOT, '..', 'shared', 'datasets', 'flowbench') },
    seeds: { type: 'string', default: '0,1,2' },
    variants: { type: 'string', default: '{"default":{}}' },
    references: { type: 'string', default: 'knn,iforest,zscore' },
    results: { type: 'string', default: '/tmp/proteus-tune-ssl.json' },
    threads: { type: 'string', default: '1' },
  },
});
const workflows = values.workflows.split(',');
const seeds = values.seeds.split(',').map(Number);
const variants = JSON.parse(values.variants);
const references = values.references ? values.references.split(',') : [];
const load1 = () => loadavg()[0].toFixed(1);
const log = (text) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${text}\n`);
const store = existsSync(values.results) ? JSON.parse(readFileSync(values.results, 'utf8')) : {};

function labelsOf(features, runs) {
  const nodes = features.jobsPerRun;
  return Uint8Array.from({ length: runs.length * nodes }, (_, k) =>
    features.jobLabels[runs[Math.floor(k / nodes)] * nodes + (k % nodes)] === 'normal' ? 0 : 1,
  );
}

function rowsOf(x, runs, block) {
  const out = new Float32Array(runs.length * block);
  runs.forEach((run, i) => {
    out.set(x.subarray(run * block, (run + 1) * block), i * block);
  });
  return out;
}

/** Validation ROC-AUC of the leaderboard's classical detectors on per-job standardized min-max features. */
function referenceAuc(name, features, split, seed) {
  const scaler = fitScaler(features, { kind: 'minmax', runs: split.train });
  const x = applyScaler(features, scaler).values;
  const width = features.featureNames.length;
  const block = features.jobsPerRun * width;
  const { mean, std } = fitJobStatistics(x, split.train, features.jobsPerRun, width);
  const rows = x.map((v, i) => (v - mean[i % block]) / std[i % block]);
  const validation = rowsOf(rows, split.validation, block);
  let scores;
  if (name.startsWith('zscore')) {
    // zscore: L2 norm; zscore-positive: only features above their job's training mean count (slowdowns lengthen).
    const positive = name === 'zscore-positive';
    const compress = name === 'zscore-log' ? (z) => Math.log1p(Math.abs(z)) : (z) => z;
    scores = new Float32Array(validation.length / width);
    for (let j = 0; j < scores.length; j++) {
      let sum = 0;
      for (let f = 0; f < width; f++) {
        const z = validation[j * width + f];
        if (!positive || z > 0) sum += compress(z) ** 2;
      }
      scores[j] = Math.sqrt(sum);
    }
  } else {
    const train = rowsOf(rows, split.train, block);
    const fitted =
      name === 'knn'
        ? fitKnnDetector(train, width, { k: 5, seed })
        : fitIsolationForest(train, width, { trees: 100, sampleSize: 256, seed });
    scores = fitted.score(validation);
  }
  return rocAuc(labelsOf(features, split.validation), scores);
}

const tasks = [
  ...references.map((name) => ({ name, options: null })),
  ...Object.entries(variants).map(([name, options]) => ({ name, options })),
];
for (const seed of seeds) {
  for (const workflow of workflows) {
    let features;
    for (const task of tasks) {
      const key = `${workflow}/${seed}/${task.options ? `ssl:${JSON.stringify(task.options)}` : task.name}`;
      if (store[key]) continue;
      features ??= extractFeatures(await loadFlowBench(join(values.datasets, `${workflow}.zip`)), { pipeline: 'full' });
      const split = splitByRun(features, { seed, ratios: RATIOS });
      const started = performance.now();
      const before = load1();
      const auc = task.options
        ? (await trainSsl(features, { seed, threads: Number(values.threads), ...task.options })).validation.rocAuc
        : referenceAuc(task.name, features, split, seed);
      store[key] = {
        workflow,
        seed,
        name: task.name,
        options: task.options,
        validationRocAuc: auc,
        seconds: Number(((performance.now() - started) / 1000).toFixed(1)),
        loadavg: [Number(before), Number(load1())],
      };
      await writeFileAtomic(values.results, `${JSON.stringify(store, null, 1)}\n`);
      log(
        `${workflow} seed ${seed} ${task.name}: validation AUC ${auc.toFixed(3)} (${store[key].seconds} s, load ${before})`,
      );
    }
  }
}

// Mean validation ROC-AUC per workflow (over the seeds asked for), one column per task.
const names = tasks.map((t) => t.name);
const lines = [`| workflow | ${names.join(' | ')} |`, `|---|${names.map(() => '---').join('|')}|`];
const wins = Object.fromEntries(names.map((n) => [n, 0]));
for (const workflow of workflows) {
  const means = tasks.map((task) => {
    const key = (seed) => `${workflow}/${seed}/${task.options ? `ssl:${JSON.stringify(task.options)}` : task.name}`;
    const list = seeds.map((seed) => store[key(seed)]?.validationRocAuc).filter((v) => v != null);
    return list.length ? list.reduce((a, b) => a + b, 0) / list.length : null;
  });
  const classical = ['knn', 'iforest'].map((n) => means[names.indexOf(n)]).filter((v) => v != null);
  names.forEach((n, i) => {
    if (!['knn', 'iforest', 'zscore'].includes(n) && classical.length === 2 && means[i] > Math.max(...classical))
      wins[n]++;
  });
  lines.push(`| ${workflow} | ${means.map((m) => (m == null ? '—' : m.toFixed(3))).join(' | ')} |`);
}
lines.push(
  `| beats kNN and iforest | ${names.map((n) => (['knn', 'iforest', 'zscore'].includes(n) ? '' : wins[n])).join(' | ')} |`,
);
process.stdout.write(`${lines.join('\n')}\n`);
