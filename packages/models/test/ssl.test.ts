import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { applyScaler, extractFeatures, type FeatureSet, loadFlowBench, splitByRun } from '@proteus-wf/features';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTempDir, hasSharedDatasets, sharedDataset } from '../../../tooling/test-utils/src/index.js';
import { fitIsolationForest } from '../src/baselines/isolation-forest.js';
import { fitKnnDetector } from '../src/baselines/knn-detector.js';
import { summarizeDetection } from '../src/baselines/summarize-detection.js';
import { loadModel } from '../src/load-model.js';
import { accuracy } from '../src/metrics/accuracy.js';
import { saveModel } from '../src/save-model.js';
import { evaluateModel, scoreJobs, scoreRuns } from '../src/score-jobs.js';
import { readSslModel } from '../src/ssl/ssl-model.js';
import { fitJobStatistics, type TrainSslResult, trainSsl } from '../src/ssl/train-ssl.js';
import { train } from '../src/train.js';
import { readOnnxInitializers } from '../src/uncertainty/internal/read-onnx-initializers.js';
import { uncertaintyScores } from '../src/uncertainty/uncertainty-scores.js';

describe.skipIf(!hasSharedDatasets)(
  'trainSsl, saveModel, loadModel, scoreJobs on SSL detectors, uncertaintyScores (eht_imaging)',
  () => {
    let features: FeatureSet;
    let result: TrainSslResult;
    let temp: { path: string; dispose: () => Promise<void> };

    beforeAll(async () => {
      temp = await createTempDir();
      features = extractFeatures(await loadFlowBench(sharedDataset('flowbench/eht_imaging.zip')), {
        pipeline: 'flowbench-v1',
      });
      result = await trainSsl(features, { epochs: 6, seed: 2 });
    });
    afterAll(async () => temp.dispose());

    it('trains without labels, is deterministic per seed, and reports ranking metrics on the held-out runs', async () => {
      const again = await trainSsl(features, { epochs: 6, seed: 2 });
      expect(again.history).toEqual(result.history);
      expect(again.model.metadata.onnx.sha256).toBe(result.model.metadata.onnx.sha256);
      const split = splitByRun(features, { seed: 2 });
      expect(result.runs).toEqual({
        train: split.train.length,
        validation: split.validation.length,
        test: split.test.length,
      });
      expect(result.test?.count).toBe(split.test.length * features.jobsPerRun);
      expect(result.test?.rocAuc).toBeGreaterThan(0);
      expect(result.test?.rocAuc).toBeLessThan(1);
      expect(result.history.at(-1)?.loss).toBeLessThan(result.history[0]?.loss as number);
      // The scaler is fitted on the training runs only (deployable protocol).
      expect(result.model.metadata.scaler.fittedOn.runs).toBe(split.train.length);
    });

    it('saves and loads a model that scores the test runs exactly as training reported', async () => {
      const dir = join(temp.path, 'ssl');
      await saveModel(result.model, dir);
      await using model = await loadModel(dir);
      const split = splitByRun(features, { seed: 2 });
      const scored = await scoreJobs(model, features);
      const labels: number[] = [];
      const scores: number[] = [];
      for (const run of split.test) {
        for (let j = 0; j < features.jobsPerRun; j++) {
          labels.push(features.jobLabels[run * features.jobsPerRun + j] === 'normal' ? 0 : 1);
          scores.push(scored.scores[run * features.jobsPerRun + j] as number);
        }
      }
      // Equal up to float32 rounding: onnxruntime's kernels may sum in another order for another batch size.
      const again = summarizeDetection(labels, scores);
      expect(again.rocAuc).toBeCloseTo(result.test?.rocAuc as number, 4);
      expect(again.averagePrecision).toBeCloseTo(result.test?.averagePrecision as number, 4);
      // Deterministic scoring: the same trace scores the same way twice.
      expect((await scoreJobs(model, features)).scores).toEqual(scored.scores);
    });

    it("saves the decision threshold: the (1 - contamination) quantile of the training runs' job scores", async () => {
      const { threshold } = result.model.metadata;
      expect(threshold.contamination).toBe(0.1);
      await using model = await loadModel(result.model);
      const scored = await scoreJobs(model, features);
      const split = splitByRun(features, { seed: 2 });
      const nodes = features.jobsPerRun;
      const train = split.train.flatMap((run) => Array.from(scored.scores.subarray(run * nodes, (run + 1) * nodes)));
      const above = train.filter((score) => score > threshold.value).length;
      expect(above / train.length).toBeCloseTo(0.1, 2);
      // The test metrics of training are those of the saved threshold on the test runs.
      expect(result.test?.threshold).toBe(threshold.value);
      const truth = split.test.flatMap((run) =>
        Array.from({ length: nodes }, (_, j) => (features.jobLabels[run * nodes + j] === 'normal' ? 0 : 1)),
      );
      const predicted = split.test.flatMap((run) =>
        Array.from(scored.scores.subarray(run * nodes, (run + 1) * nodes), (score) =>
          score > threshold.value ? 1 : 0,
        ),
      );
      expect(result.test?.accuracy).toBeCloseTo(accuracy(truth, predicted), 3);
      expect(result.test?.confusionMatrix.flat().reduce((a, b) => a + b, 0)).toBe(truth.length);
      const wide = await trainSsl(features, { epochs: 1, seed: 2, contamination: 0.4 });
      expect(wide.model.metadata.threshold.value).toBeLessThan(
        (await trainSsl(features, { epochs: 1, seed: 2 })).model.metadata.threshold.value,
      );
      await expect(trainSsl(features, { epochs: 1, contamination: 0.6 })).rejects.toMatchObject({
        code: 'PROTEUS_MODELS_INVALID_OPTION',
      });
    });

    it('opens a saved SSL folder with loadModel and scores, ranks and evaluates it like a node-level model', async () => {
      const dir = join(temp.path, 'ssl-load');
      await saveModel(result.model, dir);
      await using model = await loadModel(dir);
      expect(model.metadata.model).toBe('ssl');
      const jobs = await scoreJobs(model, features, { batchSize: 64 });
      expect(jobs).toMatchObject({ model: 'ssl', classes: ['normal', 'anomalous'], probabilities: null });
      expect(jobs.threshold).toBe(result.model.metadata.threshold.value);
      expect((await scoreJobs(model, features, { batchSize: 64 })).scores).toEqual(jobs.scores);
      const nodes = features.jobsPerRun;
      for (let k = 0; k < jobs.scores.length; k += 211)
        expect(jobs.predicted[k]).toBe((jobs.scores[k] as number) > (jobs.threshold as number) ? 1 : 0);
      const runs = await scoreRuns(model, features);
      expect(runs.scores).toHaveLength(features.runs.length);
      for (const run of [0, 17, features.runs.length - 1])
        expect(runs.scores[run]).toBe(Math.max(...jobs.scores.subarray(run * nodes, (run + 1) * nodes)));
      // The same batch size as the scores compared with: onnxruntime's float sums may differ in the last bit across
      // batch shapes, which can reorder near-tied jobs.
      const summary = await evaluateModel(model, features, { batchSize: 64 });
      const labels = features.jobLabels.map((label) => (label === 'normal' ? 0 : 1));
      expect(summary.count).toBe(features.runs.length * nodes);
      expect(summary.threshold).toBe(jobs.threshold);
      expect(summary.rocAuc).toBeCloseTo(summarizeDetection(labels, jobs.scores).rocAuc as number, 10);
      expect(summary.accuracy).toBeCloseTo(accuracy(labels, jobs.predicted), 10);
      expect(summary.classes).toEqual(['normal', 'anomalous']);
    });

    it('rejects SSL mismatches with the classifier codes: other workflow, other features, wrong loader, old sidecar', async () => {
      await using model = await loadModel(result.model);
      const pycbc = extractFeatures(await loadFlowBench(sharedDataset('flowbench/pycbc_inference.zip')), {
        pipeline: 'flowbench-v1',
      });
      await expect(scoreJobs(model, pycbc)).rejects.toMatchObject({ code: 'PROTEUS_MODELS_WORKFLOW_MISMATCH' });
      await expect(evaluateModel(model, pycbc)).rejects.toMatchObject({ code: 'PROTEUS_MODELS_WORKFLOW_MISMATCH' });
      const works22 = extractFeatures(await loadFlowBench(sharedDataset('flowbench/eht_imaging.zip')), {
        pipeline: 'works22',
      });
      expect(works22.featureNames.length).not.toBe(features.featureNames.length);
      await expect(scoreRuns(model, works22)).rejects.toMatchObject({ code: 'PROTEUS_MODELS_FEATURE_MISMATCH' });
      const gcnDir = join(temp.path, 'gcn-not-ssl');
      await saveModel((await train(features, { model: 'mlp', task: 'node', epochs: 1, seed: 1 })).model, gcnDir);
      await expect(readSslModel(gcnDir)).rejects.toMatchObject({ code: 'PROTEUS_MODELS_BAD_METADATA' });
      const old = join(temp.path, 'ssl-old');
      await saveModel(result.model, old);
      const { threshold: _dropped, ...sidecar } = result.model.metadata;
      await writeFile(join(old, 'model.json'), JSON.stringify(sidecar));
      await expect(loadModel(old)).rejects.toMatchObject({ code: 'PROTEUS_MODELS_BAD_METADATA' });
    });

    it('standardizes the error of each job with its training-run statistics (calibration per-job: mean 0, std 1 over the training runs)', async () => {
      const calibrated = await trainSsl(features, { epochs: 2, seed: 2, calibration: 'per-job' });
      expect(calibrated.model.metadata.architecture.calibration).toBe('per-job');
      await using model = await loadModel(calibrated.model);
      const split = splitByRun(features, { seed: 2 });
      const scored = await scoreJobs(model, features);
      const nodes = features.jobsPerRun;
      for (const job of [0, nodes - 1]) {
        const values = split.train.map((run) => scored.scores[run * nodes + job] as number);
        const mean = values.reduce((s, v) => s + v, 0) / values.length;
        const variance = values.reduce((s, v) => s + (v - mean) ** 2, 0) / values.length;
        expect(Math.abs(mean)).toBeLessThan(1e-3);
        // A job whose error never varies keeps std 1e-6 and scores 0; otherwise the variance is 1.
        if (variance > 1e-6) expect(variance).toBeCloseTo(1, 2);
      }
    });

    it('throws PROTEUS_MODELS_BAD_ONNX for an altered model file and PROTEUS_MODELS_WORKFLOW_MISMATCH for another DAG', async () => {
      const dir = join(temp.path, 'altered');
      await saveModel(result.model, dir);
      const bytes = await readFile(join(dir, 'model.onnx'));
      bytes[bytes.length - 1] = (bytes[bytes.length - 1] as number) ^ 0xff;
      await writeFile(join(dir, 'model.onnx'), bytes);
      await expect(loadModel(dir)).rejects.toMatchObject({ code: 'PROTEUS_MODELS_BAD_ONNX' });
      await using model = await loadModel(result.model);
      const other = extractFeatures(await loadFlowBench(sharedDataset('flowbench/eht_smili.zip')), {
        pipeline: 'flowbench-v1',
      });
      await expect(scoreJobs(model, other)).rejects.toMatchObject({ code: 'PROTEUS_MODELS_WORKFLOW_MISMATCH' });
      await expect(uncertaintyScores(result.model, other)).rejects.toMatchObject({
        code: 'PROTEUS_MODELS_WORKFLOW_MISMATCH',
      });
    });

    it('gives per-job SSL confidences in [0, 1] from input gradients, with per-run and per-anomaly-type aggregates', async () => {
      const dir = join(temp.path, 'ssl-u');
      await saveModel(result.model, dir);
      const scores = await uncertaintyScores(dir, features, { batchSize: 50 });
      const jobs = features.runs.length * features.jobsPerRun;
      expect(scores.loss).toBe('reconstruction');
      expect(scores.confidence.length).toBe(jobs);
      expect(Math.min(...scores.confidence)).toBe(0);
      expect(Math.max(...scores.confidence)).toBe(1);
      expect(scores.perRun.length).toBe(features.runs.length);
      expect(Object.keys(scores.perAnomalyType).sort()).toEqual([...new Set(features.jobLabels)].sort());
      const total = Object.values(scores.perAnomalyType).reduce((s, a) => s + a.jobs, 0);
      expect(total).toBe(jobs);
      // Batch size does not change a job's gradient (the loss is summed, runs are independent).
      const other = await uncertaintyScores(result.model, features, { batchSize: 7, confidence: { scale: 1 } });
      for (let i = 0; i < jobs; i += 97) expect(other.gradientNorm[i]).toBeCloseTo(scores.gradientNorm[i] as number, 4);
      expect(other.confidence.every((c) => c > 0 && c <= 1)).toBe(true);
    });

    it('standardizes inputs per job inside the saved graph (inputNormalization per-job), for scoring and uncertainty alike', async () => {
      const normalized = await trainSsl(features, { epochs: 2, seed: 2, inputNormalization: 'per-job' });
      expect(normalized.model.metadata.architecture.inputNormalization).toBe('per-job');
      const split = splitByRun(features, { seed: 2 });
      const x = applyScaler(features, normalized.model.metadata.scaler).values;
      const nodes = features.jobsPerRun;
      const width = features.featureNames.length;
      const expected = fitJobStatistics(x, split.train, nodes, width);
      const initializers = readOnnxInitializers(normalized.model.onnx);
      expect(initializers['input.mean']?.data).toEqual(expected.mean);
      expect(initializers['input.std']?.data).toEqual(expected.std);
      expect(Math.min(...expected.std)).toBeGreaterThanOrEqual(0.01 - 1e-9);
      // The uncertainty graph rebuilt from the saved file must standardize too: its mean input gradient of a job
      // equals the finite difference of the summed reconstruction errors of the saved scoring graph.
      const scores = await uncertaintyScores(normalized.model, features, { batchSize: 50 });
      const session = await ort.InferenceSession.create(normalized.model.onnx);
      const run = split.test[0] as number;
      const job = 3;
      const sumErrors = async (delta: number) => {
        const input = x.slice(run * nodes * width, (run + 1) * nodes * width);
        for (let f = 0; f < width; f++) input[job * width + f] = (input[job * width + f] as number) + delta;
        const out = await session.run({ x: new ort.Tensor('float32', input, [1, nodes, width]) });
        const errors = (out.errors as ort.Tensor).data as Float32Array;
        return errors.reduce((s, v) => s + v, 0);
      };
      const h = 1e-3;
      const numeric = ((await sumErrors(h)) - (await sumErrors(-h))) / (2 * h) / width;
      const analytic = scores.gradientMean[run * nodes + job] as number;
      expect(Math.abs(analytic - numeric)).toBeLessThan(0.05 * Math.abs(numeric) + 0.05);
      await session.release();
    });

    it('gives GCN confidences for the self, entropy and margin losses', async () => {
      const gcn = await train(features, { model: 'gcn', task: 'node', epochs: 2, seed: 1 });
      for (const loss of ['self', 'entropy', 'margin'] as const) {
        const scores = await uncertaintyScores(gcn.model, features, { loss });
        expect(scores.loss).toBe(loss);
        expect(scores.model).toBe('gcn');
        expect(scores.gradientNorm.every((g) => Number.isFinite(g) && g >= 0)).toBe(true);
        expect(scores.gradientNorm.some((g) => g > 0)).toBe(true);
      }
      await expect(uncertaintyScores(gcn.model, features, { loss: 'bogus' as 'self' })).rejects.toMatchObject({
        code: 'PROTEUS_MODELS_INVALID_OPTION',
      });
    });

    it('throws PROTEUS_MODELS_INVALID_OPTION for a trim outside [0, 1) or an unknown inputNormalization', async () => {
      await expect(trainSsl(features, { epochs: 1, trim: 1 })).rejects.toMatchObject({
        code: 'PROTEUS_MODELS_INVALID_OPTION',
      });
      await expect(trainSsl(features, { epochs: 1, inputNormalization: 'global' as 'none' })).rejects.toMatchObject({
        code: 'PROTEUS_MODELS_INVALID_OPTION',
      });
    });

    it('trains with trimmed reconstruction (trim 0.3) and records it', async () => {
      // screen 0 isolates the trim (with the default screen the jobs it would trim are mostly screened out already)
      const trimmed = await trainSsl(features, { epochs: 2, seed: 2, trim: 0.3, screen: 0 });
      expect(trimmed.model.metadata.training.trim).toBe(0.3);
      expect(trimmed.history.every((h) => Number.isFinite(h.loss))).toBe(true);
      // Trimming changes what the model learns: the weights differ from untrimmed training with the same seed.
      const plain = await trainSsl(features, { epochs: 2, seed: 2, screen: 0 });
      expect(trimmed.model.metadata.onnx.sha256).not.toBe(plain.model.metadata.onnx.sha256);
    });

    it('screens its training jobs or runs with the training-free score (screen, screenBy) and records it', async () => {
      const everything = await trainSsl(features, { epochs: 2, seed: 2, screen: 0 });
      const jobs = await trainSsl(features, { epochs: 2, seed: 2, screen: 0.4 });
      const runs = await trainSsl(features, { epochs: 2, seed: 2, screen: 0.4, screenBy: 'run' });
      expect(jobs.model.metadata.training).toMatchObject({ screen: 0.4, screenBy: 'job' });
      expect(runs.model.metadata.training).toMatchObject({ screen: 0.4, screenBy: 'run' });
      const hashes = new Set([everything, jobs, runs].map((r) => r.model.metadata.onnx.sha256));
      expect(hashes.size).toBe(3);
      await expect(trainSsl(features, { epochs: 1, screen: 1 })).rejects.toMatchObject({
        code: 'PROTEUS_MODELS_INVALID_OPTION',
      });
      await expect(trainSsl(features, { epochs: 1, screenBy: 'task' as 'job' })).rejects.toMatchObject({
        code: 'PROTEUS_MODELS_INVALID_OPTION',
      });
    });

    it('rebuilds each job from its ancestors by default (selfInput false, directed) and records it; selfInput true is the reference layout', async () => {
      expect(result.model.metadata.architecture).toMatchObject({ selfInput: false, undirected: false });
      const reference = await trainSsl(features, { epochs: 1, seed: 2, selfInput: true, undirected: true });
      expect(reference.model.metadata.architecture).toMatchObject({ selfInput: true, undirected: true });
      // The reference layout has the first encoder layer's root weight; the default has none.
      const names = (model: typeof reference.model) =>
        Object.keys(readOnnxInitializers(model.onnx)).filter((name) => name.startsWith('enc0.'));
      expect(names(reference.model)).toContain('enc0.root.weight');
      expect(names(result.model)).not.toContain('enc0.root.weight');
      await expect(trainSsl(features, { epochs: 1, selfInput: 'no' as unknown as boolean })).rejects.toMatchObject({
        code: 'PROTEUS_MODELS_INVALID_OPTION',
      });
    });

    it('trains on a given split (run ids), as train does', async () => {
      const split = splitByRun(features, { seed: 5 });
      const ids = (runs: number[]) => runs.map((i) => features.runs[i]?.runId as string);
      const given = await trainSsl(features, {
        epochs: 1,
        seed: 2,
        split: { train: ids(split.train), validation: ids(split.validation), test: ids(split.test) },
      });
      const seeded = await trainSsl(features, { epochs: 1, seed: 2, ratios: split.ratios });
      expect(given.runs).toEqual({
        train: split.train.length,
        validation: split.validation.length,
        test: split.test.length,
      });
      expect(given.model.metadata.scaler.fittedOn.runs).toBe(split.train.length);
      expect(given.model.metadata.onnx.sha256).not.toBe(seeded.model.metadata.onnx.sha256);
      await expect(
        trainSsl(features, { epochs: 1, split: { train: ['no-such-run'], validation: [], test: [] } }),
      ).rejects.toMatchObject({ code: 'PROTEUS_MODELS_INVALID_SPLIT' });
    });

    it('runs the kNN and isolation-forest baselines on the same split and scaler', () => {
      const split = splitByRun(features, { seed: 2 });
      const x = applyScaler(features, result.model.metadata.scaler).values;
      const width = features.featureNames.length;
      const block = features.jobsPerRun * width;
      const rows = (runs: number[]) => {
        const out = new Float32Array(runs.length * block);
        runs.forEach((run, i) => {
          out.set(x.subarray(run * block, (run + 1) * block), i * block);
        });
        return out;
      };
      const labels = split.test.flatMap((run) =>
        Array.from({ length: features.jobsPerRun }, (_, j) =>
          features.jobLabels[run * features.jobsPerRun + j] === 'normal' ? 0 : 1,
        ),
      );
      for (const detector of [
        fitKnnDetector(rows(split.train), width),
        fitIsolationForest(rows(split.train), width, { seed: 2 }),
      ]) {
        const summary = summarizeDetection(labels, detector.score(rows(split.test)));
        expect(summary.count).toBe(labels.length);
        expect(summary.rocAuc).toBeGreaterThan(0.3);
      }
    });
  },
);
