/*
 * The training loop behind `train()`: seeded mini-batches of runs through the engine's one-graph training step,
 * validation after every epoch, best-validation weights restored at the end, and a NaN guard that stops with the
 * last good weights. Works on plain tensors; `train()` prepares them from a feature set.
 */
import { createRng, isProteusError, type ProgressEvent, ProteusError, reportProgress } from '@proteus-wf/core';
import type { ExecutionProvider, OptimizerSpec } from '@proteus-wf/onnx-train';
import type { ModelSpec, ModelWeights } from '../graphs/model-spec.js';
import { createTrainer, type Trainer } from '../graphs/trainer.js';
import { precisionRecallF1 } from '../metrics/precision-recall-f1.js';
import { rocAuc } from '../metrics/roc-auc.js';
import { runEpochs } from './training-run.js';

/** Tensors of one task: `x` [runs, N, F]; `y` per run (graph level) or per job (node level); `part` per item. */
export interface FitData {
  x: Float32Array;
  runs: number;
  nodes: number;
  features: number;
  level: 'graph' | 'node';
  /** Class index per item: [runs] or [runs*N]. */
  y: Int32Array;
  /** 0 train, 1 validation, 2 test, per item (same length as `y`). */
  part: Uint8Array;
}

/** Loop settings (all resolved by `train()`). */
export interface FitOptions {
  spec: ModelSpec;
  optimizer: OptimizerSpec;
  epochs: number;
  batchSize: number;
  seed: number;
  classWeights?: number[];
  patience: number | undefined;
  /**
   * What counts as better for `patience` and `lrDecay`: the validation number must rise at least this much over the
   * last epoch that counted (Keras' `min_delta`); default 0 (any better epoch). The kept weights are still the best.
   */
  minDelta?: number;
  /** Which epoch's weights to keep, and what `patience` watches (see {@link SelectBy}); default `metric`. */
  selectBy?: SelectBy;
  /** Learning-rate decay on a plateau of what `selectBy` watches (see {@link LrDecay}); absent: a constant rate. */
  lrDecay?: LrDecay;
  executionProviders?: readonly ExecutionProvider[];
  threads?: number;
  signal?: AbortSignal;
  onProgress?: (event: ProgressEvent) => void;
}

/**
 * How training picks the weights it keeps. `metric`: the epoch with the best validation metric of the task (ROC-AUC
 * of the anomalous class for binary labels, macro-F1 for multi-class; ties: lower loss); `loss`: lowest validation
 * loss; `accuracy`: highest validation accuracy (ties: lower loss); `last`: the final epoch (early stopping, if on,
 * still watches the validation metric). Without validation items every choice but `last` uses the training loss.
 */
export type SelectBy = 'metric' | 'loss' | 'accuracy' | 'last';

/**
 * ReduceLROnPlateau: after `patience` epochs in a row without a better validation number (the one `selectBy` ranks
 * by), the learning rate is multiplied by `factor`, down to `minLr`; the count restarts after each cut.
 */
export interface LrDecay {
  factor: number;
  patience: number;
  minLr: number;
}

/** One epoch of history. */
export interface EpochRecord {
  epoch: number;
  /** The learning rate of this epoch's steps. */
  lr: number;
  trainLoss: number;
  validationLoss: number | null;
  validationAccuracy: number | null;
  /**
   * ROC-AUC (binary) or macro-F1 (multi-class) on the validation items; null without validation items, or for ROC-AUC
   * when they hold one class only.
   */
  validationMetric: number | null;
}

/** What the loop leaves: the trainer with the best weights loaded, history, and where it stopped. */
export interface FitOutcome {
  trainer: Trainer;
  history: EpochRecord[];
  bestEpoch: number;
  epochsRun: number;
  stoppedEarly: boolean;
}

export const PART = { train: 0, validation: 1, test: 2 } as const;

/**
 * Trains until `epochs` or early stopping; keeps the weights `selectBy` picks (the best epoch by validation metric,
 * loss or accuracy, or the last one); without validation items, the best by training loss (or the last).
 * @throws ProteusError PROTEUS_MODELS_NAN_LOSS when a step's loss is not finite (details carry the last good weights)
 */
