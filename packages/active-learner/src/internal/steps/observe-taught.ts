/* The bandit's observation step: what each new run teaches, measured before the model is trained on it. */
import type { LabelledRuns } from '../../experiment-backend.js';
import { type BanditObservation, type OptionBandit, surprise } from '../../option-bandit.js';
import { batchOf, type LabelledSet } from '../labelled-set.js';
import type { LearnerModel } from '../learner-model.js';

/**
 * Scores the fresh runs with the model that has not seen them and records what each taught in the bandit. Under a
 * task (graph level or multiclass) a run teaches its class-balanced mean of 1 - p(true class) over its jobs (or of
 * the run), the multiclass form of `surprise`: a binary surprise would call a run of a well-detected but misdiagnosed
 * anomaly uninformative.
 */
export async function observeTaught(
  model: LearnerModel,
  bandit: OptionBandit,
  runs: LabelledRuns,
  fresh: readonly number[],
  set: LabelledSet,
  nodes: number,
  features: number,
): Promise<BanditObservation[]> {
  const batch = batchOf(set, fresh, nodes, features);
  const { score, classProbabilities } = await model.predict(batch);
  const classes = batch.classes;
  const perRun = classes ? classes.length / fresh.length : 0;
  const observations = fresh.map((run, r) => ({
    key: runs.optionKeys?.[r] ?? (runs.labels[r] as string),
    taught:
      classes && classProbabilities
        ? classSurprise(
            classProbabilities.subarray(
              r * perRun * model.definition.classes,
              (r + 1) * perRun * model.definition.classes,
            ),
            classes.subarray(r * perRun, (r + 1) * perRun),
            model.definition.classes,
          )
        : surprise(score.subarray(r * nodes, (r + 1) * nodes), set.jobBinary[run] as Uint8Array),
    seconds: runs.durations[r] ?? 0,
  }));
  for (const observation of observations) bandit.observe(observation);
  return observations;
}

/** Mean over the classes present of the mean 1 - p(true class) of their items, in [0, 1]. */
function classSurprise(probabilities: Float32Array, classes: Int32Array, k: number): number {
  const sums = new Map<number, [number, number]>();
  classes.forEach((c, i) => {
    const s = sums.get(c) ?? [0, 0];
    s[0] += 1 - (probabilities[i * k + c] as number);
    s[1]++;
    sums.set(c, s);
  });
  const parts = [...sums.values()].map(([sum, count]) => sum / count);
  return parts.reduce((a, b) => a + b, 0) / Math.max(1, parts.length);
}
