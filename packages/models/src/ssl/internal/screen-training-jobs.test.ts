import { describe, expect, it } from 'vitest';
import { screenTrainingJobs } from './screen-training-jobs.js';

// 10 runs x 3 jobs x 2 features, jobs around 0.5 with a little (tie-free) spread; run 7's job 1 is far off.
function makeRuns(): Float32Array {
  const x = Float32Array.from({ length: 10 * 3 * 2 }, (_, i) => 0.5 + 0.01 * Math.sin(i * 12.9898));
  x[(7 * 3 + 1) * 2] = 0.95;
  return x;
}

describe('screenTrainingJobs', () => {
  const runs = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];

  it('leaves the jobs with the largest per-job z-score norm out (weight 0), the rest in', () => {
    const { jobWeight } = screenTrainingJobs(makeRuns(), runs, 3, 2, { screen: 0.02, screenBy: 'job' });
    expect(jobWeight).toBeDefined();
    const dropped = Array.from(jobWeight as Float32Array).flatMap((w, i) => (w === 0 ? [i] : []));
    expect(dropped).toEqual([7 * 3 + 1]);
  });

  it('drops the training runs whose top jobs look least normal (screenBy run)', () => {
    const { runs: kept } = screenTrainingJobs(makeRuns(), runs, 3, 2, { screen: 0.1, screenBy: 'run' });
    expect(kept).toEqual([0, 1, 2, 3, 4, 5, 6, 8, 9]);
  });

  it('only looks at the training runs it is given', () => {
    const trainOnly = [0, 1, 2, 3, 4, 5];
    const { jobWeight } = screenTrainingJobs(makeRuns(), trainOnly, 3, 2, { screen: 0.05, screenBy: 'job' });
    // run 7 is not a training run: its weights stay 0 (never used), and one of the 18 training jobs is dropped
    const weights = jobWeight as Float32Array;
    expect(weights.subarray(0, 18).reduce((a, b) => a + b, 0)).toBe(17);
    expect(weights.subarray(18).every((w) => w === 0)).toBe(true);
  });
});
