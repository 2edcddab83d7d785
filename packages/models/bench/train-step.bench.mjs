// Training-step benchmark of the engine (issue 3 §5): ms per Adam step and graphs/s for the WORKS'22 GCN at
// B=32 runs, N=137 jobs, F=24 features, hidden 64, with 1 and 2 intra-op threads; plus peak RSS.
// Adjacency: the real 1000genome DAG (../shared/datasets) normalized like PyG GCNConv; a seeded random DAG of the same
// size when the datasets are absent. Prints JSON lines { name, unit, value } (median of REPEATS timed blocks).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRng } from '@proteus-wf/core';
import { createTrainer } from '@proteus-wf/models';
import { gcnAdjacency, parseFlowBenchAdjacency, toDenseAdjacency } from '@proteus-wf/workflow-graph';

const B = 32;
const F = 24;
const WARMUP = 20;
const STEPS = 40;
const REPEATS = 7;
const rng = createRng(2024);

function loadAdjacency() {
  const file = join(process.cwd(), '..', 'shared', 'datasets', 'flowbench', 'adjacency_list_dags', '1000genome.json');
  if (existsSync(file)) {
    const graph = parseFlowBenchAdjacency(readFileSync(file, 'utf8'), { source: file });
    return { nodes: graph.size, adjacency: toDenseAdjacency(gcnAdjacency(graph)), source: '1000genome' };
  }
  const nodes = 137;
  const adjacency = new Float32Array(nodes * nodes);
  const degree = new Array(nodes).fill(1);
  const edges = [];
  for (let i = 1; i < nodes; i++) {
    edges.push([rng.int(0, i - 1), i]);
    degree[i]++;
  }
  for (let i = 0; i < nodes; i++) adjacency[i * nodes + i] = 1 / degree[i];
  for (const [s, t] of edges) adjacency[t * nodes + s] = 1 / Math.sqrt(degree[s] * degree[t]);
  return { nodes, adjacency, source: 'random-dag' };
}

const { nodes, adjacency, source } = loadAdjacency();
const x = Float32Array.from({ length: B * nodes * F }, () => rng.normal());
const labels = Array.from({ length: B }, () => rng.int(0, 1));
const emit = (name, unit, value) => process.stdout.write(`${JSON.stringify({ name, unit, value })}\n`);

for (const aggregation of ['auto', 'dense']) {
  for (const threads of [1, 2]) {
    const trainer = await createTrainer({
      model: { kind: 'gcn', level: 'graph', nodes, features: F, classes: 2, hidden: 64, adjacency, aggregation },
      optimizer: { kind: 'adam', lr: 1e-3 },
      threads,
      seed: 1,
    });
    for (let i = 0; i < WARMUP; i++) await trainer.step(x, labels);
    const times = [];
    for (let r = 0; r < REPEATS; r++) {
      const start = performance.now();
      for (let i = 0; i < STEPS; i++) await trainer.step(x, labels);
      times.push((performance.now() - start) / STEPS);
    }
    await trainer.release();
    times.sort((a, b) => a - b);
    const median = times[Math.floor(times.length / 2)];
    const tag = `gcn-graph.B${B}.N${nodes}.F${F}.h64.adam.${aggregation === 'auto' ? 'sparse' : 'dense'}.threads${threads}`;
    emit(`models.train-step.${tag}.ms-per-step`, 'ms', Number(median.toFixed(3)));
    emit(`models.train-step.${tag}.graphs-per-second`, 'graphs/s', Math.round((B * 1000) / median));
  }
}
emit(`models.train-step.adjacency-${source}.peak-rss`, 'MiB', Math.round(process.resourceUsage().maxRSS / 1024));
