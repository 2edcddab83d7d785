// Real workflow sizes (issue 17 §2): a node-level GCN training step (B=32 runs, F=24, hidden 64, Adam) and scoring
// of 32 runs at N = 137 (1000genome), 419 (casa_nowcast_small), 2,081 (casa_nowcast_full) and a seeded synthetic
// 20,000-job DAG, all from the CSR adjacency (the sparse path: O(edges), never N×N). Each size runs in its own
// process so its peak RSS is its own. Prints time per job, which should stay flat as N grows.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createRng } from '@proteus-wf/core';
import { buildInferenceGraph, createTrainer, defineModelSpec, initWeights } from '@proteus-wf/models';
import { createSession, createTensor, runGraph } from '@proteus-wf/onnx-train';
import { buildWorkflowGraph, gcnAdjacency } from '@proteus-wf/workflow-graph';
import { emit, loadWorkflowGraph, median } from './internal/bench-helpers.mjs';

const SIZES = ['1000genome', 'casa_nowcast_small', 'casa_nowcast_full', 'synthetic-20000'];
const B = 32;
const F = 24;
const H = 64;

/**
 * A seeded layered DAG shaped like scientific workflows: wide fan-out levels whose jobs have 1 parent (70%), 2 (20%)
 * or 3-5 (10%) in the level above, alternating with merge levels of 1-4 jobs that each wait on up to 500 jobs.
 */
function syntheticWorkflow(jobs, seed) {
  const rng = createRng(seed);
  const names = ['job0'];
  const edges = [];
  let previous = ['job0'];
  while (names.length < jobs) {
    const merge = rng.float() < 0.3;
    const width = Math.min(jobs - names.length, merge ? rng.int(1, 4) : rng.int(50, 800));
    const level = [];
    for (let i = 0; i < width; i++) {
      const name = `job${names.length}`;
      names.push(name);
      level.push(name);
      const roll = rng.float();
      const wanted = merge ? Math.min(previous.length, 500) : roll < 0.7 ? 1 : roll < 0.9 ? 2 : rng.int(3, 5);
      const parents = new Set();
      if (wanted >= previous.length) for (const p of previous) parents.add(p);
      while (parents.size < Math.min(wanted, previous.length)) parents.add(previous[rng.int(0, previous.length - 1)]);
      for (const parent of parents) edges.push([parent, name]);
    }
    previous = level;
  }
  return buildWorkflowGraph({
    workflow: `synthetic-${jobs}`,
    format: 'node-link',
    jobs: names.map((name) => ({ name, type: 'compute', transformation: 'synthetic' })),
    edges,
  });
}

async function measure(size) {
  const graph = size.startsWith('synthetic-')
    ? syntheticWorkflow(Number(size.split('-')[1]), 17)
    : loadWorkflowGraph(size);
  if (!graph) {
    process.stderr.write(`workflow-sizes: SKIPPED ${size}: ../shared/datasets is absent\n`);
    return;
  }
  const n = graph.size;
  const adjacency = gcnAdjacency(graph);
  const rng = createRng(3);
  const spec = { kind: 'gcn', level: 'node', nodes: n, features: F, classes: 2, hidden: H, adjacency };
  const trainer = await createTrainer({ model: spec, optimizer: { kind: 'adam', lr: 1e-3 }, seed: 1 });
  const x = Float32Array.from({ length: B * n * F }, () => rng.normal());
  const labels = Array.from({ length: B * n }, () => rng.int(0, 1));
  const steps = Math.max(3, Math.min(40, Math.round(40 * (137 / n))));
  for (let i = 0; i < 2; i++) await trainer.step(x, labels);
  const stepTimes = [];
  for (let r = 0; r < 3; r++) {
    const start = performance.now();
    for (let i = 0; i < steps; i++) await trainer.step(x, labels);
    stepTimes.push((performance.now() - start) / steps);
  }
  await trainer.release();

  const resolved = defineModelSpec(spec);
  const scorer = await createSession(buildInferenceGraph(resolved, initWeights(resolved, createRng(1))));
  const feeds = { x: createTensor('float32', x, [B, n, F]) };
  await runGraph(scorer, feeds, { fetches: ['probabilities'] });
  const scoreTimes = [];
  for (let r = 0; r < 3; r++) {
    const start = performance.now();
    for (let i = 0; i < steps; i++) await runGraph(scorer, feeds, { fetches: ['probabilities'] });
    scoreTimes.push((performance.now() - start) / steps);
  }
  await scorer.session.release();

  const step = median(stepTimes);
  const score = median(scoreTimes);
  const tag = `models.workflow-sizes.${size}.N${n}.E${adjacency.values.length - n}.B${B}.F${F}.h${H}.threads1`;
  emit(`${tag}.sparse-aggregation`, 'bool', resolved.aggregation === 'sparse' ? 1 : 0);
  emit(`${tag}.step.ms`, 'ms', Number(step.toFixed(2)));
  emit(`${tag}.step.us-per-job`, 'us', Number(((step * 1000) / (B * n)).toFixed(3)));
  emit(`${tag}.score.jobs-per-second`, 'jobs/s', Math.round((B * n * 1000) / score));
  emit(`${tag}.score.us-per-job`, 'us', Number(((score * 1000) / (B * n)).toFixed(3)));
  emit(`${tag}.peak-rss`, 'MiB', Math.round(process.resourceUsage().maxRSS / 1024));
}

const only = process.argv.indexOf('--size');
if (only >= 0) {
  await measure(process.argv[only + 1]);
} else {
  for (const size of SIZES) {
    const child = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--size', size], {
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    if (child.status !== 0) process.exitCode = 1;
  }
}
