// Scoring throughput of the portable model.onnx that saveModel writes (symbolic node dim, the DAG as edge_index /
// edge_weight inputs) beside the fixed-size graph `train` returns, same weights, same session options: jobs scored per
// second for batches of 1 and 256 runs of Flow-Bench 1000genome (N = 137, flowbench-v1 F = 7, GCN hidden 64). The two
// are measured in alternating rounds so machine load hits both alike. Runs against the BUILT packages.
//   npm run bench -- models/portable
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { extractFeatures, loadFlowBench } from '@proteus-wf/features';
import { loadModel, saveModel, train } from '@proteus-wf/models';

const dataset =
  process.env.PROTEUS_BENCH_DATASET ??
  new URL('../../../../shared/datasets/flowbench/1000genome.zip', import.meta.url).pathname;
const features = extractFeatures(await loadFlowBench(dataset), { pipeline: 'flowbench-v1' });
const { model: trained } = await train(features, { model: 'gcn', task: 'node', epochs: 1, seed: 0 });
const dir = await mkdtemp(join(tmpdir(), 'proteus-bench-portable-'));
await saveModel(trained, dir);
const jobs = features.jobsPerRun;
const block = jobs * features.featureNames.length;
const emit = (name, unit, value) =>
  process.stdout.write(`${JSON.stringify({ name, unit, value, load: loadavg()[0] })}\n`);

function batchOf(runs) {
  const x = new Float32Array(runs * block);
  for (let r = 0; r < runs; r++) {
    const source = r % features.runs.length;
    x.set(features.values.subarray(source * block, (source + 1) * block), r * block);
  }
  return x;
}

/** Jobs per second of `model.predict` on `runs`-run batches for about `seconds`. */
async function measure(model, x, runs, seconds) {
  let calls = 0;
  const start = performance.now();
  while (performance.now() - start < seconds * 1000) {
    await model.predict(x, runs);
    calls++;
  }
  return (calls * runs * jobs) / ((performance.now() - start) / 1000);
}

const fixed = await loadModel(trained, { threads: 1 });
const portable = await loadModel(dir, { threads: 1 });
for (const runs of [1, 256]) {
  const x = batchOf(runs);
  for (let i = 0; i < 5; i++) await Promise.all([fixed.predict(x, runs), portable.predict(x, runs)]);
  const totals = { fixed: 0, portable: 0 };
  for (let round = 0; round < 4; round++) {
    totals.fixed += await measure(fixed, x, runs, 0.75);
    totals.portable += await measure(portable, x, runs, 0.75);
  }
  emit(`models/portable fixed-N graph 1000genome batch=${runs}`, 'jobs/s', Math.round(totals.fixed / 4));
  emit(`models/portable portable graph 1000genome batch=${runs}`, 'jobs/s', Math.round(totals.portable / 4));
}
await fixed.release();
await portable.release();
await rm(dir, { recursive: true, force: true });
