/*
 * The update step: train the model on the labelled runs under the training protocol. `converge` trains the warm
 * model on every labelled run (uniform draws, the newest batch weighs like any other) until the loss on a rotating
 * validation fold stops improving, and keeps the best weights; `fixed` is the paper's `steps` Eq. 6 steps.
 */
import { type Rng, throwIfAborted } from '@proteus-wf/core';
import { rocAuc } from '@proteus-wf/models';
import type { TrainingProtocol } from '../../training-protocol.js';
import {
  balancedClassWeights,
  balancedWeights,
  batchOf,
  classesOf,
  EVAL_BATCH,
  type LabelledSet,
} from '../labelled-set.js';
import type { LearnerModel, UpdateLosses } from '../learner-model.js';

/** What an update did. */
export interface UpdateOutcome {
  /** Mean over the steps. */
  losses: UpdateLosses;
  steps: number;
  /** Runs in the validation fold (0: patience watched the loss on every labelled run). */
  validationRuns: number;
  /** Best loss on the watched runs (converge only). */
  validationLoss?: number;
}

interface UpdateContext {
  protocol: TrainingProtocol;
  iteration: number;
  /** Indices of the runs acquired this iteration. */
  fresh: readonly number[];
  classWeights: 'none' | 'balanced';
  nodes: number;
  features: number;
  rng: Rng;
  signal?: AbortSignal;
}

const WHERE = 'active-learner/runActiveLearning';

/** Trains `model` on `set` by the protocol of `context`. */
export async function updateModel(
  model: LearnerModel,
  set: LabelledSet,
  context: UpdateContext,
): Promise<UpdateOutcome> {
  return context.protocol.kind === 'fixed'
    ? updateFixed(model, set, context)
    : updateToConvergence(model, set, context);
}

async function updateFixed(model: LearnerModel, set: LabelledSet, c: UpdateContext): Promise<UpdateOutcome> {
  if (c.protocol.kind !== 'fixed') throw new TypeError('fixed protocol expected');
  const { nodes, features, rng } = c;
  const freshSet = new Set(c.fresh);
  const memory = set.runIds.map((_, i) => i).filter((i) => !freshSet.has(i));
  const weight =
    c.classWeights === 'balanced'
      ? classWeightsOf(
          set,
          set.runIds.map((_, i) => i),
        )
      : undefined;
  const newBatch = { ...batchOf(set, c.fresh, nodes, features), ...(weight ? { classWeight: weight } : {}) };
  const losses: UpdateLosses[] = [];
  for (let step = 0; step < c.protocol.steps; step++) {
    throwIfAborted(c.signal, WHERE);
    const drawn =
      memory.length === 0 ? [...c.fresh] : rng.sample(memory, Math.min(c.protocol.memoryRuns, memory.length));
    const memoryBatch = batchOf(set, drawn, nodes, features);
    if (weight) memoryBatch.classWeight = weight;
    losses.push(await model.update(newBatch, memoryBatch, rng));
  }
  return { losses: meanLosses(losses), steps: losses.length, validationRuns: 0 };
}

async function updateToConvergence(model: LearnerModel, set: LabelledSet, c: UpdateContext): Promise<UpdateOutcome> {
  const p = c.protocol;
  if (p.kind !== 'converge') throw new TypeError('converge protocol expected');
  const { nodes, features, rng } = c;
  const all = set.runIds.map((_, i) => i);
  const fold = validationFold(all.length, c.iteration, p.validationShare, p.minValidationRuns);
  const inFold = new Set(fold);
  const train = all.filter((i) => !inFold.has(i));
  const watched = fold.length > 0 ? fold : train;
  const weight = c.classWeights === 'balanced' ? classWeightsOf(set, train) : undefined;
  const draw = () => {
    const batch = batchOf(set, rng.sample(train, Math.min(p.batchRuns, train.length)), nodes, features);
    if (weight) batch.classWeight = weight;
    return batch;
  };
  // A task with class targets (graph level, multiclass) keeps its class-weighted loss; job-level binary ranks.
  const watchedLoss = () =>
    p.selectBy === 'rocAuc' && model.definition.kind === 'gcn' && !set.task
      ? rankLossOn(model, set, watched, nodes, features, weight)
      : lossOn(model, set, watched, nodes, features, weight);
  // The best of the looks, not the start: every iteration takes its new runs in.
  let best = { loss: Number.POSITIVE_INFINITY, state: model.saveState() };
  let stale = 0;
  const losses: UpdateLosses[] = [];
  for (let step = 1; step <= p.maxSteps; step++) {
    throwIfAborted(c.signal, WHERE);
    losses.push(await model.update(draw(), draw(), rng));
    if (step % p.checkEvery !== 0) continue;
    const loss = await watchedLoss();
    if (!Number.isFinite(best.loss) || loss < best.loss - 1e-4 * Math.abs(best.loss)) {
      best = { loss, state: model.saveState() };
      stale = 0;
    } else if (++stale >= p.patience && step >= p.minSteps) break;
  }
  if (Number.isFinite(best.loss)) model.loadState(best.state);
  return {
    losses: meanLosses(losses),
    steps: losses.length,
    validationRuns: fold.length,
    ...(Number.isFinite(best.loss) ? { validationLoss: best.loss } : {}),
  };
}

