import { readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { isProteusError } from '@proteus-wf/core';
import { applyScaler, extractFeatures, type FeatureSet, loadFlowBench, splitByRun } from '@proteus-wf/features';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTempDir, hasSharedDatasets, sharedDataset } from '../../../tooling/test-utils/src/index.js';
import { loadModel } from '../src/load-model.js';
import { rocAuc } from '../src/metrics/roc-auc.js';
import { readSplitFile } from '../src/read-split-file.js';
import { saveModel } from '../src/save-model.js';
import { evaluateModel, scoreJobs, scoreRuns } from '../src/score-jobs.js';
import { type TrainResult, train } from '../src/train.js';
import { uncertaintyScores } from '../src/uncertainty/uncertainty-scores.js';

describe.skipIf(!hasSharedDatasets)('train, saveModel, loadModel, scoreJobs', () => {
  let features: FeatureSet;
  let graphLevel: TrainResult;
  let temp: { path: string; dispose: () => Promise<void> };

  beforeAll(async () => {
    temp = await createTempDir();
    features = extractFeatures(await loadFlowBench(sharedDataset('flowbench/eht_imaging.zip')), {
      pipeline: 'flowbench-v1',
    });
    graphLevel = await train(features, { model: 'gcn', task: 'graph', epochs: 8, seed: 3, selectBy: 'loss' });
  });
  afterAll(async () => temp.dispose());

  /** ROC-AUC of a graph-level model's anomalous-class probability on the validation runs of the seed-3 split. */
  async function validationRocAuc(result: TrainResult): Promise<number> {
    const split = splitByRun(features, { seed: 3 });
    const x = applyScaler(features, result.model.metadata.scaler).values;
    await using model = await loadModel(result.model);
    const block = features.jobsPerRun * features.featureNames.length;
    const truth: number[] = [];
    const scores: number[] = [];
    for (const run of split.validation) {
      scores.push((await model.predict(x.slice(run * block, (run + 1) * block), 1))[1] as number);
      truth.push(features.runs[run]?.label === 'normal' ? 0 : 1);
    }
    return rocAuc(truth, scores);
  }

  it('is deterministic for a seed and differs across seeds', async () => {
    const again = await train(features, { model: 'gcn', task: 'graph', epochs: 8, seed: 3, selectBy: 'loss' });
    expect(again.history).toEqual(graphLevel.history);
    expect(again.model.metadata.onnx.sha256).toBe(graphLevel.model.metadata.onnx.sha256);
    const other = await train(features, { model: 'gcn', task: 'graph', epochs: 8, seed: 4, selectBy: 'loss' });
    expect(other.history).not.toEqual(graphLevel.history);
  });

  it('keeps the weights of the epoch with the lowest validation loss with selectBy: loss', async () => {
    const losses = graphLevel.history.map((h) => h.validationLoss as number);
    expect(graphLevel.bestEpoch).toBe(losses.indexOf(Math.min(...losses)) + 1);
    // Recompute the validation loss of the returned model from scratch: it must be the best epoch's.
    const split = splitByRun(features, { seed: 3 });
    const x = applyScaler(features, graphLevel.model.metadata.scaler).values;
    await using model = await loadModel(graphLevel.model);
    const block = features.jobsPerRun * features.featureNames.length;
    let loss = 0;
    for (const run of split.validation) {
      const p = await model.predict(x.slice(run * block, (run + 1) * block), 1);
      const label = features.runs[run]?.label === 'normal' ? 0 : 1;
      loss -= Math.log(p[label] as number);
    }
    expect(loss / split.validation.length).toBeCloseTo(Math.min(...losses), 4);
  });

  it('keeps the epoch with the highest validation accuracy with selectBy: accuracy', async () => {
    const result = await train(features, { model: 'gcn', task: 'graph', epochs: 8, seed: 3, selectBy: 'accuracy' });
    expect(result.history).toEqual(graphLevel.history);
    const accuracies = result.history.map((h) => h.validationAccuracy as number);
    const top = Math.max(...accuracies);
    const tied = result.history.filter((h) => h.validationAccuracy === top);
    const chosen = tied.reduce((a, b) => ((b.validationLoss as number) < (a.validationLoss as number) ? b : a));
    expect(result.bestEpoch).toBe(chosen.epoch);
  });

  it('keeps the epoch with the best validation ROC-AUC by default, and that model reproduces it', async () => {
    const result = await train(features, { model: 'gcn', task: 'graph', epochs: 8, seed: 3 });
    expect(result.history.map((h) => h.trainLoss)).toEqual(graphLevel.history.map((h) => h.trainLoss));
    const metrics = result.history.map((h) => h.validationMetric as number);
    const top = Math.max(...metrics);
    const tied = result.history.filter((h) => h.validationMetric === top);
    const chosen = tied.reduce((a, b) => ((b.validationLoss as number) < (a.validationLoss as number) ? b : a));
    expect(result.bestEpoch).toBe(chosen.epoch);
    expect(result.model.metadata.training.selectBy).toBe('metric');
    // The kept model's validation ROC-AUC, recomputed from its saved form, is the best epoch's.
    expect(await validationRocAuc(result)).toBeCloseTo(top, 6);
  });

  it('keeps the final epoch with selectBy: last, and stops after `patience` epochs without a better metric', async () => {
    const last = await train(features, { model: 'gcn', task: 'graph', epochs: 8, seed: 3, selectBy: 'last' });
    expect(last.bestEpoch).toBe(8);
    expect(await validationRocAuc(last)).toBeCloseTo(last.history[7]?.validationMetric as number, 6);
    const patient = await train(features, {
      model: 'gcn',
      task: 'graph',
      epochs: 30,
      seed: 3,
      lr: 0.02,
      lrDecay: false,
      earlyStopping: { patience: 2, minDelta: 0 },
    });
    let best = Number.NEGATIVE_INFINITY;
    let since = 0;
    let stop = 30;
    for (const record of patient.history) {
      if ((record.validationMetric as number) > best) {
        best = record.validationMetric as number;
        since = 0;
      } else if (++since >= 2) {
        stop = record.epoch;
        break;
      }
    }
    expect(patient.epochsRun).toBe(stop);
    expect(patient.stoppedEarly).toBe(stop < 30);
  });

  it('counts only gains of at least `minDelta` for patience and halves the rate on plateaus (the defaults)', async () => {
    const result = await train(features, {
      model: 'gcn',
      task: 'graph',
      epochs: 40,
      seed: 3,
      earlyStopping: { patience: 6, minDelta: 0.01 },
      lrDecay: { patience: 2 },
    });
    // Recomputed from the history: what counts is a gain of >= 0.01 over the last counted epoch (ties go to the lower
    // loss, as in the selection); the rate halves after 2 epochs without one (down to the default 1e-5).
    let counted: number | undefined;
    let best: [number, number] | undefined;
    let since = 0;
    let sinceCut = 0;
    let lr = 3e-3;
    let stop = 40;
    for (const record of result.history) {
      expect(record.lr).toBeCloseTo(lr, 12);
      const rank: [number, number] = [record.validationMetric as number, -(record.validationLoss as number)];
      const improved = !best || rank[0] > best[0] || (rank[0] === best[0] && rank[1] > best[1]);
      if (improved) best = rank;
      if (improved && (counted === undefined || rank[0] >= counted + 0.01)) {
        counted = rank[0];
        since = 0;
        sinceCut = 0;
      } else {
        since++;
        if (++sinceCut >= 2) {
          lr = Math.max(lr * 0.5, 1e-5);
          sinceCut = 0;
        }
      }
      if (since >= 6) {
        stop = record.epoch;
        break;
      }
    }
    expect(result.epochsRun).toBe(stop);
    expect(result.stoppedEarly).toBe(true);
    expect(result.history.some((r) => r.lr < 3e-3)).toBe(true);
    expect(result.model.metadata.training).toMatchObject({
      lr: 3e-3,
      lrDecay: { factor: 0.5, patience: 2, minLr: 1e-5 },
      epochs: 40,
    });
  });

  it('trains and tests on a given split (run ids or file names) like on the same seeded split', async () => {
    const split = splitByRun(features, { seed: 3 });
    const ids = (runs: number[]) => runs.map((i) => features.runs[i]?.runId as string);
    const files = (runs: number[]) => runs.map((i) => basename(features.runs[i]?.file ?? ''));
    const given = await train(features, {
      model: 'gcn',
      task: 'graph',
      epochs: 8,
      seed: 3,
      selectBy: 'loss',
      split: { train: ids(split.train), validation: files(split.validation), test: ids(split.test) },
    });
    expect(given.history).toEqual(graphLevel.history);
    expect(given.test).toEqual(graphLevel.test);
    expect(given.model.metadata.training.split).toBe('given');
    const path = join(temp.path, 'split.json');
    writeFileSync(
      path,
      JSON.stringify({ train: ids(split.train), validation: ids(split.validation), test: ids(split.test) }),
    );
    expect(await readSplitFile(path)).toEqual({
      train: ids(split.train),
      validation: ids(split.validation),
      test: ids(split.test),
    });
  });

  it('throws PROTEUS_MODELS_INVALID_SPLIT for an unknown, repeated or missing run and a malformed split file', async () => {
    const runs = features.runs.map((run) => run.runId);
    const base = { model: 'gcn', task: 'graph', epochs: 1 } as const;
    const cases = [
      { train: [...runs.slice(0, 400), 'no-such-run'], validation: runs.slice(400, 450), test: runs.slice(450) },
      { train: runs.slice(0, 400), validation: runs.slice(399, 450), test: runs.slice(450) },
      { train: runs.slice(0, 400), validation: runs.slice(400, 450), test: runs.slice(451) },
    ];
    for (const split of cases) {
      await expect(train(features, { ...base, split })).rejects.toMatchObject({ code: 'PROTEUS_MODELS_INVALID_SPLIT' });
    }
    const path = join(temp.path, 'bad-split.json');
    writeFileSync(path, '{"train": ["a"], "validation": "b"}');
    await expect(readSplitFile(path)).rejects.toMatchObject({ code: 'PROTEUS_MODELS_INVALID_SPLIT' });
    writeFileSync(path, 'not json');
    await expect(readSplitFile(path)).rejects.toMatchObject({ code: 'PROTEUS_MODELS_INVALID_SPLIT' });
    await expect(readSplitFile(join(temp.path, 'missing.json'))).rejects.toMatchObject({
      code: 'PROTEUS_MODELS_INVALID_SPLIT',
    });
  });

  it('trains the root-weight GCN variant and records it', async () => {
    const result = await train(features, { model: 'gcn', task: 'node', epochs: 2, seed: 1, rootWeight: true });
    expect(result.model.metadata.architecture.rootWeight).toBe(true);
    const plain = await train(features, { model: 'gcn', task: 'node', epochs: 2, seed: 1, rootWeight: false });
    expect(plain.model.metadata.architecture.rootWeight).toBe(false);
    expect(result.model.onnx.length).toBeGreaterThan(plain.model.onnx.length);
    await using model = await loadModel(result.model);
    const scores = await scoreJobs(model, features);
    expect(scores.scores).toHaveLength(501 * 12);
    // The uncertainty graph is rebuilt from the saved weights: it must recognize the root weights.
    const uncertainty = await uncertaintyScores(result.model, features, { batchSize: 100 });
    expect(uncertainty.confidence).toHaveLength(501 * 12);
  });

  it('reports test metrics on the held-out runs only', () => {
    const split = splitByRun(features, { seed: 3 });
    expect(graphLevel.runs).toEqual({
      train: split.train.length,
      validation: split.validation.length,
      test: split.test.length,
    });
    expect(graphLevel.test?.count).toBe(split.test.length);
    expect(graphLevel.test?.confusionMatrix.flat().reduce((a, b) => a + b, 0)).toBe(split.test.length);
  });

  it('round-trips through saveModel/loadModel with the same scores (to float32 rounding)', async () => {
    const dir = join(temp.path, 'graph');
    await saveModel(graphLevel.model, dir);
    await using fromDisk = await loadModel(dir);
    await using inMemory = await loadModel(graphLevel.model);
    const a = await scoreRuns(fromDisk, features, { batchSize: 64 });
    const b = await scoreRuns(inMemory, features, { batchSize: 501 });
    // The saved graph takes the DAG as edge inputs (any node count), the in-memory one has it as constants: the
    // same arithmetic in another order, so scores agree to the last bits of float32, not bit for bit.
    expect(a.scores).toHaveLength(b.scores.length);
    expect(Math.max(...a.scores.map((score, i) => Math.abs(score - (b.scores[i] as number))))).toBeLessThan(1e-6);
    expect(a.runIds).toHaveLength(501);
    const summary = await evaluateModel(fromDisk, features);
    expect(summary.count).toBe(501);
  });

  it('scores every job of a node-level model, also straight from a loaded dataset', async () => {
    const nodeLevel = await train(features, { model: 'mlp', task: 'node', epochs: 2, seed: 1 });
    await using model = await loadModel(nodeLevel.model);
    const scores = await scoreJobs(model, features);
    expect(scores.scores).toHaveLength(501 * 12);
    expect(scores.jobNames).toHaveLength(12);
    for (const s of scores.scores) expect(s >= 0 && s <= 1).toBe(true);
    const fromDataset = await scoreJobs(model, await loadFlowBench(sharedDataset('flowbench/eht_imaging.zip')));
    expect(fromDataset.scores).toEqual(scores.scores);
  });

  it('stops with PROTEUS_MODELS_NAN_LOSS and hands back the last good weights', async () => {
    try {
      await train(features, { model: 'gcn', task: 'graph', epochs: 50, seed: 1, lr: 1e30 });
      expect.unreachable();
    } catch (error) {
      expect(error).toMatchObject({ code: 'PROTEUS_MODELS_NAN_LOSS' });
      const details = (
        error as { details: { epoch: number; step: number; lastGoodWeights: Record<string, { data: Float32Array }> } }
      ).details;
      expect(details.epoch).toBeGreaterThanOrEqual(1);
      expect(Object.keys(details.lastGoodWeights)).toContain('gcn0.weight');
      for (const weight of Object.values(details.lastGoodWeights))
        expect(weight.data.every(Number.isFinite)).toBe(true);
      expect(JSON.stringify(details)).not.toContain('lastGoodWeights');
    }
  });

  it('rejects scoring mismatches with precise codes', async () => {
    await using model = await loadModel(graphLevel.model);
    const works22 = extractFeatures(await loadFlowBench(sharedDataset('flowbench/eht_imaging.zip')), {
      pipeline: 'works22',
    });
    await expect(scoreRuns(model, works22)).rejects.toMatchObject({ code: 'PROTEUS_MODELS_FEATURE_MISMATCH' });
    const other = extractFeatures(await loadFlowBench(sharedDataset('flowbench/pycbc_inference.zip')), {
      pipeline: 'flowbench-v1',
    });
    await expect(scoreRuns(model, other)).rejects.toMatchObject({ code: 'PROTEUS_MODELS_WORKFLOW_MISMATCH' });
    await expect(scoreJobs(model, features)).rejects.toMatchObject({ code: 'PROTEUS_MODELS_TASK_MISMATCH' });
    const values = features.values.slice();
    values[(7 * features.jobsPerRun + 4) * features.featureNames.length + 2] = Number.NaN;
    try {
      await scoreRuns(model, { ...features, values });
      expect.unreachable();
    } catch (error) {
      expect(isProteusError(error, 'PROTEUS_MODELS_NAN_INPUT')).toBe(true);
      expect((error as { details: unknown }).details).toEqual({
        runId: features.runs[7]?.runId,
        job: features.graph.jobNames()[4],
        feature: features.featureNames[2],
      });
    }
  });

  it('rejects broken model folders with precise codes', async () => {
    const dir = join(temp.path, 'broken');
    await saveModel(graphLevel.model, dir);
    await expect(loadModel(join(temp.path, 'missing'))).rejects.toMatchObject({
      code: 'PROTEUS_MODELS_MODEL_NOT_FOUND',
    });
    const onnx = readFileSync(join(dir, 'model.onnx'));
    writeFileSync(join(dir, 'model.onnx'), onnx.subarray(0, 100));
    await expect(loadModel(dir)).rejects.toMatchObject({ code: 'PROTEUS_MODELS_BAD_ONNX' });
    writeFileSync(join(dir, 'model.json'), '{"format":"something-else"}');
    await expect(loadModel(dir)).rejects.toMatchObject({ code: 'PROTEUS_MODELS_BAD_METADATA' });
  });

  it('validates options and honours an abort signal', async () => {
    await expect(train(features, { task: 'edge' as 'node' })).rejects.toMatchObject({
      code: 'PROTEUS_MODELS_INVALID_OPTION',
    });
    await expect(train(features, { epochs: 0 })).rejects.toMatchObject({ code: 'PROTEUS_MODELS_INVALID_OPTION' });
    for (const lrDecay of [{ factor: 1 }, { factor: 0 }, { patience: 0 }, { minLr: -1 }]) {
      await expect(train(features, { lrDecay })).rejects.toMatchObject({ code: 'PROTEUS_MODELS_INVALID_OPTION' });
    }
    await expect(train(features, { earlyStopping: { patience: 3, minDelta: -0.1 } })).rejects.toMatchObject({
      code: 'PROTEUS_MODELS_INVALID_OPTION',
    });
    const controller = new AbortController();
    controller.abort(new Error('user pressed ^C'));
    await expect(train(features, { signal: controller.signal })).rejects.toMatchObject({
      code: 'PROTEUS_CORE_ABORTED',
    });
  });
});