export async function fit(data: FitData, options: FitOptions): Promise<FitOutcome> {
  const where = 'models/train';
  const itemsPerRun = data.level === 'node' ? data.nodes : 1;
  const runHasPart = (run: number, part: number): boolean => {
    for (let k = 0; k < itemsPerRun; k++) if (data.part[run * itemsPerRun + k] === part) return true;
    return false;
  };
  const trainRuns: number[] = [];
  const validationRuns: number[] = [];
  for (let run = 0; run < data.runs; run++) {
    if (runHasPart(run, PART.train)) trainRuns.push(run);
    if (runHasPart(run, PART.validation)) validationRuns.push(run);
  }
  if (trainRuns.length === 0) {
    throw new ProteusError('PROTEUS_MODELS_INVALID_INPUT', `${where}: the split has no training item; cannot train.`);
  }
  const rng = createRng(options.seed).fork();
  const trainer = await createTrainer({
    model: options.spec,
    optimizer: options.optimizer,
    seed: options.seed,
    ...(options.classWeights ? { classWeights: options.classWeights } : {}),
    ...(options.executionProviders ? { executionProviders: [...options.executionProviders] } : {}),
    ...(options.threads !== undefined ? { threads: options.threads } : {}),
  });
  try {
    const history: EpochRecord[] = [];
    const selectBy = options.selectBy ?? 'metric';
    let best: { epoch: number; rank: [number, number]; weights: ModelWeights } | undefined;
    let sinceBest = 0;
    let sinceCut = 0;
    let counted: number | undefined;
    const minDelta = options.minDelta ?? 0;
    let lr = trainer.optimizer.lr;
    let stoppedEarly = false;
    await runEpochs({
      x: data.x,
      block: data.nodes * data.features,
      trainRuns,
      batchSize: options.batchSize,
      epochs: options.epochs,
      rng,
      where,
      ...(options.signal ? { signal: options.signal } : {}),
      step: async (x, runs, at) => {
        const { y, mask } = gatherTargets(data, runs, itemsPerRun, PART.train);
        let loss: number;
        try {
          loss = await trainer.step(x, y, mask ? { mask } : {});
        } catch (error) {
          if (isProteusError(error, 'PROTEUS_MODELS_NON_FINITE_LOSS'))
            throw nanLoss(trainer, at.epoch, at.step, options, error);
          throw error;
        }
        // The engine refuses non-finite losses itself; this guards any trainer that does not.
        if (!Number.isFinite(loss)) throw nanLoss(trainer, at.epoch, at.step, options, undefined);
        return { loss };
      },
      endEpoch: async (epoch, means) => {
        const record: EpochRecord = {
          epoch,
          lr,
          trainLoss: means.loss,
          validationLoss: null,
          validationAccuracy: null,
          validationMetric: null,
        };
        if (validationRuns.length > 0) {
          const probabilities = await predictRuns(trainer, data, validationRuns);
          const scored = scoreItems(data, validationRuns, itemsPerRun, probabilities, PART.validation);
          record.validationLoss = scored.loss;
          record.validationAccuracy = scored.accuracy;
          record.validationMetric = scored.metric;
        }
        history.push(record);
        const rank = rankEpoch(record, selectBy);
        const improved = !best || rank[0] > best.rank[0] || (rank[0] === best.rank[0] && rank[1] > best.rank[1]);
        if (improved) best = { epoch, rank, weights: trainer.weights() };
        const significant = improved && (minDelta === 0 || counted === undefined || rank[0] >= counted + minDelta);
        if (significant) {
          counted = rank[0];
          sinceBest = 0;
          sinceCut = 0;
        } else {
          sinceBest++;
          sinceCut++;
        }
        const decay = options.lrDecay;
        if (decay && sinceCut >= decay.patience && lr > decay.minLr) {
          lr = Math.max(lr * decay.factor, decay.minLr);
          trainer.setLearningRate(lr);
          sinceCut = 0;
        }
        if (selectBy === 'last' && epoch === options.epochs) best = { epoch, rank, weights: trainer.weights() };
        reportProgress(options.onProgress, {
          phase: 'train',
          ratio: epoch / options.epochs,
          message: `epoch ${epoch}/${options.epochs}`,
          data: {
            epoch,
            trainLoss: record.trainLoss,
            ...(record.validationLoss === null ? {} : { validationLoss: record.validationLoss }),
            ...(record.validationAccuracy === null ? {} : { validationAccuracy: record.validationAccuracy }),
          },
        });
        if (options.patience !== undefined && sinceBest >= options.patience) {
          stoppedEarly = true;
          if (selectBy === 'last') best = { epoch, rank, weights: trainer.weights() };
          return true;
        }
        return false;
      },
    });
    const chosen = best as { epoch: number; weights: ModelWeights };
    trainer.setWeights(chosen.weights, { resetOptimizer: true });
    return { trainer, history, bestEpoch: chosen.epoch, epochsRun: history.length, stoppedEarly };
  } catch (error) {
    await trainer.release();
    throw error;
  }
}

/** An epoch's standing under `selectBy`, compared lexicographically (higher is better). */
function rankEpoch(record: EpochRecord, selectBy: SelectBy): [number, number] {
  const loss = -(record.validationLoss ?? record.trainLoss);
  if (record.validationLoss === null) return [loss, 0];
  if (selectBy === 'loss') return [loss, 0];
  if (selectBy === 'accuracy') return [record.validationAccuracy ?? 0, loss];
  // `metric`, and what early stopping watches under `last`; a one-class validation part falls back to the loss.
  return record.validationMetric === null ? [loss, 0] : [record.validationMetric, loss];
}

/**
 * PROTEUS_MODELS_NAN_LOSS: the trainer skipped the update of the failing step, so its weights are the last good ones.
 * They ride along in `details.lastGoodWeights`, kept out of JSON error output (not enumerable).
 */
