#!/usr/bin/env node
// Training recipes compared on validation runs only (the seed's 60/20/20 split by run; the test runs are scored
// and printed, never used to choose): for each workflow, seed and recipe, the best validation ROC-AUC, the epoch it
// came at, the epochs run (stopped early or at the cap), the test ROC-AUC and the wall time with the load average.
// One JSON line per result on stdout, progress on stderr.
// Usage: node --import ./examples/01-live-loop/scripts/register.mjs scripts/compare-recipes.mjs
//   --workflows eht_imaging,pycbc_inference --seeds 0 --models gcn,mlp
//   --recipes '{"old":{"epochs":200,"lr":0.001,"lrDecay":false,"earlyStopping":{"patience":50}},"new":{}}'
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { extractFeatures, loadFlowBench } from '@proteus-wf/features';
import { train } from '@proteus-wf/models';

const ROOT = new URL('..', import.meta.url).pathname;
const { values } = parseArgs({
  options: {
    workflows: { type: 'string', default: 'eht_imaging' },
    datasets: { type: 'string', default: join(ROOT, '..', 'shared', 'datasets', 'flowbench') },
    seeds: { type: 'string', default: '0' },
    models: { type: 'string', default: 'gcn,mlp' },
    recipes: { type: 'string', default: '{"defaults":{}}' },
  },
});
const recipes = JSON.parse(values.recipes);
const load1 = () => Number(loadavg()[0].toFixed(1));
for (const workflow of values.workflows.split(',')) {
  const features = extractFeatures(await loadFlowBench(join(values.datasets, `${workflow}.zip`)), { pipeline: 'full' });
  for (const seed of values.seeds.split(',').map(Number)) {
    for (const model of values.models.split(',')) {
      for (const [name, recipe] of Object.entries(recipes)) {
        const loadBefore = load1();
        const result = await train(features, { model, task: 'node', seed, threads: 1, ...recipe });
        const history = result.history;
        const best = history[result.bestEpoch - 1];
        const line = {
          workflow,
          seed,
          model,
          recipe: name,
          validationBest: best?.validationMetric ?? null,
          bestEpoch: result.bestEpoch,
          epochsRun: result.epochsRun,
          stoppedEarly: result.stoppedEarly,
          finalLr: history.at(-1)?.lr,
          testRocAuc: result.test?.rocAuc ?? null,
          seconds: Number(result.trainSeconds.toFixed(1)),
          loadavg: [loadBefore, load1()],
        };
        process.stdout.write(`${JSON.stringify(line)}\n`);
        process.stderr.write(
          `${workflow} s${seed} ${model} ${name}: val ${line.validationBest?.toFixed(3)} best ${line.bestEpoch}/${line.epochsRun} test ${line.testRocAuc?.toFixed(3)} ${line.seconds} s (load ${line.loadavg.join(' -> ')})\n`,
        );
      }
    }
  }
}
