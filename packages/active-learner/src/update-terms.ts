import { ProteusError } from '@proteus-wf/core';
import type { ResolvedUpdateTerms } from './internal/learner-model.js';

/** The Eq. 6 terms of the update, each switchable (the paper's ablation, Figs. 9-10). */
export interface UpdateTermsOptions {
  /** Weight of term 1, J on the new batch plus the replay-memory batch (default 1). */
  beta?: number;
  /** Term 2, J_M(w + dw) - J_M(w) after one inner SGD step on the new batch; `false` drops it (default on). */
  finiteDifference?: boolean | { weight?: number; innerLr?: number };
  /** Term 3, J_M at inputs moved one normalized gradient-ascent step; `false` drops it (default on). */
  inputSensitivity?: boolean | { weight?: number; epsilon?: number };
}

export type { ResolvedUpdateTerms };

const DEFAULTS = {
  beta: 1,
  finiteDifference: { weight: 1, innerLr: 0.01 },
  inputSensitivity: { weight: 1, epsilon: 0.05 },
};

function nonNegative(value: number, what: string): number {
  if (!(Number.isFinite(value) && value >= 0)) {
    throw new ProteusError(
      'PROTEUS_AL_INVALID_OPTION',
      `active-learner/defineUpdateTerms: ${what} must be a finite number >= 0, got ${String(value)}`,
    );
  }
  return value;
}

/**
 * Validates the Eq. 6 term switches and fills their defaults (beta 1; inner lr 0.01; ascent step 0.05 on min-max
 * scaled features; both extra terms weighted 1).
 * @example defineUpdateTerms({ inputSensitivity: false }) // the "without the third term" ablation
 * @throws ProteusError PROTEUS_AL_INVALID_OPTION for a negative or non-finite weight, step or learning rate
 */
export function defineUpdateTerms(options: UpdateTermsOptions = {}): ResolvedUpdateTerms {
  const fd = options.finiteDifference ?? true;
  const is = options.inputSensitivity ?? true;
  const fdOptions = typeof fd === 'object' ? fd : {};
  const isOptions = typeof is === 'object' ? is : {};
  return {
    beta: nonNegative(options.beta ?? DEFAULTS.beta, 'beta'),
    finiteDifference: {
      enabled: fd !== false,
      weight: nonNegative(fdOptions.weight ?? DEFAULTS.finiteDifference.weight, 'finiteDifference.weight'),
      innerLr: nonNegative(fdOptions.innerLr ?? DEFAULTS.finiteDifference.innerLr, 'finiteDifference.innerLr'),
    },
    inputSensitivity: {
      enabled: is !== false,
      weight: nonNegative(isOptions.weight ?? DEFAULTS.inputSensitivity.weight, 'inputSensitivity.weight'),
      epsilon: nonNegative(isOptions.epsilon ?? DEFAULTS.inputSensitivity.epsilon, 'inputSensitivity.epsilon'),
    },
  };
}
