#!/usr/bin/env node
// Latency of `proteus watch`'s path (followSubmitDir + createOnlineDetector): from a job's kickstart record being
// written to its score, for a live run of 1000genome (137 jobs, the Flow-Bench DAG) written job by job with
// createSubmitDirWriter while the follower polls every 200 ms. The model is a GCN trained for one epoch on the
// Flow-Bench zip (its quality does not matter here, its size does). Writer and follower share this process, as a
// submit host's monitord and a watcher share a machine. Target (issue 16): every job scored within 1 s.
// Prints JSON lines { name, unit, value } (see scripts/bench.mjs).
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { extractFeatures, loadFlowBench } from '@proteus-wf/features';
import { createOnlineDetector, loadModel, train } from '@proteus-wf/models';
import { createSubmitDirWriter, followSubmitDir } from '@proteus-wf/pegasus';
import { topologicalOrder } from '@proteus-wf/workflow-graph';

const POLL_MS = 200;
const GAP_MS = 40;
const self = fileURLToPath(import.meta.url);
const zip = resolve(self, '../../../../../shared/datasets/flowbench/1000genome.zip');

function emit(name, unit, value) {
  process.stdout.write(`${JSON.stringify({ name, unit, value })}\n`);
}

const dataset = await loadFlowBench(zip);
const trained = await train(extractFeatures(dataset, { pipeline: 'flowbench-v1' }), {
  model: 'gcn',
  task: 'node',
  epochs: 1,
  seed: 0,
});
const model = await loadModel(trained.model);
const graph = dataset.graph;
const dir = mkdtempSync(join(tmpdir(), 'proteus-watch-bench-'));
const submit = join(dir, 'submit');
const written = new Map();
try {
  const jobs = graph.jobNames().map((name) => ({ name, parents: graph.parents(name) }));
  const writer = createSubmitDirWriter(submit, { workflow: graph.workflow, jobs });
  const t0 = Date.now() / 1000;
  await writer.start(t0);
  const writing = (async () => {
    const ends = new Map();
    for (const name of topologicalOrder(graph)) {
      const ready = Math.max(t0, ...graph.parents(name).map((p) => ends.get(p)));
      const start = ready + 0.5;
      const runtime = 1 + (name.length % 7);
      ends.set(name, start + runtime);
      const job = graph.job(name);
      await new Promise((r) => setTimeout(r, GAP_MS));
      written.set(name, Date.now());
      await writer.jobFinished({
        job: name,
        type: ['auxiliary', 'compute', 'transfer', 'subwf'].includes(job.type) ? job.type : 'compute',
        transformation: job.transformation,
        worker: 'worker-1',
        ready,
        submit: ready + 0.2,
        executeStart: start,
        executeEnd: start + runtime,
        cpuTimeSeconds: runtime * 0.9,
        bytesRead: 1e6,
        bytesWritten: 1e5,
        exitCode: 0,
        attempts: 1,
        executable: job.transformation,
        argv: [],
      });
    }
    await writer.finish(Date.now() / 1000, true);
  })();
  const detector = createOnlineDetector({ model, startedAt: t0 });
  const latencies = [];
  const scoring = [];
  for await (const event of followSubmitDir(submit, { pollIntervalMs: POLL_MS })) {
    if (event.kind !== 'job') continue;
    const before = performance.now();
    await detector.observe(event.record);
    scoring.push(performance.now() - before);
    latencies.push(Date.now() - written.get(event.record.job));
  }
  await writing;
  const sorted = [...latencies].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  emit('watch.1000genome.jobs', 'count', latencies.length);
  emit('watch.1000genome.latency.p50', 'ms', at(0.5));
  emit('watch.1000genome.latency.p95', 'ms', at(0.95));
  emit('watch.1000genome.latency.max', 'ms', sorted.at(-1));
  emit('watch.1000genome.within-1s', 'fraction', latencies.filter((ms) => ms <= 1000).length / latencies.length);
  emit('watch.1000genome.observe.mean', 'ms', scoring.reduce((a, b) => a + b, 0) / scoring.length);
  emit('watch.loadavg.1m', 'load', loadavg()[0]);
} finally {
  await model.release();
  rmSync(dir, { recursive: true, force: true });
}
