// Wall time of one active-learning iteration (query + experiments from the emulation pool + 10 Eq. 6 update steps with
// all three terms + new scores over the labelled runs + test metrics) on Flow-Bench 1000genome, GCN and SSL.
// Median over iterations 2..8 of one run (iteration 1 is warm-up). `gcn-pool` adds the pool-based query (the model
// scores up to 64 unlabelled candidate runs per anomaly type). Prints JSON lines { name, unit, value }.

import { join, resolve } from 'node:path';
import { createEmulationBackend, runActiveLearning } from '@proteus-wf/active-learner';
import { loadFlowBench } from '@proteus-wf/features';

const root = new URL('../../..', import.meta.url).pathname;
const dataset = await loadFlowBench(join(resolve(root, '..', 'shared', 'datasets'), 'flowbench', '1000genome.zip'));
const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};

const variants = [
  ['gcn', 'gcn', {}],
  ['gcn-pool', 'gcn', { runSelection: 'uncertain', typeScore: 'pool', runReduce: 'max' }],
  ['ssl', 'ssl', {}],
];
for (const [name, model, extra] of variants) {
  const backend = createEmulationBackend(dataset, { seed: 0 });
  const stamps = [];
  let last = performance.now();
  await runActiveLearning({
    backend,
    evaluation: backend.testSet(),
    model,
    iterations: 8,
    perIteration: 2,
    stepsPerIteration: 10,
    ...extra,
    onProgress: () => {
      const now = performance.now();
      stamps.push(now - last);
      last = now;
    },
  });
  const times = stamps.slice(1);
  console.log(
    JSON.stringify({
      name: `active-learner/iteration/1000genome/${name}`,
      unit: 'ms',
      value: Math.round(median(times) * 10) / 10,
    }),
  );
}
console.log(
  JSON.stringify({
    name: 'active-learner/iteration/peak-rss',
    unit: 'MiB',
    value: Math.round(process.resourceUsage().maxRSS / 1024),
  }),
);
