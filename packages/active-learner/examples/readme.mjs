import { createEmulationBackend, runActiveLearning } from '@proteus-wf/active-learner';
import { loadFlowBench } from '@proteus-wf/features';

const dataset = await loadFlowBench('datasets/flowbench/1000genome.zip');
const backend = createEmulationBackend(dataset, { seed: 0 }); // test runs set aside first
const result = await runActiveLearning({
  backend,
  evaluation: backend.testSet(),
  model: 'gcn',
  strategy: 'gradient',
  iterations: 15,
  perIteration: 2,
  burnIn: 1,
  checkpoint: 'al/state.json',
});
console.log(result.iterations.map((it) => [it.samples, it.ran, it.metrics?.rocAuc])); // [[2, ['hdd_10', 'cpu_2'], 0.687], ...]
