#!/usr/bin/env node
// Measures training recipes on shared Flow-Bench workflows, one JSON line per (workflow, seed, recipe), for the
// numbers in the README's "Training recipe" section. Runs from the sources:
//   node --import ./examples/01-live-loop/scripts/register.mjs packages/models/scripts/compare-training-recipes.mjs \
//     --workflow predict_future_sales --seeds 0,1,2 --recipes trajectory,defaults [--task node] [--epochs 200]
// Recipes:
//   trajectory  `--epochs` epochs at a constant lr 1e-3, final weights, trained on the seeded split's training runs but with the test runs
//               in the validation slot, so the history holds the test ROC-AUC of every epoch (the best any epoch
//               reached, and the last). Measurement only: nothing is tuned on it. The plain GCN unless
//               --root-weight.
//   defaults    `train()` with its defaults (the recipe users get), test ROC-AUC on the seeded split.
//   root        the defaults with `rootWeight: true`;  plain: the defaults with `rootWeight: false`.
// `--max-epochs` caps the epochs of defaults/root/plain alike.
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { extractFeatures, loadFlowBench, splitByRun } from '@proteus-wf/features';
import { train } from '@proteus-wf/models';

const { values } = parseArgs({
  options: {
    workflow: { type: 'string', default: 'predict_future_sales' },
    datasets: {
      type: 'string',
      default: join(import.meta.dirname, '..', '..', '..', '..', 'shared', 'datasets', 'flowbench'),
    },
    seeds: { type: 'string', default: '0,1,2' },
    recipes: { type: 'string', default: 'trajectory,defaults' },
    task: { type: 'string', default: 'node' },
    model: { type: 'string', default: 'gcn' },
    epochs: { type: 'string', default: '200' },
    'max-epochs': { type: 'string' },
    'root-weight': { type: 'boolean', default: false },
  },
});
const dataset = await loadFlowBench(join(values.datasets, `${values.workflow}.zip`));
const features = extractFeatures(dataset, { pipeline: dataset.generation === 1 ? 'works22' : 'flowbench-v1' });
const base = { task: values.task, model: values.model, labels: 'binary' };
// --max-epochs caps the defaults/root/plain recipes (same cap for each, so they stay comparable).
if (values['max-epochs']) base.epochs = Number(values['max-epochs']);
for (const seed of values.seeds.split(',').map(Number)) {
  for (const recipe of values.recipes.split(',')) {
    const started = performance.now();
    let options;
    if (recipe === 'trajectory') {
      const split = splitByRun(features, { seed, ratios: { train: 0.6, validation: 0.2, test: 0.2 } });
      const ids = (indices) => indices.map((i) => features.runs[i].runId);
      options = {
        ...base,
        seed,
        epochs: Number(values.epochs),
        // The reference recipe the check compares with: constant Adam 1e-3 (train's defaults before 2).
        lr: 1e-3,
        lrDecay: false,
        selectBy: 'last',
        rootWeight: values['root-weight'],
        earlyStopping: false,
        split: { train: ids(split.train), validation: ids(split.test), test: ids(split.validation) },
      };
    } else if (recipe === 'defaults') options = { ...base, seed };
    else if (recipe === 'root') options = { ...base, seed, rootWeight: true };
    else if (recipe === 'plain') options = { ...base, seed, rootWeight: false };
    else throw new Error(`unknown recipe ${recipe}`);
    const result = await train(features, options);
    const line = { workflow: values.workflow, task: values.task, model: values.model, seed, recipe };
    if (recipe === 'trajectory') {
      const curve = result.history.map((r) => r.validationMetric);
      const best = Math.max(...curve);
      Object.assign(line, {
        bestEpochTestAuc: best,
        bestEpoch: curve.indexOf(best) + 1,
        lastEpochTestAuc: curve.at(-1),
      });
      Object.assign(line, { testAucEvery10: curve.filter((_, i) => (i + 1) % 10 === 0).map((v) => +v.toFixed(3)) });
    } else {
      Object.assign(line, {
        testAuc: result.test?.rocAuc,
        testAp: result.test?.averagePrecision,
        bestEpoch: result.bestEpoch,
        epochsRun: result.epochsRun,
      });
    }
    Object.assign(line, {
      seconds: +((performance.now() - started) / 1000).toFixed(1),
      loadavg: loadavg().map((v) => +v.toFixed(1)),
    });
    console.log(JSON.stringify(line));
  }
}
