import { describe, expect, it } from 'vitest';
import { aggregateJobScores, defaultTopK, runLabelsFromJobs } from './aggregate-job-scores.js';
import { rocAuc } from './roc-auc.js';

describe('aggregateJobScores', () => {
  const scores = [0.1, 0.9, 0.2, 0.4, 0.3, 0.2, 0.0, 0.1, 0.6];

  it('averages the k highest job scores of each run (top-k mean, the default)', () => {
    expect(Array.from(aggregateJobScores(scores, 3, { k: 2 }))).toEqual([
      (0.9 + 0.2) / 2,
      (0.4 + 0.3) / 2,
      (0.6 + 0.1) / 2,
    ]);
    // default k = ceil(0.1 * 3) = 1
    expect(Array.from(aggregateJobScores(scores, 3))).toEqual([0.9, 0.4, 0.6]);
  });

  it('offers the maximum and the mean', () => {
    expect(Array.from(aggregateJobScores(scores, 3, { method: 'max' }))).toEqual([0.9, 0.4, 0.6]);
    const mean = aggregateJobScores(scores, 3, { method: 'mean' });
    expect(mean[0]).toBeCloseTo(0.4, 12);
    expect(mean[1]).toBeCloseTo(0.3, 12);
    expect(mean[2]).toBeCloseTo(0.7 / 3, 12);
  });

  it('does not depend on the order of jobs within a run', () => {
    const shuffled = [0.2, 0.1, 0.9, 0.2, 0.4, 0.3, 0.6, 0.0, 0.1];
    expect(Array.from(aggregateJobScores(shuffled, 3, { k: 2 }))).toEqual(
      Array.from(aggregateJobScores(scores, 3, { k: 2 })),
    );
  });

  it('ranks runs so that a run-level ROC-AUC follows from job scores', () => {
    // run 0 and 2 hold one clearly anomalous job; run 1 is normal but has the highest mean score
    const jobs = [0.0, 0.0, 0.95, 0.5, 0.5, 0.5, 0.9, 0.0, 0.0];
    const truth = runLabelsFromJobs([0, 0, 1, 0, 0, 0, 1, 0, 0], 3);
    expect(Array.from(truth)).toEqual([1, 0, 1]);
    expect(rocAuc(truth, aggregateJobScores(jobs, 3, { k: 1 }))).toBe(1);
    expect(rocAuc(truth, aggregateJobScores(jobs, 3, { method: 'mean' }))).toBe(0);
  });

  it('uses k = ceil(10% of the jobs), at least 1', () => {
    expect(defaultTopK(1)).toBe(1);
    expect(defaultTopK(12)).toBe(2);
    expect(defaultTopK(137)).toBe(14);
  });

  it.each([
    [[0.1, 0.2, 0.3], 2, {}, 'PROTEUS_MODELS_METRIC_LENGTH'],
    [[], 2, {}, 'PROTEUS_MODELS_METRIC_LENGTH'],
    [[0.1, 0.2], 2, { k: 3 }, 'PROTEUS_MODELS_METRIC_K'],
    [[0.1, 0.2], 2, { k: 0.5 }, 'PROTEUS_MODELS_METRIC_K'],
    [[0.1, Number.NaN], 2, {}, 'PROTEUS_MODELS_METRIC_NAN'],
    [[0.1, 0.2], 0, {}, 'PROTEUS_MODELS_INVALID_OPTION'],
    [[0.1, 0.2], 2, { method: 'median' }, 'PROTEUS_MODELS_INVALID_OPTION'],
  ])('throws for bad input %#', (values, jobsPerRun, options, code) => {
    expect(() => aggregateJobScores(values, jobsPerRun, options as never)).toThrow(expect.objectContaining({ code }));
  });
});

describe('runLabelsFromJobs', () => {
  it('throws PROTEUS_MODELS_METRIC_LENGTH for a partial run', () => {
    expect(() => runLabelsFromJobs([0, 1, 0], 2)).toThrow(
      expect.objectContaining({ code: 'PROTEUS_MODELS_METRIC_LENGTH' }),
    );
  });
});
