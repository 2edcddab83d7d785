import { ProteusError } from '@proteus-wf/core';

/** A test on a numeric option and the words that name it in the error (`lr must be a positive number`). */
export interface NumberRule {
  test: (value: number) => boolean;
  rule: string;
}

/** The numeric rules the training entry points share. */
export const NUMBER_RULES = {
  positive: { test: (v) => v > 0 && Number.isFinite(v), rule: 'a positive number' },
  nonNegative: { test: (v) => v >= 0 && Number.isFinite(v), rule: 'a number >= 0' },
  belowOne: { test: (v) => v >= 0 && v < 1, rule: 'in [0, 1)' },
  seed: { test: Number.isSafeInteger, rule: 'an integer' },
} satisfies Record<string, NumberRule>;

/** The rule of an integer option with a lower bound (`epochs`, `batchSize`, `hidden`, ...). */
export function integerAtLeast(min: number): NumberRule {
  return { test: (v) => Number.isInteger(v) && v >= min, rule: `an integer >= ${min}` };
}

/** The error of an option that breaks its rule: `${where}: ${what}.` */
export function invalidOption(where: string, what: string): ProteusError {
  return new ProteusError('PROTEUS_MODELS_INVALID_OPTION', `${where}: ${what}.`);
}

/**
 * Returns `value` when it is a number that passes `rule`.
 * @throws ProteusError PROTEUS_MODELS_INVALID_OPTION naming `key`, the rule and what was received
 */
export function checkNumberOption(where: string, key: string, value: unknown, { test, rule }: NumberRule): number {
  if (typeof value !== 'number' || !test(value))
    throw invalidOption(where, `${key} must be ${rule}, got ${String(value)}`);
  return value;
}