function nanLoss(trainer: Trainer, epoch: number, step: number, options: FitOptions, cause: unknown): ProteusError {
  const details = { epoch, step };
  Object.defineProperty(details, 'lastGoodWeights', { value: trainer.weights(), enumerable: false });
  return new ProteusError(
    'PROTEUS_MODELS_NAN_LOSS',
    `models/train: the training loss stopped being finite at epoch ${epoch}, step ${step}. Lower the learning rate (got ${options.optimizer.lr ?? 'default'}) or check the features for extreme values; the weights before that step are in error.details.lastGoodWeights.`,
    { details, cause },
  );
}

/** Copies the feature blocks of `runs` into `into` (reused) and returns the used prefix. */
export function gatherRuns(data: FitData, runs: readonly number[], into?: Float32Array): Float32Array {
  const block = data.nodes * data.features;
  const out =
    into && into.length >= runs.length * block
      ? into.subarray(0, runs.length * block)
      : new Float32Array(runs.length * block);
  runs.forEach((run, i) => {
    out.set(data.x.subarray(run * block, (run + 1) * block), i * block);
  });
  return out;
}

function gatherTargets(
  data: FitData,
  runs: readonly number[],
  itemsPerRun: number,
  part: number,
): { y: Int32Array; mask?: Float32Array } {
  const y = new Int32Array(runs.length * itemsPerRun);
  const mask = new Float32Array(runs.length * itemsPerRun);
  let partial = false;
  runs.forEach((run, i) => {
    for (let k = 0; k < itemsPerRun; k++) {
      y[i * itemsPerRun + k] = data.y[run * itemsPerRun + k] as number;
      const inPart = data.part[run * itemsPerRun + k] === part;
      mask[i * itemsPerRun + k] = inPart ? 1 : 0;
      if (!inPart) partial = true;
    }
  });
  return partial ? { y, mask } : { y };
}

/** Probabilities for `runs`, evaluated in chunks so memory stays bounded. */
export async function predictRuns(
  trainer: Trainer,
  data: FitData,
  runs: readonly number[],
  chunk = 256,
): Promise<Float32Array> {
  const parts: Float32Array[] = [];
  for (let start = 0; start < runs.length; start += chunk) {
    parts.push(await trainer.evaluate(gatherRuns(data, runs.slice(start, start + chunk))));
  }
  const total = parts.reduce((sum, p) => sum + p.length, 0);
  const out = new Float32Array(total);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** Mean negative log-likelihood, accuracy and the task's metric over the items of `part` within `runs`. */
function scoreItems(
  data: FitData,
  runs: readonly number[],
  itemsPerRun: number,
  probabilities: Float32Array,
  part: number,
): { loss: number; accuracy: number; metric: number | null } {
  const classes = probabilities.length / (runs.length * itemsPerRun);
  let loss = 0;
  let correct = 0;
  let count = 0;
  const truth: number[] = [];
  const predicted: number[] = [];
  const positive: number[] = [];
  runs.forEach((run, i) => {
    for (let k = 0; k < itemsPerRun; k++) {
      if (data.part[run * itemsPerRun + k] !== part) continue;
      const label = data.y[run * itemsPerRun + k] as number;
      const base = (i * itemsPerRun + k) * classes;
      let best = 0;
      for (let c = 1; c < classes; c++)
        if ((probabilities[base + c] as number) > (probabilities[base + best] as number)) best = c;
      if (best === label) correct++;
      loss -= Math.log(Math.max(probabilities[base + label] as number, 1e-12));
      count++;
      truth.push(label);
      predicted.push(best);
      positive.push(probabilities[base + 1] as number);
    }
  });
  let metric: number | null;
  if (classes === 2) {
    const positives = truth.reduce((sum, label) => sum + label, 0);
    metric = positives === 0 || positives === truth.length ? null : rocAuc(truth, positive);
  } else {
    metric = precisionRecallF1(truth, predicted, { average: 'macro' }).f1;
  }
  return { loss: loss / count, accuracy: correct / count, metric };
}

/** Items of `part` in run order, with their probabilities, for the final summaries. */
export function selectPart(
  data: FitData,
  runs: readonly number[],
  probabilities: Float32Array,
  part: number,
): { truth: Int32Array; probabilities: Float32Array } {
  const itemsPerRun = data.level === 'node' ? data.nodes : 1;
  const classes = probabilities.length / (runs.length * itemsPerRun);
  const truth: number[] = [];
  const selected: number[] = [];
  runs.forEach((run, i) => {
    for (let k = 0; k < itemsPerRun; k++) {
      if (data.part[run * itemsPerRun + k] !== part) continue;
      truth.push(data.y[run * itemsPerRun + k] as number);
      const base = (i * itemsPerRun + k) * classes;
      for (let c = 0; c < classes; c++) selected.push(probabilities[base + c] as number);
    }
  });
  return { truth: Int32Array.from(truth), probabilities: Float32Array.from(selected) };
}
