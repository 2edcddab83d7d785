import { extractFeatures, type FeatureSet, loadFlowBench, splitByRun } from '@proteus-wf/features';
import { hopDistances, loadWorkflowGraph, type WorkflowGraph } from '@proteus-wf/workflow-graph';
import { beforeAll, describe, expect, it } from 'vitest';
import { hasSharedDatasets, sharedDataset } from '../../../tooling/test-utils/src/index.js';
import { loadModel } from '../src/load-model.js';
import { rocAuc } from '../src/metrics/roc-auc.js';
import { evaluateModel, scoreJobs } from '../src/score-jobs.js';
import { trainSsl } from '../src/ssl/train-ssl.js';
import { type TrainResult, train } from '../src/train.js';
import { mapOntoInstance } from './support/map-onto-instance.js';

const dags = (name: string) => sharedDataset(`flowbench/adjacency_list_dags/${name}.json`);

describe.skipIf(!hasSharedDatasets)('loadModel({ graph }): a model scores another instance of its workflow', () => {
  let small: FeatureSet;
  let full: WorkflowGraph;
  let test: number[];
  let gcn: TrainResult;

  beforeAll(async () => {
    small = extractFeatures(await loadFlowBench(sharedDataset('flowbench/casa_nowcast_small.zip')), {
      pipeline: 'flowbench-v1',
    });
    full = await loadWorkflowGraph(dags('casa_nowcast_full'));
    test = splitByRun(small, { seed: 0 }).test;
    gcn = await train(small, { task: 'node', seed: 0, epochs: 15 });
  }, 600_000);

  it('gives every job of the 2,081-job casa_nowcast_full DAG the score a node-level MLP gives the small job it copies', async () => {
    const { model } = await train(small, { model: 'mlp', task: 'node', seed: 0, epochs: 2 });
    await using own = await loadModel(model);
    await using moved = await loadModel(model, { graph: full });
    expect(moved.metadata).toMatchObject({ jobs: 2081, trainedOn: { jobs: 419, unknownJobTypes: [] } });
    const runs = test.slice(0, 3);
    const { features: large, source } = mapOntoInstance(small, full, runs);
    const scored = await scoreJobs(moved, large);
    const reference = await scoreJobs(own, small);
    // Without a graph a job's score is a function of its own features: each copy scores like its original job where
    // the copy's node_hop (taken from the large DAG) equals the original's.
    const hops = hopDistances(full);
    const smallHops = hopDistances(small.graph);
    let compared = 0;
    runs.forEach((run, r) => {
      source.forEach((node, j) => {
        if (smallHops[node] !== hops[j]) return;
        compared++;
        expect(scored.scores[r * full.size + j]).toBeCloseTo(
          reference.scores[run * small.jobsPerRun + node] as number,
          5,
        );
      });
    });
    expect(compared).toBeGreaterThan(runs.length * 2000);
  });

  it('scores the large instance of casa_nowcast within 0.05 of the small one’s own test ROC-AUC (GCN)', async () => {
    await using moved = await loadModel(gcn.model, { graph: full });
    const large = mapOntoInstance(small, full, test).features;
    const summary = await evaluateModel(moved, large);
    const own = gcn.test?.rocAuc as number;
    console.info(`casa_nowcast small -> large (15 epochs, seed 0): own test ROC-AUC ${own}, large ${summary.rocAuc}`);
    expect(Math.abs((summary.rocAuc as number) - own)).toBeLessThan(0.05);
    const scored = await scoreJobs(moved, large);
    const truth = large.jobLabels.map((label) => (label === 'normal' ? 0 : 1));
    expect(rocAuc(truth, scored.scores)).toBeCloseTo(summary.rocAuc as number, 10);
  });

  it('leaves the model as it is for its own DAG, and refuses job types it never saw and SSL detectors', async () => {
    await using same = await loadModel(gcn.model, { graph: small.graph });
    expect(same.metadata.adjacencyHash).toBe(gcn.model.metadata.adjacencyHash);
    expect(same.metadata).not.toHaveProperty('trainedOn');
    const montage = await loadWorkflowGraph(dags('montage'));
    await expect(loadModel(gcn.model, { graph: montage })).rejects.toMatchObject({
      code: 'PROTEUS_MODELS_UNKNOWN_JOB_TYPE',
    });
    await using anyway = await loadModel(gcn.model, { graph: montage, unknownJobTypes: 'score' });
    expect(anyway.metadata.jobs).toBe(montage.size);
    const ssl = await trainSsl(small, { epochs: 1, seed: 0 });
    await expect(loadModel(ssl.model, { graph: full })).rejects.toMatchObject({ code: 'PROTEUS_MODELS_NOT_PORTABLE' });
  });
});
