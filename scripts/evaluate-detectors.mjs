#!/usr/bin/env node
// Compares the self-supervised detector (SSL), two classical unsupervised detectors (kNN distance, isolation forest)
// and the supervised node-level GCN on job labels of Flow-Bench workflows, like with like: the same features
// (`--pipeline`, default full), the same split by run (seed), the same min-max scaler fitted on the training runs. Metrics are
// ROC-AUC, AP and P@k (k = number of anomalous jobs) on continuous scores of the test runs' jobs.
// Usage (after `npm run build`): npm run evaluate:detectors -- [--workflows 1000genome,montage] [--seed 0]
//   [--ssl-epochs 10] [--gcn-epochs 50] [--detectors ssl,knn,iforest,gcn] [--pipeline full]
//   [--ssl-options '{"eta":0.5}'] [--eval test|validation] [--normalization per-job|none] [--json]
// `--normalization per-job` standardizes each job's features with its training-run mean/std (the SSL model's
// `inputNormalization: 'per-job'`) for the SSL model and the kNN / isolation-forest rows alike.
// Hyperparameters are tuned with `--eval validation` (the validation runs of the same split, never the test runs).
// Progress goes to stderr; a Markdown table (or JSON with --json) to stdout.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { applyScaler, extractFeatures, fitScaler, loadFlowBench, splitByRun } from '@proteus-wf/features';
import { fitIsolationForest, fitKnnDetector, summarizeDetection, train, trainSsl } from '@proteus-wf/models';

const { values } = parseArgs({
  options: {
    workflows: { type: 'string', default: '1000genome,montage,predict_future_sales,casa_wind_full,eht_difmap' },
    datasets: {
      type: 'string',
      default: join(new URL('..', import.meta.url).pathname, '..', 'shared', 'datasets', 'flowbench'),
    },
    seed: { type: 'string', default: '0' },
    'ssl-epochs': { type: 'string' },
    'gcn-epochs': { type: 'string', default: '50' },
    threads: { type: 'string', default: '1' },
    detectors: { type: 'string', default: 'ssl,knn,iforest,gcn' },
    pipeline: { type: 'string', default: 'full' },
    'ssl-options': { type: 'string', default: '{}' },
    eval: { type: 'string', default: 'test' },
    normalization: { type: 'string', default: 'per-job' },
    json: { type: 'boolean', default: false },
  },
});
const seed = Number(values.seed);
const sslOptions = JSON.parse(values['ssl-options']);
if (values.eval !== 'test' && values.eval !== 'validation') throw new Error(`--eval must be test or validation`);
const part = values.eval;
if (values.normalization !== 'per-job' && values.normalization !== 'none')
  throw new Error('--normalization must be per-job or none');
const threads = Number(values.threads);
const log = (text) => process.stderr.write(`${text}\n`);

const rowsOf = (x, runs, block) => {
  const out = new Float32Array(runs.length * block);
  runs.forEach((run, i) => {
    out.set(x.subarray(run * block, (run + 1) * block), i * block);
  });
  return out;
};

// The same statistics as trainSsl's `inputNormalization: 'per-job'` (std floored at 0.01 of the min-max range).
function standardizePerJob(x, runs, nodes, width) {
  const block = nodes * width;
  const sum = new Float64Array(block);
  const squares = new Float64Array(block);
  for (const run of runs) {
    for (let k = 0; k < block; k++) {
      const v = x[run * block + k];
      sum[k] += v;
      squares[k] += v * v;
    }
  }
  const mean = sum.map((s) => s / runs.length);
  const std = squares.map((q, k) => Math.max(Math.sqrt(Math.max(q / runs.length - mean[k] ** 2, 0)), 0.01));
  return x.map((v, i) => (v - mean[i % block]) / std[i % block]);
}

const results = [];
for (const workflow of values.workflows.split(',')) {
  const path = join(values.datasets, `${workflow}.zip`);
  if (!existsSync(path)) {
    log(`skip ${workflow}: ${path} not found`);
    continue;
  }
  const started = performance.now();
  const features = extractFeatures(await loadFlowBench(path), { pipeline: values.pipeline });
  const split = splitByRun(features, { seed });
  const scaler = fitScaler(features, { kind: 'minmax', runs: split.train });
  const x = applyScaler(features, scaler).values;
  const width = features.featureNames.length;
  const nodes = features.jobsPerRun;
  const block = nodes * width;
  const labels = split[part].flatMap((run) =>
    Array.from({ length: nodes }, (_, j) => (features.jobLabels[run * nodes + j] === 'normal' ? 0 : 1)),
  );
  const row = { workflow, jobs: nodes, runs: features.runs.length, testJobs: labels.length, detectors: {} };
  const wanted = new Set(values.detectors.split(','));
  const time = async (name, run) => {
    if (!wanted.has(name.split(' ')[0])) return;
    const t = performance.now();
    const summary = await run();
    row.detectors[name] = { ...summary, seconds: (performance.now() - t) / 1000 };
    log(
      `${workflow} ${name}: AUC ${summary.rocAuc?.toFixed(3)} AP ${summary.averagePrecision?.toFixed(3)} P@k ${summary.precisionAtK?.toFixed(3)}`,
    );
  };
  const rows = values.normalization === 'per-job' ? standardizePerJob(x, split.train, nodes, width) : x;
  const train_ = rowsOf(rows, split.train, block);
  const test = rowsOf(rows, split[part], block);
  await time('knn', () => summarizeDetection(labels, fitKnnDetector(train_, width, { seed }).score(test)));
  await time('iforest', () => summarizeDetection(labels, fitIsolationForest(train_, width, { seed }).score(test)));
  await time(
    'ssl',
    async () =>
      (
        await trainSsl(features, {
          seed,
          ...(values['ssl-epochs'] ? { epochs: Number(values['ssl-epochs']) } : {}),
          threads,
          inputNormalization: values.normalization,
          ...sslOptions,
        })
      )[part],
  );
  await time('gcn (supervised)', async () => {
    const result = await train(features, {
      model: 'gcn',
      task: 'node',
      epochs: Number(values['gcn-epochs']),
      seed,
      threads,
    });
    if (part !== 'test') throw new Error('the GCN is reported on test runs only; drop gcn from --detectors');
    return result.test;
  });
  log(`${workflow}: ${((performance.now() - started) / 1000).toFixed(0)} s`);
  results.push(row);
}

if (values.json) {
  process.stdout.write(
    `${JSON.stringify({ seed, pipeline: values.pipeline, normalization: values.normalization, eval: part, sslOptions, sslEpochs: values['ssl-epochs'] ? Number(values['ssl-epochs']) : 'default', gcnEpochs: Number(values['gcn-epochs']), results })}\n`,
  );
} else {
  const f = (v) => (v === null || v === undefined ? 'n/a' : v.toFixed(3));
  const names = ['ssl', 'knn', 'iforest', 'gcn (supervised)'].filter((n) => results.some((r) => r.detectors[n]));
  const lines = [
    `| workflow (jobs, test jobs) | ${names.map((n) => `${n} AUC / AP / P@k`).join(' | ')} |`,
    `|---|${names.map(() => '---').join('|')}|`,
  ];
  for (const r of results) {
    lines.push(
      `| ${r.workflow} (${r.jobs}, ${r.testJobs}) | ${names
        .map((n) => {
          const d = r.detectors[n] ?? {};
          return `${f(d.rocAuc)} / ${f(d.averagePrecision)} / ${f(d.precisionAtK)}`;
        })
        .join(' | ')} |`,
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}