/** Balanced class weights over the given labelled runs: of the task's classes, else of the binary job labels. */
function classWeightsOf(set: LabelledSet, runs: readonly number[]): number[] {
  const task = set.task;
  if (!task) return balancedWeights(runs.map((i) => set.jobBinary[i] as Uint8Array));
  return balancedClassWeights(
    runs.map((i) => classesOf(set, [i], task)),
    task.classes.length,
  );
}

/**
 * The rotating fold: `round(share * runs)` (at least 1) consecutive labelled runs, starting one fold further every
 * iteration; none below `minRuns` runs.
 */
export function validationFold(runs: number, iteration: number, share: number, minRuns: number): number[] {
  if (runs < minRuns) return [];
  const size = Math.max(1, Math.round(share * runs));
  const start = (iteration * size) % runs;
  return Array.from({ length: size }, (_, j) => (start + j) % runs).sort((a, b) => a - b);
}

/**
 * The model's loss on labelled runs without updating: the class-weighted cross-entropy of the GCN's job
 * probabilities, the SSL's mean reconstruction error (its score).
 */
async function lossOn(
  model: LearnerModel,
  set: LabelledSet,
  runs: readonly number[],
  nodes: number,
  features: number,
  weight: readonly number[] | undefined,
): Promise<number> {
  let sum = 0;
  let count = 0;
  for (let start = 0; start < runs.length; start += EVAL_BATCH) {
    const batch = batchOf(set, runs.slice(start, start + EVAL_BATCH), nodes, features);
    if (batch.classes) {
      // The task's class targets: the class-weighted cross-entropy of the class probabilities.
      const p = (await model.predict(batch)).classProbabilities as Float32Array;
      const k = p.length / batch.classes.length;
      batch.classes.forEach((c, i) => {
        sum -= (weight?.[c] ?? 1) * Math.log(Math.max(1e-7, p[i * k + c] as number));
        count++;
      });
      continue;
    }
    const scores = await model.score(batch);
    for (let j = 0; j < scores.length; j++) {
      const s = scores[j] as number;
      if (model.definition.kind === 'ssl') sum += s;
      else {
        const positive = (batch.jobBinary[j] as number) > 0;
        const p = Math.min(1 - 1e-7, Math.max(1e-7, s));
        sum += positive ? -(weight?.[1] ?? 1) * Math.log(p) : -(weight?.[0] ?? 1) * Math.log(1 - p);
      }
      count++;
    }
  }
  return sum / Math.max(1, count);
}

/**
 * 1 - ROC-AUC of the model's job scores on labelled runs (what the evaluation measures); the weighted loss when the
 * runs hold one class only.
 */
async function rankLossOn(
  model: LearnerModel,
  set: LabelledSet,
  runs: readonly number[],
  nodes: number,
  features: number,
  weight: readonly number[] | undefined,
): Promise<number> {
  const labels = runs.flatMap((i) => [...(set.jobBinary[i] as Uint8Array)]);
  const positives = labels.filter((b) => b > 0).length;
  if (positives === 0 || positives === labels.length) return lossOn(model, set, runs, nodes, features, weight);
  const scores: number[] = [];
  for (let start = 0; start < runs.length; start += EVAL_BATCH)
    scores.push(...(await model.score(batchOf(set, runs.slice(start, start + EVAL_BATCH), nodes, features))));
  return 1 - rocAuc(Uint8Array.from(labels), Float32Array.from(scores));
}

export function meanLosses(all: readonly UpdateLosses[]): UpdateLosses {
  const keys = ['h', 'newBatch', 'memory', 'finiteDifference', 'inputSensitivity'] as const;
  const out = { h: 0, newBatch: 0, memory: 0, finiteDifference: 0, inputSensitivity: 0 };
  for (const key of keys) out[key] = all.reduce((s, l) => s + l[key], 0) / Math.max(1, all.length);
  return out;
}
