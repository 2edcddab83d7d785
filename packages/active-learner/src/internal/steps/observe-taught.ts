/* The bandit's observation step: what each new run teaches, measured before the model is trained on it. */
import type { LabelledRuns } from '../../experiment-backend.js';
import { type BanditObservation, type OptionBandit, surprise } from '../../option-bandit.js';
import { batchOf, type LabelledSet } from '../labelled-set.js';
import type { LearnerModel } from '../learner-model.js';

/** Scores the fresh runs with the model that has not seen them and records what each taught in the bandit. */
export async function observeTaught(
  model: LearnerModel,
  bandit: OptionBandit,
  runs: LabelledRuns,
  fresh: readonly number[],
  set: LabelledSet,
  nodes: number,
  features: number,
): Promise<BanditObservation[]> {
  const before = await model.score(batchOf(set, fresh, nodes, features));
  const observations = fresh.map((run, r) => ({
    key: runs.optionKeys?.[r] ?? (runs.labels[r] as string),
    taught: surprise(before.subarray(r * nodes, (r + 1) * nodes), set.jobBinary[run] as Uint8Array),
    seconds: runs.durations[r] ?? 0,
  }));
  for (const observation of observations) bandit.observe(observation);
  return observations;
}
