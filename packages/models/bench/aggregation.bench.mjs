// The sparse aggregation (issue 17): `buildAggregation` over the 1000genome GCN adjacency against the formulation it
// replaced (gather every non-zero, scale, scatter-add into zeros) and a dense [N, N] MatMul, forward and forward +
// backward (`addGradients`), at the widths of a B=32 step ([N, 32·24] and [N, 32·64]). Sessions alternate block by
// block in one process; on a loaded machine compare the `best` values (the least-disturbed block).
import { createRng } from '@proteus-wf/core';
import { buildAggregation } from '@proteus-wf/models';
import { addGradients, createGraphBuilder, createSession, createTensor, runGraph } from '@proteus-wf/onnx-train';
import { emit, loadGenomeAdjacency, median } from './internal/bench-helpers.mjs';

const BLOCKS = 60;
const CALLS = 3;
const rng = createRng(7);
const { nodes: n, adjacency, source } = loadGenomeAdjacency(rng);

/** Before issue 17's aggregation change: every non-zero (self loops included) gathered, scaled, scattered into zeros. */
function scatterIntoZeros(g) {
  const src = [];
  const dst = [];
  const weight = [];
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      if (adjacency[i * n + j] !== 0) {
        src.push(j);
        dst.push(i);
        weight.push(adjacency[i * n + j]);
      }
    }
  }
  const e = src.length;
  const s = g.constant(src, [e], 'int64');
  const d = g.constant(dst, [e, 1], 'int64');
  const w = g.constant(weight, [e, 1]);
  return (rows) => g.scatterNdAdd(g.fillLike(rows, 0), d, g.mul(g.gather(rows, s, 0), w));
}

const variants = {
  current: (g) => buildAggregation(g, adjacency, n),
  'scatter-into-zeros': scatterIntoZeros,
  dense: (g) => buildAggregation(g, adjacency, n, { mode: 'dense' }),
};

for (const width of [32 * 24, 32 * 64]) {
  const h = Float32Array.from({ length: n * width }, () => rng.normal());
  const upstream = Float32Array.from({ length: n * width }, () => rng.normal());
  const sessions = {};
  for (const backward of [false, true]) {
    for (const [name, make] of Object.entries(variants)) {
      const g = createGraphBuilder({ name });
      const x = g.input('h', 'float32', [n, width]);
      const y = make(g)(x);
      const feeds = { h: createTensor('float32', h, [n, width]) };
      if (backward) {
        const [dx] = addGradients(g, g.reduceSum(g.mul(y, g.input('r', 'float32', [n, width]))), [x]);
        g.output(dx, 'dh');
        feeds.r = createTensor('float32', upstream, [n, width]);
      } else {
        g.output(y, 'y');
      }
      sessions[`${backward ? 'forward-backward' : 'forward'}.${name}`] = {
        session: await createSession(g.toModel(), { threads: 1 }),
        feeds,
      };
    }
  }
  const times = Object.fromEntries(Object.keys(sessions).map((key) => [key, []]));
  for (let block = 0; block < BLOCKS; block++) {
    for (const [key, { session, feeds }] of Object.entries(sessions)) {
      const start = performance.now();
      for (let i = 0; i < CALLS; i++) await runGraph(session, feeds);
      times[key].push((performance.now() - start) / CALLS);
    }
  }
  for (const [key, t] of Object.entries(times)) {
    const tag = `models.aggregation.${source}.N${n}.width${width}.${key}`;
    emit(`${tag}.best.ms`, 'ms', Number(Math.min(...t).toFixed(3)));
    emit(`${tag}.median.ms`, 'ms', Number(median(t).toFixed(3)));
  }
  for (const { session } of Object.values(sessions)) await session.session.release();
}
