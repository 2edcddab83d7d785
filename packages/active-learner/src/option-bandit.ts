/*
 * A bandit over experiment options: an option is worth what a NEW run of it is expected to teach, per expected
 * testbed-second, estimated from what its last runs taught when they arrived (before the model was trained on them),
 * with an upper-confidence bonus for options run rarely.
 * Reference: Auer et al., "Finite-time Analysis of the Multiarmed Bandit Problem" (2002), UCB1; Hsu & Lin,
 * "Active Learning by Learning" (AAAI 2015): choose among query options by the reward each brought.
 */
import { ProteusError } from '@proteus-wf/core';
import type { ExperimentOption } from './experiment-backend.js';
import { optionKey } from './strategies.js';

/** One observation: a run of an option, what it taught and what it cost. */
export interface BanditObservation {
  key: string;
  /** What the run taught, >= 0 (see `surprise`). */
  taught: number;
  /** Its wall time in seconds (0 = unknown). */
  seconds: number;
}

/** Options of {@link createOptionBandit}. */
export interface OptionBanditOptions {
  /** Observations kept per option: its last runs (default 3); older runs were taught to an older model. */
  window?: number;
  /** Weight of the exploration bonus (default 0.5). */
  exploration?: number;
  /** Divide by (expected seconds / mean seconds)^costWeight (default 1: value per testbed-second). */
  costWeight?: number;
}

/** A bandit over options; `values` feeds `selectExperiments`' `optionUncertainty`. */
export interface OptionBandit {
  observe(observation: BanditObservation): void;
  /** Value per option key: recent mean taught + exploration bonus, per expected second. */
  values(options: readonly ExperimentOption[]): Record<string, number>;
  save(): BanditObservation[];
  restore(state: unknown): void;
}

const DEFAULTS = { window: 3, exploration: 0.5, costWeight: 1 };

/**
 * Creates the bandit.
 * @example
 * const bandit = createOptionBandit();
 * bandit.observe({ key: 'cpu_2@many', taught: surprise(scores, labels), seconds: 412 });
 * selectExperiments({ ...input, optionUncertainty: bandit.values(backend.options()) }, { strategy: 'bandit', runs, rng });
 * @throws ProteusError PROTEUS_AL_INVALID_OPTION for a window < 1 or a negative weight
 */
export function createOptionBandit(options: OptionBanditOptions = {}): OptionBandit {
  const window = options.window ?? DEFAULTS.window;
  const exploration = options.exploration ?? DEFAULTS.exploration;
  const costWeight = options.costWeight ?? DEFAULTS.costWeight;
  if (!(Number.isInteger(window) && window >= 1) || !(exploration >= 0) || !(costWeight >= 0)) {
    throw new ProteusError(
      'PROTEUS_AL_INVALID_OPTION',
      `active-learner/createOptionBandit: window must be an integer >= 1 and the weights >= 0, got ${window}, ${exploration}, ${costWeight}`,
    );
  }
  let history: BanditObservation[] = [];
  const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : undefined);
  return {
    observe(observation) {
      if (!(observation.taught >= 0) || !Number.isFinite(observation.taught)) return;
      history.push({ ...observation });
    },
    values(list) {
      const total = history.length;
      const everything = mean(history.map((o) => o.taught)) ?? 1;
      const secondsOf = (key: string, label: string, fallback?: number) =>
        mean(history.filter((o) => o.key === key && o.seconds > 0).map((o) => o.seconds)) ??
        fallback ??
        mean(history.filter((o) => o.key.split('@')[0] === label && o.seconds > 0).map((o) => o.seconds));
      const seconds = list.map((o) => secondsOf(optionKey(o), o.label, o.expectedSeconds) ?? 0);
      const known = seconds.filter((s) => s > 0);
      const meanSeconds = mean(known) ?? 0;
      const out: Record<string, number> = {};
      list.forEach((option, i) => {
        const key = optionKey(option);
        const own = history.filter((o) => o.key === key).slice(-window);
        const label = history.filter((o) => o.key.split('@')[0] === option.label).slice(-window);
        // Never run: borrow the label's runs, else the mean of all; the bonus is largest for n = 0.
        const estimate = mean(own.map((o) => o.taught)) ?? mean(label.map((o) => o.taught)) ?? everything;
        const bonus = exploration * everything * Math.sqrt(Math.log(total + 1) / (own.length + 1));
        const cost = seconds[i] as number;
        const relative = costWeight > 0 && meanSeconds > 0 && cost > 0 ? (cost / meanSeconds) ** costWeight : 1;
        out[key] = (estimate + bonus) / relative;
      });
      return out;
    },
    save() {
      return history.map((o) => ({ ...o }));
    },
    restore(state) {
      if (
        !Array.isArray(state) ||
        state.some((o) => typeof o?.key !== 'string' || typeof o?.taught !== 'number' || typeof o?.seconds !== 'number')
      ) {
        throw new ProteusError(
          'PROTEUS_AL_CHECKPOINT_INVALID',
          'active-learner/createOptionBandit.restore: the saved bandit is not a list of { key, taught, seconds }',
        );
      }
      history = state.map((o: BanditObservation) => ({ key: o.key, taught: o.taught, seconds: o.seconds }));
    },
  };
}

/**
 * What a labelled run taught the model that had not seen it: the class-balanced mean absolute error of the model's
 * job scores on the run before training on it (mean over the classes present of mean |p - y|), in [0, 1].
 * @example surprise(Float32Array.of(0.9, 0.2), Uint8Array.of(0, 1)) // (0.9 + 0.8) / 2
 */
export function surprise(scores: Float32Array, labels: Uint8Array): number {
  const sums = [0, 0];
  const counts = [0, 0];
  labels.forEach((y, j) => {
    const p = scores[j] as number;
    sums[y] = (sums[y] as number) + Math.abs(p - y);
    counts[y] = (counts[y] as number) + 1;
  });
  const parts = [0, 1].filter((c) => (counts[c] as number) > 0).map((c) => (sums[c] as number) / (counts[c] as number));
  return parts.length ? parts.reduce((a, b) => a + b, 0) / parts.length : 0;
}
