#!/usr/bin/env node
// Issue 16's real-file table, rerun through the entry points a workflow-system integrator uses, against the built
// packages (npm run build first). Third-party files are never committed: point the script at folders you fetched.
//   node scripts/evaluate-real-files.mjs --wfinstances <WfInstances checkout> --pegasus <pegasus-isi/pegasus checkout>
// - every WfInstances file (WfFormat 1.5): loadWorkflowGraph (DAG), loadWfInstances (a one-run dataset), and an
//   unsupervised score of every job: isolation forest and kNN (k = 5) fitted on the instance's own jobs, on the
//   `full` feature pipeline (runtime, CPU, I/O), z-scored per feature;
// - every DAX, Pegasus YAML workflow and DAGMan file of the Pegasus checkout: loadWorkflowGraph (format from content);
// - every Pegasus submit directory (the Pegasus checkout's analyzer samples, ../shared/datasets/pegasus-submit-dirs):
//   readSubmitDir and loadSubmitDirs.
// Prints one JSON line per file ({ kind, file, ok, ... }) and a summary line per kind.
import { readdir, readFile, stat } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { extractFeatures, loadWfInstances } from '@proteus-wf/features';
import { fitIsolationForest, fitKnnDetector } from '@proteus-wf/models';
import { findSubmitDirs, loadSubmitDirs, readSubmitDir } from '@proteus-wf/pegasus';
import { loadWorkflowGraph } from '@proteus-wf/workflow-graph';

const { values } = parseArgs({
  options: {
    wfinstances: { type: 'string' },
    pegasus: { type: 'string' },
    shared: { type: 'string', default: resolve(import.meta.dirname, '../../shared/datasets/pegasus-submit-dirs') },
  },
});

const summary = new Map();
function report(kind, file, ok, extra = {}) {
  process.stdout.write(`${JSON.stringify({ kind, file, ok, ...extra })}\n`);
  const entry = summary.get(kind) ?? { kind, files: 0, ok: 0, failed: [] };
  entry.files++;
  if (ok) entry.ok++;
  else entry.failed.push(file);
  summary.set(kind, entry);
}

async function walk(dir, keep, out = []) {
  for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const path = join(dir, entry.name);
    if (entry.isDirectory() && !entry.name.startsWith('.')) await walk(path, keep, out);
    else if (entry.isFile() && keep(path)) out.push(path);
  }
  return out.sort();
}

const codeOf = (error) => error?.code ?? String(error?.message ?? error);

function zscore(values, rows, width) {
  const out = new Float32Array(values.length);
  for (let f = 0; f < width; f++) {
    let mean = 0;
    for (let r = 0; r < rows; r++) mean += values[r * width + f];
    mean /= rows;
    let variance = 0;
    for (let r = 0; r < rows; r++) variance += (values[r * width + f] - mean) ** 2;
    const sd = Math.sqrt(variance / rows) || 1;
    for (let r = 0; r < rows; r++) out[r * width + f] = (values[r * width + f] - mean) / sd;
  }
  return out;
}

if (values.wfinstances) {
  const root = resolve(values.wfinstances);
  let jobsScored = 0;
  for (const file of await walk(root, (p) => p.endsWith('.json'))) {
    const name = relative(root, file);
    try {
      const graph = await loadWorkflowGraph(file);
      const dataset = await loadWfInstances(file);
      const features = extractFeatures(dataset, { pipeline: 'full' });
      const rows = dataset.jobsPerRun;
      const width = features.featureNames.length;
      const x = zscore(features.values, rows, width);
      const forest = fitIsolationForest(x, width, { seed: 0 }).score(x);
      const knn = rows > 5 ? fitKnnDetector(x, width, { k: 5 }).score(x) : null;
      const top = forest.indexOf(Math.max(...forest));
      jobsScored += rows;
      report('wfinstances', name, true, {
        tasks: graph.size,
        jobs: rows,
        isolationForestTop: { job: graph.nameAt(top), type: graph.job(top).transformation, score: forest[top] },
        knnMax: knn ? Math.max(...knn) : null,
      });
    } catch (error) {
      report('wfinstances', name, false, { code: codeOf(error), message: String(error.message).slice(0, 200) });
    }
  }
  process.stdout.write(`${JSON.stringify({ kind: 'wfinstances-jobs-scored', value: jobsScored })}\n`);
}

if (values.pegasus) {
  const root = resolve(values.pegasus);
  const inSubmitDir = (p) => p.includes('analyzer_samples_dir');
  for (const file of await walk(root, (p) => p.endsWith('.dax'))) {
    await loadWorkflowGraph(file).then(
      (g) => report('dax', relative(root, file), true, { jobs: g.size, format: g.attributes.format }),
      (e) => report('dax', relative(root, file), false, { code: codeOf(e) }),
    );
  }
  for (const file of await walk(root, (p) => /\.ya?ml$/.test(p))) {
    const text = await readFile(file, 'utf8');
    if (!/^jobs\s*:/m.test(text) || !/^pegasus\s*:/m.test(text)) continue; // catalogs and configs are not workflows
    await loadWorkflowGraph(file).then(
      (g) => report('pegasus-yaml', relative(root, file), true, { jobs: g.size }),
      (e) => report('pegasus-yaml', relative(root, file), false, { code: codeOf(e) }),
    );
  }
  for (const file of await walk(root, (p) => p.endsWith('.dag'))) {
    // pegasus-mpi-cluster's .dag files are PMC task lists (TASK/EDGE lines), not DAGMan: reported on their own.
    const kind = /^\s*TASK\s/m.test(await readFile(file, 'utf8')) ? 'pmc-dag (not DAGMan)' : 'dagman';
    await loadWorkflowGraph(file).then(
      (g) => report(kind, relative(root, file), true, { jobs: g.size, inSubmitDir: inSubmitDir(file) }),
      (e) => report(kind, relative(root, file), false, { code: codeOf(e) }),
    );
  }
}

const submitRoots = [
  values.pegasus && join(values.pegasus, 'packages/pegasus-common/test/client/analyzer_samples_dir'),
  values.shared,
]
  .filter(Boolean)
  .map((p) => resolve(p));
for (const root of submitRoots) {
  if (!(await stat(root).catch(() => undefined))) continue;
  for (const dir of await findSubmitDirs(root)) {
    const name = relative(resolve(root, '..'), dir);
    try {
      const run = await readSubmitDir(dir);
      const dataset = await loadSubmitDirs(dir);
      report('submit-dir', name, true, {
        workflow: run.workflow,
        dagJobs: run.graph.size,
        executedJobs: run.result.jobs.length,
        subWorkflows: run.subWorkflows.length,
        failedJobs: run.result.jobs.filter((j) => j.exitCode !== 0).length,
        datasetJobsPerRun: dataset.jobsPerRun,
      });
    } catch (error) {
      report('submit-dir', name, false, { code: codeOf(error) });
    }
  }
}

for (const entry of summary.values())
  process.stdout.write(
    `${JSON.stringify({ summary: entry.kind, files: entry.files, ok: entry.ok, failed: entry.failed })}\n`,
  );
process.stdout.write(`${JSON.stringify({ loadavg1m: loadavg()[0] })}\n`);
