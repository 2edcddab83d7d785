// SSL benchmark (issue 4): ms per training step (both views, Gumbel noise, dropout, AdamW; the JS-side augmentation,
// noise and mask generation included; wall and process-CPU time) and scoring throughput (jobs/s) of the SSL detector at B=32 runs, N=137 jobs
// (the real 1000genome DAG, mean aggregation over parents and children), F=24, hidden 64, 1 and 2 intra-op threads;
// plus the per-batch uncertainty graph (forward + input gradient). Prints JSON lines { name, unit, value } (median of
// REPEATS timed blocks).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRng } from '@proteus-wf/core';
import { buildUncertaintyGraph, createSslTrainer, defineSslSpec } from '@proteus-wf/models';
import { createSession } from '@proteus-wf/onnx-train';
import { meanAdjacency, parseFlowBenchAdjacency, toDenseAdjacency } from '@proteus-wf/workflow-graph';
import * as ort from 'onnxruntime-node';

const B = 32;
const F = 24;
const WARMUP = 10;
const STEPS = 20;
const REPEATS = 5;
const rng = createRng(2024);

function loadAdjacency() {
  const file = join(process.cwd(), '..', 'shared', 'datasets', 'flowbench', 'adjacency_list_dags', '1000genome.json');
  if (existsSync(file)) {
    const graph = parseFlowBenchAdjacency(readFileSync(file, 'utf8'), { source: file });
    return {
      nodes: graph.size,
      adjacency: toDenseAdjacency(meanAdjacency(graph, { undirected: true })),
      source: '1000genome',
    };
  }
  const nodes = 137;
  const adjacency = new Float32Array(nodes * nodes);
  for (let i = 1; i < nodes; i++) adjacency[i * nodes + rng.int(0, i - 1)] = 1;
  return { nodes, adjacency, source: 'random-dag' };
}

const { nodes, adjacency, source } = loadAdjacency();
const x = Float32Array.from({ length: B * nodes * F }, () => rng.float());
const emit = (name, unit, value) => process.stdout.write(`${JSON.stringify({ name, unit, value })}\n`);
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const model = { nodes, features: F, adjacency, hidden: 64 };

for (const threads of [1, 2]) {
  const trainer = await createSslTrainer({ model, optimizer: { kind: 'adamw' }, threads, seed: 1 });
  for (let i = 0; i < WARMUP; i++) await trainer.step(x, { temperature: 1 });
  const stepTimes = [];
  const stepCpuTimes = [];
  for (let r = 0; r < REPEATS; r++) {
    const cpu = process.cpuUsage();
    const start = performance.now();
    for (let i = 0; i < STEPS; i++) await trainer.step(x, { temperature: 1 });
    stepTimes.push((performance.now() - start) / STEPS);
    const used = process.cpuUsage(cpu);
    stepCpuTimes.push((used.user + used.system) / 1000 / STEPS);
  }
  for (let i = 0; i < WARMUP; i++) await trainer.score(x, { temperature: 1 });
  const scoreTimes = [];
  for (let r = 0; r < REPEATS; r++) {
    const start = performance.now();
    for (let i = 0; i < STEPS; i++) await trainer.score(x, { temperature: 1 });
    scoreTimes.push((performance.now() - start) / STEPS);
  }
  const weights = trainer.weights();
  await trainer.release();
  const { session } = await createSession(
    buildUncertaintyGraph({ kind: 'ssl', spec: defineSslSpec(model), weights, temperature: 1 }),
    { threads },
  );
  const feeds = { x: new ort.Tensor('float32', x, [B, nodes, F]) };
  for (let i = 0; i < WARMUP; i++) await session.run(feeds);
  const gradientTimes = [];
  for (let r = 0; r < REPEATS; r++) {
    const start = performance.now();
    for (let i = 0; i < STEPS; i++) await session.run(feeds);
    gradientTimes.push((performance.now() - start) / STEPS);
  }
  await session.release();
  const tag = `ssl.B${B}.N${nodes}.F${F}.h64.adamw.threads${threads}`;
  emit(`models.ssl.${tag}.train-ms-per-step`, 'ms', Number(median(stepTimes).toFixed(3)));
  // Process CPU time (all threads) per step: far less sensitive than wall time to other processes on a shared machine.
  emit(`models.ssl.${tag}.train-cpu-ms-per-step`, 'ms', Number(median(stepCpuTimes).toFixed(3)));
  emit(`models.ssl.${tag}.score-jobs-per-second`, 'jobs/s', Math.round((B * nodes * 1000) / median(scoreTimes)));
  emit(
    `models.ssl.${tag}.uncertainty-jobs-per-second`,
    'jobs/s',
    Math.round((B * nodes * 1000) / median(gradientTimes)),
  );
}
emit(`models.ssl.adjacency-${source}.peak-rss`, 'MiB', Math.round(process.resourceUsage().maxRSS / 1024));
