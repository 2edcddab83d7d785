#!/usr/bin/env node
// Compares the self-supervised detector (SSL), two classical unsupervised detectors (kNN distance, isolation forest)
// and the supervised node-level GCN on job labels of Flow-Bench workflows, like with like: the same features
// (flowbench-v1), the same split by run (seed), the same min-max scaler fitted on the training runs. Metrics are
// ROC-AUC, AP and P@k (k = number of anomalous jobs) on continuous scores of the test runs' jobs.
// Usage (after `npm run build`): npm run evaluate:detectors -- [--workflows 1000genome,montage] [--seed 0]
//   [--ssl-epochs 20] [--gcn-epochs 50] [--detectors ssl,knn,iforest,gcn] [--json]
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
    'ssl-epochs': { type: 'string', default: '20' },
    'gcn-epochs': { type: 'string', default: '50' },
    threads: { type: 'string', default: '1' },
    detectors: { type: 'string', default: 'ssl,knn,iforest,gcn' },
    json: { type: 'boolean', default: false },
  },
});
const seed = Number(values.seed);
const threads = Number(values.threads);
const log = (text) => process.stderr.write(`${text}\n`);

const rowsOf = (x, runs, block) => {
  const out = new Float32Array(runs.length * block);
  runs.forEach((run, i) => {
    out.set(x.subarray(run * block, (run + 1) * block), i * block);
  });
  return out;
};

const results = [];
for (const workflow of values.workflows.split(',')) {
  const path = join(values.datasets, `${workflow}.zip`);
  if (!existsSync(path)) {
    log(`skip ${workflow}: ${path} not found`);
    continue;
  }
  const started = performance.now();
  const features = extractFeatures(await loadFlowBench(path), { pipeline: 'flowbench-v1' });
  const split = splitByRun(features, { seed });
  const scaler = fitScaler(features, { kind: 'minmax', runs: split.train });
  const x = applyScaler(features, scaler).values;
  const width = features.featureNames.length;
  const nodes = features.jobsPerRun;
  const block = nodes * width;
  const labels = split.test.flatMap((run) =>
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
  const train_ = rowsOf(x, split.train, block);
  const test = rowsOf(x, split.test, block);
  await time('knn', () => summarizeDetection(labels, fitKnnDetector(train_, width, { seed }).score(test)));
  await time('iforest', () => summarizeDetection(labels, fitIsolationForest(train_, width, { seed }).score(test)));
  await time(
    'ssl',
    async () => (await trainSsl(features, { seed, epochs: Number(values['ssl-epochs']), threads })).test,
  );
  await time('gcn (supervised)', async () => {
    const result = await train(features, {
      model: 'gcn',
      task: 'node',
      epochs: Number(values['gcn-epochs']),
      seed,
      threads,
    });
    return result.test;
  });
  log(`${workflow}: ${((performance.now() - started) / 1000).toFixed(0)} s`);
  results.push(row);
}

if (values.json) {
  process.stdout.write(
    `${JSON.stringify({ seed, sslEpochs: Number(values['ssl-epochs']), gcnEpochs: Number(values['gcn-epochs']), results })}\n`,
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
