// Scoring throughput of a saved-model session: jobs scored per second for batches of 1 and 256 runs of Flow-Bench
// 1000genome (N = 137 jobs, flowbench-v1 F = 7, GCN hidden 64), and peak RSS. Runs against the BUILT packages.
//   npm run bench -- models/score
import { extractFeatures, loadFlowBench } from '@proteus-wf/features';
import { loadModel, scoreJobs, train } from '@proteus-wf/models';

const dataset =
  process.env.PROTEUS_BENCH_DATASET ??
  new URL('../../../../shared/datasets/flowbench/1000genome.zip', import.meta.url).pathname;
const features = extractFeatures(await loadFlowBench(dataset), { pipeline: 'flowbench-v1' });
const { model: trained } = await train(features, { model: 'gcn', task: 'node', epochs: 1, seed: 0 });
const jobs = features.jobsPerRun;
const block = jobs * features.featureNames.length;
const emit = (name, unit, value) => process.stdout.write(`${JSON.stringify({ name, unit, value })}\n`);

/** Repeats predict on `runs`-run batches for about `seconds`, after a warm-up; returns jobs per second. */
async function measure(model, runs, seconds) {
  const x = new Float32Array(runs * block);
  for (let r = 0; r < runs; r++)
    x.set(
      features.values.subarray((r % features.runs.length) * block, ((r % features.runs.length) + 1) * block),
      r * block,
    );
  for (let i = 0; i < 5; i++) await model.predict(x, runs);
  let calls = 0;
  const start = performance.now();
  while (performance.now() - start < seconds * 1000) {
    await model.predict(x, runs);
    calls++;
  }
  return (calls * runs * jobs) / ((performance.now() - start) / 1000);
}

for (const threads of [1, 2]) {
  const model = await loadModel(trained, { threads });
  emit(`models/score gcn node 1000genome batch=1 threads=${threads}`, 'jobs/s', Math.round(await measure(model, 1, 2)));
  emit(
    `models/score gcn node 1000genome batch=256 threads=${threads}`,
    'jobs/s',
    Math.round(await measure(model, 256, 3)),
  );
  await model.release();
}

// End to end: scaling, NaN check and batching of scoreJobs over all 351 runs.
const model = await loadModel(trained, { threads: 1 });
await scoreJobs(model, features);
const start = performance.now();
let rounds = 0;
while (performance.now() - start < 3000) {
  await scoreJobs(model, features, { batchSize: 256 });
  rounds++;
}
emit(
  'models/scoreJobs 1000genome 351 runs (threads=1)',
  'jobs/s',
  Math.round((rounds * features.runs.length * jobs) / ((performance.now() - start) / 1000)),
);
await model.release();
emit('models/score peak RSS', 'MiB', Math.round(process.resourceUsage().maxRSS / 1024));
