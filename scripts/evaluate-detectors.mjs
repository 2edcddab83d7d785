#!/usr/bin/env node
// The detector leaderboard: trains and scores every detector on every Flow-Bench workflow in ../shared/datasets
// with several seeds, like with like: the same `full` features, the same split by run (60/20/20, stratified by run
// label, the seed's), the same min-max scaler fitted on the training runs only. Job-level ROC-AUC / AP / P@k
// (k = number of anomalous jobs) on continuous scores of the test runs' jobs, and the run-level ROC-AUC of
// `aggregateJobScores` (is this run anomalous?). Detectors:
//   gcn        node-level GCN, `train`'s defaults (root weight, lr 3e-3 halved on plateaus, best validation ROC-AUC)
//   gcn-plain  the same with `rootWeight: false` (the WORKS'22 GCN)
//   mlp        the per-job MLP, `train`'s defaults
//   ssl        the self-supervised detector, `trainSsl`'s defaults (labels unused)
//   knn        PyOD-style kNN distance (k = 5) on per-job standardized features
//   iforest    isolation forest (100 trees, 256 samples) on the same inputs
//   zscore     training-free: the L2 norm of the job's per-job standardized features
// Every (workflow, detector, seed, settings) result is cached in the results JSON as soon as it exists, so an
// interrupted run resumes where it stopped; --table-only rewrites the tables from that file.
// Usage: npm run evaluate:detectors -- [--workflows all|a,b] [--seeds 0,1,2] [--detectors gcn,mlp,...]
//   [--gcn-options '{"epochs":100}'] [--ssl-options '{"epochs":20}'] [--results file.json] [--markdown file.md]
//   [--table-only] [--threads 1] [--validation-max-jobs 20000] [--readme packages/models/README.md]
//   [--merge a.json,b.json]  (adds those files' records of --detectors to --results, under its lock, before the run:
//   evaluations run in parallel into separate files, then one process writes their cells)
// Progress (with the load average) goes to stderr; the Markdown tables are written to --markdown and stdout.
import { existsSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { withFileLock, writeFileAtomic } from '@proteus-wf/core';
import { applyScaler, extractFeatures, fitScaler, loadFlowBench, splitByRun } from '@proteus-wf/features';
import {
  aggregateJobScores,
  fitIsolationForest,
  fitJobStatistics,
  fitKnnDetector,
  loadModel,
  rocAuc,
  runLabelsFromJobs,
  scoreJobs,
  summarizeDetection,
  train,
  trainSsl,
} from '@proteus-wf/models';

const ROOT = new URL('..', import.meta.url).pathname;
// Smallest first (runs x jobs), so a time-boxed run covers the most workflows.
const ALL_WORKFLOWS = [
  'eht_imaging',
  'eht_smili',
  'pycbc_inference',
  'eht_difmap',
  '1000genome',
  'predict_future_sales',
  'variant_calling',
  'casa_wind_full',
  'casa_nowcast_small',
  'montage',
];
const ALL_DETECTORS = ['gcn', 'gcn-plain', 'mlp', 'ssl', 'knn', 'iforest', 'zscore'];
const SUPERVISED = new Set(['gcn', 'gcn-plain', 'mlp']);
const RATIOS = { train: 0.6, validation: 0.2, test: 0.2 };
const RUN_AGGREGATES = ['top-k-mean', 'max', 'mean'];

// The PyTorch-side reference on these workflows (../shared/reference/ml.md §6, Flow-Bench v1 Table 2): job-level
// ROC-AUC of the best PyOD/PyGOD detector, node level, no split, and computed on 0/1 predictions (ml.md §4), so it
// understates what those detectors rank. ml.md has no supervised GNN/MLP numbers for Flow-Bench (§6).
const REFERENCE = {
  '1000genome': { rocAuc: 0.61, by: 'GCNAE (PyGOD)' },
  montage: { rocAuc: 0.57, by: 'HBOS (PyOD)' },
  predict_future_sales: { rocAuc: 0.663, by: 'KNN (PyOD)' },
};

const { values } = parseArgs({
  options: {
    workflows: { type: 'string', default: 'all' },
    datasets: { type: 'string', default: join(ROOT, '..', 'shared', 'datasets', 'flowbench') },
    seeds: { type: 'string', default: '0,1,2' },
    detectors: { type: 'string', default: ALL_DETECTORS.join(',') },
    'gcn-options': { type: 'string', default: '{}' },
    // trainSsl's defaults spelled out, so cached SSL cells of earlier defaults are never taken for these.
    'ssl-options': { type: 'string', default: '{"selfInput":false,"undirected":false,"lr":0.005,"epochs":30}' },
    results: { type: 'string', default: join(ROOT, 'packages', 'models', 'leaderboard', 'detectors.json') },
    markdown: { type: 'string', default: join(ROOT, 'packages', 'models', 'leaderboard', 'detectors.md') },
    'table-only': { type: 'boolean', default: false },
    merge: { type: 'string' },
    threads: { type: 'string', default: '1' },
    'validation-max-jobs': { type: 'string', default: '20000' },
    readme: { type: 'string' },
  },
});
const workflows = values.workflows === 'all' ? ALL_WORKFLOWS : values.workflows.split(',');
const seeds = values.seeds.split(',').map(Number);
const detectors = values.detectors.split(',');
for (const d of detectors) if (!ALL_DETECTORS.includes(d)) throw new Error(`unknown detector ${d}`);
const gcnOptions = JSON.parse(values['gcn-options']);
const sslOptions = JSON.parse(values['ssl-options']);
const threads = Number(values.threads);
const log = (text) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${text}\n`);
const load1 = () => Number(loadavg()[0].toFixed(1));

const store = existsSync(values.results)
  ? JSON.parse(readFileSync(values.results, 'utf8'))
  : { format: 'proteus-detector-leaderboard', version: 1, records: {} };
// Re-read before each task, so several evaluations (other workflows or detectors) can share one results file
// without repeating each other's work. Writing is a read-merge-write under a lock file: an atomic write alone loses
// the cells another process wrote between our read and our write.
const refresh = () => {
  if (existsSync(values.results)) {
    const onDisk = JSON.parse(readFileSync(values.results, 'utf8'));
    store.records = { ...onDisk.records, ...store.records };
  }
};
const save = () =>
  withFileLock(`${values.results}.lock`, { timeoutMs: 120_000, pollMs: 5, where: 'evaluate-detectors' }, async () => {
    refresh();
    await writeFileAtomic(values.results, `${JSON.stringify(store, null, 1)}\n`);
  });

// `train`'s default recipe, named in the cache key of the supervised cells so results of older defaults are not
// reused; bump it when those defaults change. 3: lr 3e-3 halved after 10 epochs without a validation gain of 1e-3,
// patience 50, at most 300 epochs; 2: the same from lr 1e-2 with patience 30 (unstable on pycbc_inference's MLP,
// seed 1); 1 (unnamed in older records): lr 1e-3 constant, patience 50, 200 epochs.
const TRAIN_DEFAULTS = 3;

/** What a detector was run with: part of the cache key, so other settings never reuse a result. */
function settingsOf(detector) {
  const recipe = { defaults: TRAIN_DEFAULTS, ...gcnOptions };
  if (detector === 'gcn') return { model: 'gcn', task: 'node', rootWeight: true, ...recipe };
  if (detector === 'gcn-plain') return { model: 'gcn', task: 'node', rootWeight: false, ...recipe };
  if (detector === 'mlp') return { model: 'mlp', task: 'node', ...recipe };
  if (detector === 'ssl') return { ...sslOptions };
  if (detector === 'knn') return { k: 5 };
  if (detector === 'iforest') return { trees: 100, sampleSize: 256 };
  return {};
}
const keyOf = (workflow, detector, seed) => `${workflow}/${detector}/${seed}/${JSON.stringify(settingsOf(detector))}`;

function rowsOf(x, runs, block) {
  const out = new Float32Array(runs.length * block);
  runs.forEach((run, i) => {
    out.set(x.subarray(run * block, (run + 1) * block), i * block);
  });
  return out;
}

function standardize(x, stats, block) {
  return x.map((v, i) => (v - stats.mean[i % block]) / stats.std[i % block]);
}

function labelsOf(features, runs) {
  const nodes = features.jobsPerRun;
  return Uint8Array.from({ length: runs.length * nodes }, (_, k) =>
    features.jobLabels[runs[Math.floor(k / nodes)] * nodes + (k % nodes)] === 'normal' ? 0 : 1,
  );
}

/** Job-level ranking metrics and the run-level ROC-AUC of each aggregate, for one part's scores. */
function summarize(labels, scores, nodes) {
  const jobs = summarizeDetection(labels, scores);
  const runTruth = runLabelsFromJobs(labels, nodes);
  const normalRuns = runTruth.filter((v) => v === 0).length;
  const runs = {};
  for (const method of RUN_AGGREGATES) {
    const runScores = aggregateJobScores(scores, nodes, { method });
    runs[method] = normalRuns === 0 || normalRuns === runTruth.length ? null : rocAuc(runTruth, runScores);
  }
  return {
    rocAuc: jobs.rocAuc,
    averagePrecision: jobs.averagePrecision,
    precisionAtK: jobs.precisionAtK,
    anomalies: jobs.anomalies,
    count: jobs.count,
    runs: runTruth.length,
    anomalousRuns: runTruth.length - normalRuns,
    runRocAuc: runs,
  };
}

async function scoreWithModel(trained, features, parts) {
  const model = await loadModel(trained, { threads });
  try {
    const { scores } = await scoreJobs(model, features);
    const nodes = features.jobsPerRun;
    return Object.fromEntries(
      Object.entries(parts).map(([name, runs]) => [
        name,
        summarize(labelsOf(features, runs), rowsOf(scores, runs, nodes), nodes),
      ]),
    );
  } finally {
    await model.release();
  }
}

async function runDetector(detector, features, split, prepared, seed) {
  const parts = { test: split.test, validation: split.validation };
  const nodes = features.jobsPerRun;
  if (SUPERVISED.has(detector)) {
    const { model: kind, defaults: _recipe, ...rest } = settingsOf(detector);
    const result = await train(features, { model: kind, seed, threads, ...rest });
    return {
      ...(await scoreWithModel(result.model, features, parts)),
      bestEpoch: result.bestEpoch,
      epochsRun: result.epochsRun,
      stoppedEarly: result.stoppedEarly,
      validationMetric: result.history.map((e) => e.validationMetric),
    };
  }
  if (detector === 'ssl') {
    const result = await trainSsl(features, { seed, threads, ...sslOptions });
    return { ...(await scoreWithModel(result.model, features, parts)), epochsRun: result.history.length };
  }
  const { rows, width, block } = prepared();
  const out = {};
  if (detector === 'zscore') {
    for (const [name, runs] of Object.entries(parts)) {
      const x = rowsOf(rows, runs, block);
      const scores = new Float32Array(x.length / width);
      for (let j = 0; j < scores.length; j++) {
        let sum = 0;
        for (let f = 0; f < width; f++) sum += x[j * width + f] ** 2;
        scores[j] = Math.sqrt(sum);
      }
      out[name] = summarize(labelsOf(features, runs), scores, nodes);
    }
    return out;
  }
  // kNN scoring is quadratic; its validation scores (for tuning other detectors against it) only on small workflows.
  if (detector === 'knn' && features.runs.length * nodes > Number(values['validation-max-jobs']))
    delete parts.validation;
  const trainRows = rowsOf(rows, split.train, block);
  const fitted =
    detector === 'knn'
      ? fitKnnDetector(trainRows, width, { k: 5, seed })
      : fitIsolationForest(trainRows, width, { trees: 100, sampleSize: 256, seed });
  for (const [name, runs] of Object.entries(parts)) {
    out[name] = summarize(labelsOf(features, runs), fitted.score(rowsOf(rows, runs, block)), nodes);
  }
  return out;
}

const featureCache = new Map();
async function featuresOf(workflow) {
  if (!featureCache.has(workflow)) {
    const path = join(values.datasets, `${workflow}.zip`);
    featureCache.set(
      workflow,
      existsSync(path) ? extractFeatures(await loadFlowBench(path), { pipeline: 'full' }) : null,
    );
  }
  return featureCache.get(workflow);
}

// Seed-major: every workflow gets its first seed before any gets a second, so a time-boxed run gives a whole table.
async function evaluate() {
  for (const seed of seeds) {
    for (const workflow of workflows) {
      refresh();
      const pending = detectors.filter((d) => !store.records[keyOf(workflow, d, seed)]);
      if (pending.length === 0) continue;
      const features = await featuresOf(workflow);
      if (!features) {
        log(`skip ${workflow}: not in ${values.datasets}`);
        continue;
      }
      log(
        `${workflow} seed ${seed}: ${features.runs.length} runs x ${features.jobsPerRun} jobs, ${pending.join(',')} (load ${load1()})`,
      );
      const split = splitByRun(features, { seed, ratios: RATIOS });
      let cached;
      // The classical detectors' inputs: min-max on the training runs, then each job standardized with its own
      // training-run mean and std (trainSsl's `inputNormalization: 'per-job'`).
      const prepared = () => {
        if (cached) return cached;
        const scaler = fitScaler(features, { kind: 'minmax', runs: split.train });
        const x = applyScaler(features, scaler).values;
        const width = features.featureNames.length;
        const block = features.jobsPerRun * width;
        const stats = fitJobStatistics(x, split.train, features.jobsPerRun, width);
        cached = { rows: standardize(x, stats, block), width, block };
        return cached;
      };
      for (const detector of pending) {
        const key = keyOf(workflow, detector, seed);
        refresh();
        if (store.records[key]) continue;
        const started = performance.now();
        const loadBefore = load1();
        const result = await runDetector(detector, features, split, prepared, seed);
        const record = {
          workflow,
          detector,
          seed,
          settings: settingsOf(detector),
          ...result,
          seconds: Number(((performance.now() - started) / 1000).toFixed(1)),
          loadavg: [loadBefore, load1()],
          at: new Date().toISOString(),
        };
        store.records[key] = record;
        await save();
        const f = (v) => (v == null ? 'n/a' : v.toFixed(3));
        log(
          `${workflow} ${detector} seed ${seed}: AUC ${f(result.test.rocAuc)} AP ${f(result.test.averagePrecision)} P@k ${f(result.test.precisionAtK)} run AUC ${f(result.test.runRocAuc['top-k-mean'])}${result.bestEpoch ? ` best epoch ${result.bestEpoch}/${result.epochsRun}` : ''} ${record.seconds} s (load ${record.loadavg.join(' -> ')})`,
        );
      }
    }
  }
}

// ---- tables ----

function stats(list) {
  const v = list.filter((x) => x !== null && x !== undefined);
  if (v.length === 0) return null;
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  const sd = v.length > 1 ? Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / (v.length - 1)) : 0;
  return { mean, sd, n: v.length };
}
const short = (v) => v.toFixed(3).replace(/^0/, '');
const fmt = (s) => (s ? (s.n > 1 ? `${short(s.mean)} ± ${short(s.sd)}` : short(s.mean)) : '—');

function aggregate() {
  const table = {};
  for (const record of Object.values(store.records)) {
    if (!workflows.includes(record.workflow) || !seeds.includes(record.seed)) continue;
    if (JSON.stringify(record.settings) !== JSON.stringify(settingsOf(record.detector))) continue;
    table[record.workflow] ??= {};
    const row = table[record.workflow];
    row[record.detector] ??= [];
    row[record.detector].push(record);
  }
  return table;
}

function markdown(table) {
  const present = detectors.filter((d) => Object.values(table).some((row) => row[d]));
  const metric = (records, pick) => stats(records.map(pick));
  const block = (title, pick, reference) => {
    const lines = [
      `#### ${title}`,
      '',
      `| workflow (jobs/run, test runs) | ${present.join(' | ')}${reference ? ' | PyTorch ref. (ml.md §6)' : ''} |`,
      `|---|${present.map(() => '---').join('|')}${reference ? '|---' : ''}|`,
    ];
    for (const workflow of workflows) {
      const row = table[workflow];
      if (!row) continue;
      const any = Object.values(row)[0][0];
      const cells = present.map((d) => (row[d] ? metric(row[d], pick) : null));
      const best = Math.max(...cells.map((c) => c?.mean ?? -1));
      const seedsDone = Math.max(...present.map((d) => row[d]?.length ?? 0));
      const ref = REFERENCE[workflow];
      lines.push(
        `| ${workflow} (${any.test.count / any.test.runs}, ${any.test.runs})${seedsDone < seeds.length ? ` [≤ ${seedsDone} of ${seeds.length} seeds]` : ''} | ${cells
          .map((c, i) => {
            const n = row[present[i]]?.length ?? 0;
            const text = `${fmt(c)}${c && n < seedsDone ? ` (${n})` : ''}`;
            return c && c.mean === best ? `**${text}**` : text;
          })
          .join(
            ' | ',
          )}${reference ? ` | ${ref ? `${ref.rocAuc.toFixed(3).replace(/^0/, '')} ${ref.by}` : '—'}` : ''} |`,
      );
    }
    return lines.join('\n');
  };
  // The previous defaults' cells (recipe 1: constant lr 1e-3, 200 epochs) of the same seeds, when the cache has them.
  const previous = {};
  for (const record of Object.values(store.records)) {
    if (!SUPERVISED.has(record.detector) || record.settings.defaults !== undefined) continue;
    const { defaults: _current, ...rest } = settingsOf(record.detector);
    if (JSON.stringify(record.settings) !== JSON.stringify(rest)) continue;
    previous[`${record.workflow}/${record.detector}/${record.seed}`] = record;
  }
  const convergence = [
    `#### Convergence of the supervised defaults (recipe ${TRAIN_DEFAULTS})`,
    '',
    'Per seed: kept (best validation) epoch / epochs run, `cap` when training reached the epoch cap instead of stopping',
    'by patience; then the mean test ROC-AUC of these defaults and, on the seeds where the cache has it, of the previous',
    'defaults (recipe 1: constant lr 1e-3, 200 epochs).',
    '',
    '| workflow | gcn: epochs | gcn: ROC-AUC now / before (seeds) | mlp: epochs | mlp: ROC-AUC now / before (seeds) | gcn-plain: epochs |',
    '|---|---|---|---|---|---|',
  ];
  for (const workflow of workflows) {
    const row = table[workflow];
    if (!row) continue;
    const epochs = (d) =>
      (row[d] ?? [])
        .sort((a, b) => a.seed - b.seed)
        .map((r) => `${r.bestEpoch}/${r.epochsRun}${r.stoppedEarly ? '' : ' cap'}`)
        .join(', ') || '—';
    const versus = (d) => {
      const now = row[d] ?? [];
      const pairs = now.filter((r) => previous[`${workflow}/${d}/${r.seed}`]);
      if (pairs.length === 0) return now.length ? `${short(stats(now.map((r) => r.test.rocAuc)).mean)} / —` : '—';
      const mean = (list) => short(stats(list).mean);
      return `${mean(pairs.map((r) => r.test.rocAuc))} / ${mean(pairs.map((r) => previous[`${workflow}/${d}/${r.seed}`].test.rocAuc))} (${pairs.map((r) => r.seed).join(',')})`;
    };
    convergence.push(
      `| ${workflow} | ${epochs('gcn')} | ${versus('gcn')} | ${epochs('mlp')} | ${versus('mlp')} | ${epochs('gcn-plain')} |`,
    );
  }
  const seedList = [
    '#### Seeds per cell',
    '',
    `| workflow | ${present.join(' | ')} |`,
    `|---|${present.map(() => '---').join('|')}|`,
  ];
  for (const workflow of workflows) {
    const row = table[workflow];
    if (!row) continue;
    const cell = (d) =>
      (row[d] ?? [])
        .map((r) => r.seed)
        .sort((a, b) => a - b)
        .join(',') || '—';
    seedList.push(`| ${workflow} | ${present.map(cell).join(' | ')} |`);
  }
  // Comparisons use the seeds every compared detector has, so a detector with more seeds is not judged on others.
  const commonSeeds = (row, names) => {
    const sets = names.filter((d) => row[d]).map((d) => new Set(row[d].map((r) => r.seed)));
    return sets.length === 0 ? [] : [...sets[0]].filter((seed) => sets.every((set) => set.has(seed)));
  };
  const meanOn = (records, seedList) =>
    stats((records ?? []).filter((r) => seedList.includes(r.seed)).map((r) => r.test.rocAuc))?.mean ?? null;
  const targets = [
    '#### Targets (job-level ROC-AUC, means over the seeds all compared detectors have)',
    '',
    '| workflow | seeds compared | best supervised | best classical (kNN, iforest, zscore) | supervised ≥ PyTorch ref. | supervised > every classical | SSL (seeds) > kNN and iforest |',
    '|---|---|---|---|---|---|---|',
  ];
  const yesNo = (v) => (v === null ? '—' : v ? 'yes' : 'no');
  const SUPERVISED_NAMES = ['gcn', 'gcn-plain', 'mlp'];
  const CLASSICAL_NAMES = ['knn', 'iforest', 'zscore'];
  for (const workflow of workflows) {
    const row = table[workflow];
    if (!row) continue;
    const shared = commonSeeds(
      row,
      [...SUPERVISED_NAMES, ...CLASSICAL_NAMES].filter((d) => d !== 'gcn-plain'),
    );
    const best = (names) =>
      names
        .map((d) => ({ d, m: meanOn(row[d], shared) }))
        .filter((c) => c.m !== null)
        .sort((a, b) => b.m - a.m)[0] ?? null;
    const supervised = best(SUPERVISED_NAMES);
    const classical = best(CLASSICAL_NAMES);
    const ref = REFERENCE[workflow];
    const sslSeeds = commonSeeds(row, ['ssl', 'knn', 'iforest']);
    const ssl = meanOn(row.ssl, sslSeeds);
    const knn = meanOn(row.knn, sslSeeds);
    const forest = meanOn(row.iforest, sslSeeds);
    const cell = (c) => (c ? `${c.d} ${c.m.toFixed(3)}` : '—');
    const sslCell =
      ssl !== null && knn !== null && forest !== null
        ? `${yesNo(ssl > knn && ssl > forest)} (${sslSeeds.join(',')}: ${ssl.toFixed(3)} vs ${knn.toFixed(3)} / ${forest.toFixed(3)})`
        : '—';
    targets.push(
      `| ${workflow} | ${shared.join(',') || '—'} | ${cell(supervised)} | ${cell(classical)} | ${ref && supervised ? yesNo(supervised.m >= ref.rocAuc) : '—'} | ${supervised && classical ? yesNo(supervised.m > classical.m) : '—'} | ${sslCell} |`,
    );
  }
  return [
    targets.join('\n'),
    block('Job-level ROC-AUC (test runs, mean ± sd over seeds)', (r) => r.test.rocAuc, true),
    block('Job-level average precision', (r) => r.test.averagePrecision),
    block('Job-level P@k (k = anomalous test jobs)', (r) => r.test.precisionAtK),
    block('Run-level ROC-AUC (top-k mean of job scores, k = 10% of the jobs)', (r) => r.test.runRocAuc['top-k-mean']),
    convergence.join('\n'),
    seedList.join('\n'),
  ].join('\n\n');
}

if (values.merge) {
  for (const file of values.merge.split(',')) {
    const { records } = JSON.parse(readFileSync(file, 'utf8'));
    for (const [key, record] of Object.entries(records))
      if (detectors.includes(record.detector)) store.records[key] = record;
  }
  await save();
}
if (!values['table-only']) await evaluate();
const table = aggregate();
const text = `${markdown(table)}\n`;
await writeFileAtomic(values.markdown, text);
// --readme: the tables replace what stands between the leaderboard markers of that README.
if (values.readme) {
  const readme = readFileSync(values.readme, 'utf8');
  const start = '<!-- leaderboard:start -->';
  const end = '<!-- leaderboard:end -->';
  const from = readme.indexOf(start);
  const to = readme.indexOf(end);
  if (from < 0 || to < from) throw new Error(`${values.readme} has no ${start} ... ${end} markers`);
  await writeFileAtomic(values.readme, `${readme.slice(0, from + start.length)}\n\n${text}\n${readme.slice(to)}`);
}
process.stdout.write(text);
