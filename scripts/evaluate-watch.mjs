#!/usr/bin/env node
// Issue 16's evidence for `proteus watch`: live local testbed runs with injected anomalies, each followed by the CLI
// from the moment its submit directory appears. Against the built packages (npm run build first); needs the rights
// testbed-local needs for per-worker anomalies (root: cgroups).
//   node scripts/evaluate-watch.mjs [--train-runs 12] [--runs 12] [--epochs 100] [--out <folder>]
// 1. A training campaign (controller + injector + testbed-local) of the 1000genome-like example workflow (small
//    scale): half normal runs, half cpu_1 / hdd_1 on one of two workers, jobs labelled from the ledger; a node-level
//    GCN trained on those CSVs (`train`, default recipe, `--epochs`).
// 2. An evaluation campaign of `--runs` runs (half normal, half anomalous). The controller runs each on the testbed;
//    the moment the run's submit directory appears, `proteus watch <submit-dir> --model <model> --json` (the CLI, a
//    child process) follows it, alerting above the highest run score of a normal training run (`--threshold`). A
//    job's latency is from its kickstart record's mtime (the record appearing) to its
//    watch line being read here. An alert is a run-level `alert` line.
// A job whose record appeared before the watcher's first line waited for the CLI to start (node + onnxruntime): the
// summary gives the latency over every job and over the jobs after start-up.
// Prints one JSON line per evaluated run, then a markdown table and a summary line (with the load average).
import { execFile, spawn } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs, promisify } from 'node:util';
import { createController, parseCampaignConfig } from '@proteus-wf/controller';
import { loadFlowBench } from '@proteus-wf/features';
import { createInjector } from '@proteus-wf/injector';
import { loadModel, saveModel, scoreRuns, train } from '@proteus-wf/models';
import { createLocalTestbed } from '@proteus-wf/testbed-local';

const root = resolve(import.meta.dirname, '..');
const { values } = parseArgs({
  options: {
    'train-runs': { type: 'string', default: '12' },
    runs: { type: 'string', default: '12' },
    epochs: { type: 'string', default: '100' },
    seed: { type: 'string', default: '1' },
    out: { type: 'string' },
  },
});
const trainRuns = Number(values['train-runs']);
const evalRuns = Number(values.runs);
const cli = join(root, 'packages', 'cli', 'bin', 'proteus.js');
const example = join(root, 'examples', 'workflows', '1000genome-like');
const folder = values.out ? resolve(values.out) : await mkdtemp(join(tmpdir(), 'proteus-evaluate-watch-'));
await mkdir(folder, { recursive: true });
const load = () => loadavg()[0].toFixed(1);

const workflow = join(folder, 'workflow', 'workflow.yml');
await mkdir(join(folder, 'workflow'), { recursive: true });
await promisify(execFile)(process.execPath, [join(example, 'generate.mjs'), '--scale', 'small', '--out', workflow]);
for (const name of await readdir(example))
  if (name.endsWith('.txt')) await copyFile(join(example, name), join(folder, 'workflow', name));

/** A campaign of `runs` runs: half normal, the rest cpu_1 and hdd_1 in turn on one worker. */
function campaign(runs) {
  const anomalous = Math.floor(runs / 2);
  const cpu = Math.ceil(anomalous / 2);
  return parseCampaignConfig({
    infrastructure: {
      workers: [
        { name: 'w1', cores: 1, memory_mb: 512 },
        { name: 'w2', cores: 1, memory_mb: 512 },
      ],
    },
    experiments: [
      { workflow: 'genome', type: 'normal', number_of_runs: runs - anomalous, number_of_anomaly_workers: [] },
      { workflow: 'genome', type: 'cpu_1', number_of_runs: cpu, number_of_anomaly_workers: [1] },
      { workflow: 'genome', type: 'hdd_1', number_of_runs: anomalous - cpu, number_of_anomaly_workers: [1] },
    ].filter((experiment) => experiment.number_of_runs > 0),
    workflows: { genome: { path: workflow } },
  });
}

