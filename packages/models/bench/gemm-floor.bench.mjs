// The GEMM floor (issue 17 §1): in one process, a GCN training step (graph level, B=32 runs, N=137 jobs, F=24,
// hidden 64, Adam) and a scoring batch (node level, 256 runs) beside graphs holding exactly their GEMMs, timed in
// interleaved blocks at 1 and 2 intra-op threads. Prints `step / floor` (target <= 1.3) and the scoring throughput as a
// fraction of its floor's (target >= 0.7), the 2-thread speedups over 1 thread (target >= 1.6 on an idle machine), and
// the kernels per training step from an onnxruntime profile.
import { createRng } from '@proteus-wf/core';
import {
  buildInferenceGraph,
  buildTrainingGraph,
  createTrainer,
  defineModelSpec,
  initWeights,
} from '@proteus-wf/models';
import { createGraphBuilder, createSession, createTensor, resolveOptimizer, runGraph } from '@proteus-wf/onnx-train';
import { countKernels, emit, loadGenomeAdjacency, median } from './internal/bench-helpers.mjs';

const B = 32;
const SCORE_RUNS = 256;
const F = 24;
const H = 64;
const C = 2;
const REPEATS = 7;
const rng = createRng(2024);
const { nodes, adjacency, source } = loadGenomeAdjacency(rng);
const random = (size) => Float32Array.from({ length: size }, () => rng.normal());
const tensor = (dims) => createTensor('float32', random(dims.reduce((p, d) => p * d, 1)), dims);

/**
 * One element of a product as the graph output: the GEMM still runs in full, but its result is not copied into a new
 * JavaScript buffer per run (27 MiB per scoring floor run), which the step and the scoring graphs never do either.
 */
const corner = (g, value) => g.slice(value, [0, 0], [1, 1], [0, 1]);

/** The GEMMs of one training step: 4 forward products, 4 weight gradients, 3 input gradients (none for x). */
function stepGemms(rows) {
  const g = createGraphBuilder({ name: 'step-gemms' });
  const inputs = {};
  const input = (name, dims) => {
    inputs[name] = dims;
    return g.input(name, 'float32', dims);
  };
  const layers = [
    { rows, k: F, m: H, inputGrad: false }, // gcn0: (Â x) W0 over [N·B, F]
    { rows, k: H, m: H, inputGrad: true }, // gcn1
    { rows: B, k: H, m: H, inputGrad: true }, // mlp0 on the pooled [B, H]
    { rows: B, k: H, m: C, inputGrad: true }, // mlp1
  ];
  layers.forEach((layer, i) => {
    const a = input(`a${i}`, [layer.rows, layer.k]);
    const w = input(`w${i}`, [layer.k, layer.m]);
    const dy = input(`dy${i}`, [layer.rows, layer.m]);
    g.output(corner(g, g.gemm(a, w)), `y${i}`);
    g.output(corner(g, g.gemm(a, dy, undefined, { transA: true })), `dw${i}`);
    if (layer.inputGrad) g.output(corner(g, g.gemm(dy, w, undefined, { transB: true })), `da${i}`);
  });
  return { bytes: g.toModel(), inputs };
}

/** The GEMMs of one node-level scoring batch: every layer runs on all N·runs rows. */
function scoreGemms(rows) {
  const g = createGraphBuilder({ name: 'score-gemms' });
  const inputs = {};
  [
    [F, H],
    [H, H],
    [H, H],
    [H, C],
  ].forEach(([k, m], i) => {
    inputs[`a${i}`] = [rows, k];
    inputs[`w${i}`] = [k, m];
    g.output(corner(g, g.gemm(g.input(`a${i}`, 'float32', [rows, k]), g.input(`w${i}`, 'float32', [k, m]))), `y${i}`);
  });
  return { bytes: g.toModel(), inputs };
}

const feedsFor = (inputs) => Object.fromEntries(Object.entries(inputs).map(([name, dims]) => [name, tensor(dims)]));

async function timeBlock(run, calls) {
  const start = performance.now();
  for (let i = 0; i < calls; i++) await run();
  return (performance.now() - start) / calls;
}

const graphSpec = { kind: 'gcn', level: 'graph', nodes, features: F, classes: C, hidden: H, adjacency };
const nodeSpec = defineModelSpec({ ...graphSpec, level: 'node' });
const x = random(B * nodes * F);
const labels = Array.from({ length: B }, () => rng.int(0, 1));
const scoreX = createTensor('float32', random(SCORE_RUNS * nodes * F), [SCORE_RUNS, nodes, F]);

