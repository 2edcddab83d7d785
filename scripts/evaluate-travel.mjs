#!/usr/bin/env node
// What transfers between two instances of a workflow family: trains a node-level GCN on one exogeni-2020 nowcast
// instance (split by run 60/20/20, the seed's) and scores every run of the other through loadModel({ graph }), for
// each input normalization:
//   global        train's min-max scaler only (fitted on the source's training runs)
//   job-type      each job standardized with its job type's mean/std over the source's training runs (the same
//                 statistics on the other instance: what `normalization: 'job-type'` stores in the model)
//   run-job-type  each job standardized against the jobs of its type in the same run (no training statistics)
//   job-type-target  trained as job-type; the other instance standardized with its own per-type statistics over all
//                 of its runs (unlabelled; a calibration the model cannot carry, for comparison only)
// Prints one JSON line per (direction, normalization, seed): source validation ROC-AUC (the only number a choice
// may use), own test ROC-AUC, other-instance ROC-AUC (all runs), and the load average. Results are cached in
// --results so an interrupted run resumes.
// Usage: node --import ./examples/01-live-loop/scripts/register.mjs scripts/evaluate-travel.mjs
//   [--seeds 0,1,2] [--epochs 100] [--modes global,job-type,run-job-type] [--results travel.json]
import { existsSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { writeFileAtomic } from '@proteus-wf/core';
import { extractFeatures, fitJobTypeScaler, loadFlowBench } from '@proteus-wf/features';
import { evaluateModel, loadModel, train } from '@proteus-wf/models';

const { values: args } = parseArgs({
  options: {
    seeds: { type: 'string', default: '0,1,2' },
    epochs: { type: 'string', default: '100' },
    modes: { type: 'string', default: 'global,job-type,run-job-type' },
    pipeline: { type: 'string', default: 'works22' },
    // works22 features, or `ratios`: quantities a job's amount of work should not change (overheads, transfer seconds
    // per MB, CPU share of the runtime), computed from works22
    features: { type: 'string', default: 'pipeline' },
    results: { type: 'string', default: 'travel-results.json' },
  },
});
const root = join(import.meta.dirname, '..', '..', 'shared', 'datasets', 'exogeni-2020');
const instances = ['nowcast_clustering_8', 'nowcast_clustering_16'];
const features = {};
for (const name of instances) {
  const extracted = extractFeatures(await loadFlowBench(join(root, `${name}.zip`)), { pipeline: args.pipeline });
  features[name] = args.features === 'ratios' ? toRatios(extracted) : extracted;
}

/** Work-size-invariant features from works22's: overheads, seconds per MB moved, CPU share of the runtime. */
function toRatios(source) {
  const names = ['auxiliary', 'compute', 'transfer', 'is_clustered', 'wms_delay', 'pre_script_delay', 'queue_delay'];
  const derived = ['post_script_delay', 'stage_in_s_per_mb', 'stage_out_s_per_mb', 'cpu_share'];
  const width = source.featureNames.length;
  const col = Object.fromEntries(source.featureNames.map((name, i) => [name, i]));
  const rows = source.values.length / width;
  const out = new Float32Array(rows * (names.length + derived.length));
  const perMb = (delay, bytes) => (bytes > 0 ? delay / (bytes / 1e6) : 0);
  for (let row = 0; row < rows; row++) {
    const v = (name) => source.values[row * width + col[name]];
    const values = [
      ...names.map(v),
      v('post_script_delay'),
      perMb(v('stage_in_delay'), v('stage_in_bytes')),
      perMb(v('stage_out_delay'), v('stage_out_bytes')),
      v('runtime') > 0 ? v('kickstart_executables_cpu_time') / v('runtime') : 0,
    ];
    out.set(values, row * values.length);
  }
  return { ...source, pipeline: 'ratios', featureNames: [...names, ...derived], values: out };
}
const results = existsSync(args.results) ? JSON.parse(readFileSync(args.results, 'utf8')) : {};
const load = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');

for (const [from, to] of [instances, [...instances].reverse()]) {
  for (const normalization of args.modes.split(',')) {
    for (const seed of args.seeds.split(',').map(Number)) {
      const key = `${from}->${to}|${args.features === 'ratios' ? 'ratios' : args.pipeline}|${normalization}|${seed}|${args.epochs}`;
      if (results[key]) {
        console.log(JSON.stringify({ key, ...results[key], cached: true }));
        continue;
      }
      const started = performance.now();
      const result = await train(features[from], {
        task: 'node',
        seed,
        epochs: Number(args.epochs),
        ...(normalization === 'global' ? {} : { normalization: normalization.replace('-target', '') }),
      });
      const target = features[to];
      const calibrated = {
        ...result.model,
        metadata: {
          ...result.model.metadata,
          normalization: {
            kind: 'job-type',
            scaler: fitJobTypeScaler(target, { runs: target.runs.map((_, i) => i) }),
          },
        },
      };
      const moved = await loadModel(normalization === 'job-type-target' ? calibrated : result.model, {
        graph: target.graph,
      });
      const other = await evaluateModel(moved, features[to]);
      await moved.release();
      results[key] = {
        validation: result.validation?.rocAuc,
        own: result.test?.rocAuc,
        other: other.rocAuc,
        epochsRun: result.epochsRun,
        seconds: Math.round((performance.now() - started) / 1000),
        load: load(),
      };
      console.log(JSON.stringify({ key, ...results[key] }));
      await writeFileAtomic(args.results, `${JSON.stringify(results, null, 2)}\n`);
    }
  }
}