const config = campaign(trainRuns);
const ledgerPath = join(folder, 'ledger.jsonl');
const modelDir = join(folder, 'model');
let threshold = Number.NaN;
const testbed = createLocalTestbed({
  workers: config.infrastructure.workers.map((worker) => ({ name: worker.name, cores: worker.cores })),
  workDir: join(folder, 'testbed'),
  cpuWeight: 64,
});
const injector = createInjector({ ledgerPath, workDir: folder });
try {
  // 1. Training runs and the model.
  const trainer = createController({ testbed, injector, outDir: join(folder, 'train'), seed: 1, ledgerPath });
  const trained = await trainer.runCampaign(trainer.planCampaign(config));
  const dataset = await loadFlowBench(join(folder, 'train', 'genome'));
  const result = await train(dataset, {
    task: 'node',
    model: 'gcn',
    epochs: Number(values.epochs),
    seed: Number(values.seed),
  });
  await saveModel(result.model, modelDir);
  // The alert threshold, from the training runs only: the highest run score (its most anomalous job) of a normal run.
  const saved = await loadModel(modelDir);
  const trainScores = await scoreRuns(saved, dataset);
  await saved.release();
  threshold = Math.max(...dataset.runs.flatMap((run, i) => (run.label === 'normal' ? [trainScores.scores[i]] : [])));
  console.log(
    JSON.stringify({
      phase: 'train',
      runs: trained.done,
      failed: trained.failed,
      jobs: dataset.jobsPerRun,
      testRocAuc: result.test?.rocAuc ?? null,
      threshold,
      load: load(),
    }),
  );

  // 2. Evaluation runs, each followed live by `proteus watch`.
  const watched = new Map();
  const watchingTestbed = Object.assign(Object.create(testbed), {
    async runWorkflow(path, options) {
      const submitDir = join(options.workDir, 'submit');
      let settled = false;
      const running = testbed.runWorkflow(path, options).finally(() => {
        settled = true;
      });
      const watching = watchRun(submitDir, () => settled);
      try {
        return await running;
      } finally {
        watched.set(options.runId, await watching);
      }
    },
  });
  const evaluator = createController({
    testbed: watchingTestbed,
    injector,
    outDir: join(folder, 'eval'),
    seed: 2,
    ledgerPath,
  });
  const plan = evaluator.planCampaign(campaign(evalRuns));
  const evaluated = await evaluator.runCampaign(plan);

  const rows = [];
  for (const run of plan.runs) {
    const seen = watched.get(run.id) ?? { jobs: [], alerts: 0, summary: null, error: 'not watched' };
    const latencies = seen.jobs.map((job) => job.latencyMs).sort((a, b) => a - b);
    const row = {
      run: run.id,
      anomaly: run.anomaly,
      jobs: seen.jobs.length,
      p50Ms: quantile(latencies, 0.5),
      p95Ms: quantile(latencies, 0.95),
      maxMs: latencies.at(-1) ?? null,
      alert: seen.alerts > 0,
      runScore: seen.summary?.runScore ?? null,
      firstAlertAfterJobs: seen.firstAlertAt ?? null,
      error: seen.error ?? null,
      load: load(),
    };
    rows.push(row);
    console.log(JSON.stringify(row));
  }

  const all = [...watched.values()].flatMap((seen) => seen.jobs.map((job) => job.latencyMs)).sort((a, b) => a - b);
  const warm = [...watched.values()]
    .flatMap((seen) => seen.jobs.filter((job) => job.afterStartup).map((job) => job.latencyMs))
    .sort((a, b) => a - b);
  const anomalousRuns = rows.filter((row) => row.anomaly !== 'normal');
  const normalRuns = rows.filter((row) => row.anomaly === 'normal');
  console.log('\n| run | anomaly | jobs scored | latency p50 / p95 / max (ms) | alert | run score |');
  console.log('| --- | --- | --- | --- | --- | --- |');
  for (const row of rows) {
    console.log(
      `| ${row.run} | ${row.anomaly} | ${row.jobs} | ${row.p50Ms?.toFixed(0)} / ${row.p95Ms?.toFixed(0)} / ${row.maxMs?.toFixed(0)} | ${row.alert ? `yes (after ${row.firstAlertAfterJobs} jobs)` : 'no'} | ${row.runScore?.toFixed(3) ?? '-'} |`,
    );
  }
  console.log(
    `\n${JSON.stringify({
      summary: true,
      runs: rows.length,
      failedRuns: evaluated.failed,
      alertsOnAnomalousRuns: `${anomalousRuns.filter((row) => row.alert).length}/${anomalousRuns.length}`,
      alertsOnNormalRuns: `${normalRuns.filter((row) => row.alert).length}/${normalRuns.length}`,
      jobsScored: all.length,
      latencyMs: { p50: quantile(all, 0.5), p95: quantile(all, 0.95), max: all.at(-1) ?? null },
      withinOneSecond: all.length > 0 ? all.filter((ms) => ms <= 1000).length / all.length : null,
      afterStartup: {
        jobs: warm.length,
        p50: quantile(warm, 0.5),
        p95: quantile(warm, 0.95),
        max: warm.at(-1) ?? null,
        withinOneSecond: warm.length > 0 ? warm.filter((ms) => ms <= 1000).length / warm.length : null,
      },
      model: { trainRuns: trained.done, testRocAuc: result.test?.rocAuc ?? null, threshold },
      load: loadavg().map((l) => l.toFixed(1)),
      folder,
    })}`,
  );
} finally {
  await testbed.release();
}
if (!values.out) await rm(folder, { recursive: true, force: true });