const threadCounts = (process.env.PROTEUS_BENCH_THREADS ?? '1,2').split(',').map(Number);
const medians = {};
for (const threads of threadCounts) {
  const trainer = await createTrainer({ model: graphSpec, optimizer: { kind: 'adam', lr: 1e-3 }, threads, seed: 1 });
  const stepFloor = stepGemms(nodes * B);
  const stepFloorSession = await createSession(stepFloor.bytes, { threads });
  const stepFloorFeeds = feedsFor(stepFloor.inputs);
  const scorer = await createSession(buildInferenceGraph(nodeSpec, initWeights(nodeSpec, createRng(1))), { threads });
  const scoreFloor = scoreGemms(nodes * SCORE_RUNS);
  const scoreFloorSession = await createSession(scoreFloor.bytes, { threads });
  const scoreFloorFeeds = feedsFor(scoreFloor.inputs);

  const runs = {
    step: () => trainer.step(x, labels),
    stepFloor: () => runGraph(stepFloorSession, stepFloorFeeds),
    score: () => runGraph(scorer, { x: scoreX }, { fetches: ['probabilities'] }),
    scoreFloor: () => runGraph(scoreFloorSession, scoreFloorFeeds),
  };
  const calls = { step: 40, stepFloor: 40, score: 4, scoreFloor: 4 };
  for (const [name, run] of Object.entries(runs)) await timeBlock(run, calls[name]); // warm-up
  const times = { step: [], stepFloor: [], score: [], scoreFloor: [] };
  for (let r = 0; r < REPEATS; r++) {
    for (const [name, run] of Object.entries(runs)) times[name].push(await timeBlock(run, calls[name]));
  }
  await trainer.release();
  for (const s of [stepFloorSession, scorer, scoreFloorSession]) await s.session.release();

  const m = Object.fromEntries(Object.entries(times).map(([name, t]) => [name, median(t)]));
  medians[threads] = m;
  const tag = `gcn.B${B}.N${nodes}.F${F}.h${H}.threads${threads}`;
  emit(`models.gemm-floor.${tag}.step.ms`, 'ms', Number(m.step.toFixed(3)));
  emit(`models.gemm-floor.${tag}.step-floor.ms`, 'ms', Number(m.stepFloor.toFixed(3)));
  emit(`models.gemm-floor.${tag}.step-over-floor`, 'ratio', Number((m.step / m.stepFloor).toFixed(2)));
  emit(`models.gemm-floor.${tag}.score-${SCORE_RUNS}-runs.ms`, 'ms', Number(m.score.toFixed(3)));
  emit(`models.gemm-floor.${tag}.score-floor.ms`, 'ms', Number(m.scoreFloor.toFixed(3)));
  emit(`models.gemm-floor.${tag}.score-jobs-per-second`, 'jobs/s', Math.round((SCORE_RUNS * nodes * 1000) / m.score));
  emit(`models.gemm-floor.${tag}.score-throughput-over-floor`, 'ratio', Number((m.scoreFloor / m.score).toFixed(2)));
}

if (medians[1] && medians[2]) {
  // The 2-thread target (>= 1.6x over 1 thread) holds on an idle machine only; the load is printed beside it.
  const tag = `gcn.B${B}.N${nodes}.F${F}.h${H}`;
  emit(
    `models.gemm-floor.${tag}.step-speedup-2-over-1-threads`,
    'ratio',
    Number((medians[1].step / medians[2].step).toFixed(2)),
  );
  emit(
    `models.gemm-floor.${tag}.score-speedup-2-over-1-threads`,
    'ratio',
    Number((medians[1].score / medians[2].score).toFixed(2)),
  );
}

const trainingGraph = buildTrainingGraph(defineModelSpec(graphSpec), resolveOptimizer({ kind: 'adam', lr: 1e-3 }));
const profile = await countKernels(trainingGraph.bytes, B);
emit(`models.gemm-floor.gcn.B${B}.N${nodes}.kernels-per-step`, 'kernels', profile.kernels);
process.stderr.write(
  `gemm-floor: adjacency ${source}; kernels per step by op: ${JSON.stringify(profile.byOp)}; profiled µs per step by op: ${JSON.stringify(profile.microsByOp)}\n`,
);
emit('models.gemm-floor.peak-rss', 'MiB', Math.round(process.resourceUsage().maxRSS / 1024));
