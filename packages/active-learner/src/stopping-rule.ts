/*
 * When to stop acquiring runs, without test labels: stabilising predictions (Bloodgood & Vijay-Shanker, CoNLL 2009).
 * After every iteration the model flags the jobs of a fixed stop set (unlabelled pool runs when the backend lists
 * candidates, else the runs labelled before the iteration, their labels unused); the loop stops once Cohen's kappa
 * between successive models' flags has stayed at or above `agreement` for `window` iterations and at least `minRuns`
 * runs are labelled.
 */
import { ProteusError } from '@proteus-wf/core';

/** The stopping rules: `stable-predictions` (default) or `never` (spend the whole budget). */
export const STOPPING_RULES = ['stable-predictions', 'never'] as const;
/** A stopping rule's name. */
export type StoppingRuleName = (typeof STOPPING_RULES)[number];

/** A resolved stopping rule. */
export interface StoppingRule {
  rule: StoppingRuleName;
  /** Cohen's kappa between successive models' job flags that counts as stable (default 0.9). */
  agreement: number;
  /** Consecutive stable iterations before stopping (default 3). */
  window: number;
  /** Fewest labelled runs before the rule may stop (default 6). */
  minRuns: number;
  /** Unlabelled pool runs in the stop set when the backend lists candidates (default 32). */
  stopSetRuns: number;
  /**
   * `stop` ends the loop; `record` notes where it would stop and goes on to the budget (the emulation, whose curves
   * past the stop measure what stopping cost).
   */
  onStop: 'stop' | 'record';
}

/** What {@link defineStoppingRule} accepts. */
export type StoppingOptions = Partial<StoppingRule>;

/** The rule's verdict after one iteration. */
export interface StopDecision {
  stop: boolean;
  /** Consecutive stable iterations so far. */
  stable: number;
  /** Why it stopped, in words (empty while it goes on). */
  reason: string;
}

const DEFAULTS: StoppingRule = {
  rule: 'stable-predictions',
  agreement: 0.9,
  window: 3,
  minRuns: 6,
  stopSetRuns: 32,
  onStop: 'stop',
};

function invalid(message: string): ProteusError {
  return new ProteusError('PROTEUS_AL_INVALID_OPTION', `active-learner/defineStoppingRule: ${message}`);
}

/**
 * Resolves a stopping rule with its defaults.
 * @example defineStoppingRule({ rule: 'never' })
 * @throws ProteusError PROTEUS_AL_INVALID_OPTION for an unknown rule, an agreement outside (0, 1] or a bad count
 */
export function defineStoppingRule(options: StoppingOptions = {}): StoppingRule {
  const rule = { ...DEFAULTS, ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) };
  if (!STOPPING_RULES.includes(rule.rule))
    throw invalid(`unknown rule ${JSON.stringify(rule.rule)}; choose one of ${STOPPING_RULES.join(', ')}`);
  if (!(rule.agreement > 0 && rule.agreement <= 1))
    throw invalid(`agreement must be in (0, 1], got ${String(rule.agreement)}`);
  for (const key of ['window', 'minRuns', 'stopSetRuns'] as const) {
    if (!(Number.isInteger(rule[key]) && rule[key] >= 1))
      throw invalid(`${key} must be an integer >= 1, got ${String(rule[key])}`);
  }
  if (rule.onStop !== 'stop' && rule.onStop !== 'record')
    throw invalid(`onStop must be "stop" or "record", got ${JSON.stringify(rule.onStop)}`);
  return rule;
}

/**
 * Cohen's kappa of two binary labelings of the same items (1 when they are identical, also when chance agreement is 1).
 * @example cohenKappa(Uint8Array.of(1, 0, 1, 0), Uint8Array.of(1, 0, 0, 0)) // 0.5
 * @throws ProteusError PROTEUS_AL_INVALID_OPTION for labelings of different lengths or none
 */
export function cohenKappa(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length || a.length === 0)
    throw new ProteusError(
      'PROTEUS_AL_INVALID_OPTION',
      `active-learner/cohenKappa: need two labelings of equal, non-zero length, got ${a.length} and ${b.length}`,
    );
  let agree = 0;
  let onesA = 0;
  let onesB = 0;
  for (let i = 0; i < a.length; i++) {
    const x = (a[i] as number) > 0;
    const y = (b[i] as number) > 0;
    if (x === y) agree++;
    if (x) onesA++;
    if (y) onesB++;
  }
  const n = a.length;
  const observed = agree / n;
  const chance = (onesA / n) * (onesB / n) + (1 - onesA / n) * (1 - onesB / n);
  if (chance >= 1) return observed === 1 ? 1 : 0;
  return (observed - chance) / (1 - chance);
}

/**
 * Applies the rule to one iteration's agreement (null when there was no earlier model to agree with).
 * @example decideStop(defineStoppingRule(), { agreement: 0.97, stable: 2, runs: 12, stopSetRuns: 32 })
 */
export function decideStop(
  rule: StoppingRule,
  state: { agreement: number | null; stable: number; runs: number; stopSetRuns: number; stopSetKind?: string },
): StopDecision {
  if (rule.rule === 'never') return { stop: false, stable: 0, reason: '' };
  const stable = state.agreement !== null && state.agreement >= rule.agreement ? state.stable + 1 : 0;
  const stop = stable >= rule.window && state.runs >= rule.minRuns;
  const reason = stop
    ? `stable predictions: successive models agreed (Cohen's kappa >= ${rule.agreement}) on the jobs of ${state.stopSetRuns} ${state.stopSetKind ?? 'stop-set'} runs for ${stable} iterations (last ${(state.agreement ?? 0).toFixed(3)}), ${state.runs} runs labelled`
    : '';
  return { stop, stable, reason };
}