/**
 * Waits for the run's submit directory, then follows it with `proteus watch --json` until the workflow ends. Each job
 * line is timed against its kickstart record's mtime.
 */
async function watchRun(submitDir, isSettled) {
  const seen = { jobs: [], alerts: 0, summary: null, firstAlertAt: null, readyAt: null };
  while (!(await exists(join(submitDir, 'jobstate.log')))) {
    if (isSettled()) return { ...seen, error: 'no submit directory' };
    await new Promise((r) => setTimeout(r, 20));
  }
  const child = spawn(
    process.execPath,
    [cli, 'watch', submitDir, '--model', modelDir, '--threshold', String(threshold), '--json', '--poll-ms', '100'],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  for await (const line of createInterface({ input: child.stdout })) {
    const readAt = Date.now();
    seen.readyAt ??= readAt;
    const event = JSON.parse(line);
    if (event.type === 'job') {
      const record = await kickstartMtime(submitDir, event.job);
      // Jobs whose record appeared before the watcher printed its first line waited for the CLI to start.
      seen.jobs.push({
        job: event.job,
        latencyMs: record === null ? event.latencyMs : readAt - record,
        afterStartup: record !== null && record >= (seen.jobs.length === 0 ? readAt : seen.readyAt),
      });
    } else if (event.type === 'alert') {
      seen.alerts++;
      seen.firstAlertAt ??= event.finishedJobs;
    } else if (event.type === 'summary') {
      seen.summary = event;
    }
  }
  const code = await new Promise((r) => child.on('close', r));
  return code === 0 ? seen : { ...seen, error: `proteus watch exited ${code}: ${stderr.trim().slice(0, 300)}` };
}

/** The mtime (ms) of a job's latest kickstart record `00/00/<job>.out.NNN`, or null. */
async function kickstartMtime(submitDir, job) {
  const dir = join(submitDir, '00', '00');
  const names = (await readdir(dir).catch(() => [])).filter((name) => name.startsWith(`${job}.out.`)).sort();
  const latest = names.at(-1);
  return latest === undefined ? null : (await stat(join(dir, latest))).mtimeMs;
}

async function exists(path) {
  return stat(path).then(
    () => true,
    () => false,
  );
}

function quantile(sorted, q) {
  if (sorted.length === 0) return null;
  const position = (sorted.length - 1) * q;
  const low = Math.floor(position);
  const high = Math.ceil(position);
  return sorted[low] + (sorted[high] - sorted[low]) * (position - low);
}
