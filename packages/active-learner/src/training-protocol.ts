/*
 * How much the loop trains per iteration. `converge` (default) measures data: every iteration trains the warm-started
 * model on the whole labelled set until a validation fold of the labelled runs stops improving, with the same budget
 * rule for every strategy. `fixed` is the paper's protocol (a fixed number of Eq. 6 steps on the newest batch plus a
 * replay draw), kept for comparison: with 10 steps per iteration its curves count optimizer steps, not runs (issue 14).
 */
import { ProteusError } from '@proteus-wf/core';

/** Train to convergence on every labelled run, with patience on a validation fold of the labelled runs. */
export interface ConvergeProtocol {
  kind: 'converge';
  /** Most optimizer steps per iteration (default 150). */
  maxSteps: number;
  /** Fewest steps per iteration before patience may end it (default 20). */
  minSteps: number;
  /** Steps between two looks at the validation loss (default 10). */
  checkEvery: number;
  /** Looks without a better validation loss before the iteration ends; the best weights are kept (default 3). */
  patience: number;
  /** Runs per batch; each step draws its new-batch and memory halves uniformly from the training runs (default 8). */
  batchRuns: number;
  /**
   * Share of the labelled runs in the validation fold (at least one run), once there are `minValidationRuns` of them
   * (default 0.2). The fold rotates every iteration, so the warm-started model has seen every labelled run.
   */
  validationShare: number;
  /** Fewest labelled runs before a fold is held out; below it patience watches the loss on all labelled runs (default 3). */
  minValidationRuns: number;
  /**
   * What patience watches and the kept weights minimise on the watched runs: `rocAuc` (default; 1 - ROC-AUC of the
   * GCN's job scores, the loss when the runs hold one class; the SSL always watches its loss) or `loss` (the
   * class-weighted cross-entropy).
   */
  selectBy: 'rocAuc' | 'loss';
}

/** The paper's update: `steps` Eq. 6 steps on the newest batch plus `memoryRuns` replayed runs. */
export interface FixedStepsProtocol {
  kind: 'fixed';
  steps: number;
  memoryRuns: number;
}

/** A resolved training protocol. */
export type TrainingProtocol = ConvergeProtocol | FixedStepsProtocol;

/** What {@link defineTrainingProtocol} accepts: a kind plus any of its fields. */
export type TrainingProtocolOptions =
  | ({ kind?: 'converge' } & Partial<Omit<ConvergeProtocol, 'kind'>>)
  | ({ kind: 'fixed' } & Partial<Omit<FixedStepsProtocol, 'kind'>>);

const CONVERGE: ConvergeProtocol = {
  kind: 'converge',
  maxSteps: 150,
  minSteps: 20,
  checkEvery: 10,
  patience: 3,
  batchRuns: 8,
  validationShare: 0.2,
  minValidationRuns: 3,
  selectBy: 'rocAuc',
};
const FIXED: FixedStepsProtocol = { kind: 'fixed', steps: 10, memoryRuns: 8 };

function invalid(message: string): ProteusError {
  return new ProteusError('PROTEUS_AL_INVALID_OPTION', `active-learner/defineTrainingProtocol: ${message}`);
}

function positiveInteger(value: number, name: string): number {
  if (!(Number.isInteger(value) && value >= 1)) throw invalid(`${name} must be an integer >= 1, got ${String(value)}`);
  return value;
}

/**
 * Resolves a training protocol with its defaults (`converge` unless `kind: 'fixed'`).
 * @example defineTrainingProtocol({ maxSteps: 200 }) // { kind: 'converge', maxSteps: 150, patience: 3, ... }
 * @throws ProteusError PROTEUS_AL_INVALID_OPTION for an unknown kind or a bad count or share
 */
export function defineTrainingProtocol(options: TrainingProtocolOptions = {}): TrainingProtocol {
  const kind = options.kind ?? 'converge';
  if (kind === 'fixed') {
    const o = options as Partial<FixedStepsProtocol>;
    return {
      kind,
      steps: positiveInteger(o.steps ?? FIXED.steps, 'steps'),
      memoryRuns: positiveInteger(o.memoryRuns ?? FIXED.memoryRuns, 'memoryRuns'),
    };
  }
  if (kind !== 'converge') throw invalid(`kind must be "converge" or "fixed", got ${JSON.stringify(kind)}`);
  const o = options as Partial<ConvergeProtocol>;
  const resolved: ConvergeProtocol = {
    kind,
    maxSteps: positiveInteger(o.maxSteps ?? CONVERGE.maxSteps, 'maxSteps'),
    minSteps: positiveInteger(o.minSteps ?? CONVERGE.minSteps, 'minSteps'),
    checkEvery: positiveInteger(o.checkEvery ?? CONVERGE.checkEvery, 'checkEvery'),
    patience: positiveInteger(o.patience ?? CONVERGE.patience, 'patience'),
    batchRuns: positiveInteger(o.batchRuns ?? CONVERGE.batchRuns, 'batchRuns'),
    validationShare: o.validationShare ?? CONVERGE.validationShare,
    minValidationRuns: positiveInteger(o.minValidationRuns ?? CONVERGE.minValidationRuns, 'minValidationRuns'),
    selectBy: o.selectBy ?? CONVERGE.selectBy,
  };
  if (resolved.selectBy !== 'rocAuc' && resolved.selectBy !== 'loss')
    throw invalid(`selectBy must be "rocAuc" or "loss", got ${JSON.stringify(resolved.selectBy)}`);
  if (!(resolved.validationShare > 0 && resolved.validationShare < 1))
    throw invalid(`validationShare must be in (0, 1), got ${String(resolved.validationShare)}`);
  if (resolved.minSteps > resolved.maxSteps)
    throw invalid(`minSteps (${resolved.minSteps}) must not exceed maxSteps (${resolved.maxSteps})`);
  return resolved;
}
