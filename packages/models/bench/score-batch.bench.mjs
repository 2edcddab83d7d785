// Scoring batch size (issue 17): 256 runs of a node-level GCN (1000genome, F=24, hidden 64) scored through one
// inference session in batches of 16-256 runs, the batch sizes alternating block by block in one process. Smaller
// batches keep the [N·runs, 64] activations in cache; prints jobs/s per batch size (best and median block).
import { createRng } from '@proteus-wf/core';
import { buildInferenceGraph, defineModelSpec, initWeights } from '@proteus-wf/models';
import { createSession, createTensor, runGraph } from '@proteus-wf/onnx-train';
import { emit, loadGenomeAdjacency, median } from './internal/bench-helpers.mjs';

const RUNS = 256;
const F = 24;
const BLOCKS = 25;
const SIZES = [16, 32, 64, 128, 256];
const rng = createRng(3);
const { nodes, adjacency, source } = loadGenomeAdjacency(rng);
const spec = defineModelSpec({ kind: 'gcn', level: 'node', nodes, features: F, classes: 2, hidden: 64, adjacency });
const scorer = await createSession(buildInferenceGraph(spec, initWeights(spec, createRng(1))), { threads: 1 });
const data = Float32Array.from({ length: RUNS * nodes * F }, () => rng.normal());
const batches = Object.fromEntries(
  SIZES.map((size) => [
    size,
    Array.from({ length: RUNS / size }, (_, k) =>
      createTensor('float32', data.subarray(k * size * nodes * F, (k + 1) * size * nodes * F), [size, nodes, F]),
    ),
  ]),
);
const scoreAll = async (size) => {
  for (const x of batches[size]) await runGraph(scorer, { x }, { fetches: ['probabilities'] });
};
for (const size of SIZES) await scoreAll(size);
const times = Object.fromEntries(SIZES.map((size) => [size, []]));
for (let block = 0; block < BLOCKS; block++) {
  for (const size of SIZES) {
    const start = performance.now();
    await scoreAll(size);
    times[size].push(performance.now() - start);
  }
}
await scorer.session.release();
for (const size of SIZES) {
  const tag = `models.score-batch.${source}.N${nodes}.F${F}.h64.threads1.batch${size}`;
  emit(`${tag}.best.jobs-per-second`, 'jobs/s', Math.round((RUNS * nodes * 1000) / Math.min(...times[size])));
  emit(`${tag}.median.jobs-per-second`, 'jobs/s', Math.round((RUNS * nodes * 1000) / median(times[size])));
}
