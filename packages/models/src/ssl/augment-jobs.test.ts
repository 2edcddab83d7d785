import { createRng } from '@proteus-wf/core';
import { describe, expect, it } from 'vitest';
import { augmentJobs } from './augment-jobs.js';

describe('augmentJobs', () => {
  const shape = { runs: 40, nodes: 50, features: 3 };
  const x = Float32Array.from({ length: 40 * 50 * 3 }, (_, i) => (i % 97) / 97 + 0.01);

  it('perturbs about `rate` of the jobs in 2:1:1 proportions, flags exactly those, and is seeded', () => {
    const a = augmentJobs(x, shape, createRng(7), { rate: 0.2, factor: 10 });
    const b = augmentJobs(x, shape, createRng(7), { rate: 0.2, factor: 10 });
    expect(a.x).toEqual(b.x);
    const jobs = shape.runs * shape.nodes;
    const flagged = a.augmented.reduce((s, v) => s + v, 0);
    expect(flagged / jobs).toBeGreaterThan(0.17);
    expect(flagged / jobs).toBeLessThan(0.23);
    expect(a.counts.replaced + a.counts.scaledUp + a.counts.scaledDown).toBe(flagged);
    expect(a.counts.replaced / flagged).toBeGreaterThan(0.4);
    expect(a.counts.scaledUp / flagged).toBeGreaterThan(0.18);
    expect(a.counts.scaledDown / flagged).toBeGreaterThan(0.18);
    // Unflagged jobs are untouched; flagged scaled jobs are x*10 or x/10 (the reference divided ~82% of all jobs).
    for (let job = 0; job < jobs; job++) {
      const before = x.subarray(job * 3, job * 3 + 3);
      const after = a.x.subarray(job * 3, job * 3 + 3);
      if (a.augmented[job] === 0) expect(after).toEqual(before);
    }
  });

  it('throws PROTEUS_MODELS_INVALID_INPUT for a shape mismatch or a rate outside [0, 1]', () => {
    expect(() => augmentJobs(new Float32Array(5), shape, createRng(1))).toThrow(
      expect.objectContaining({ code: 'PROTEUS_MODELS_INVALID_INPUT' }),
    );
    expect(() => augmentJobs(x, shape, createRng(1), { rate: 2 })).toThrow(
      expect.objectContaining({ code: 'PROTEUS_MODELS_INVALID_INPUT' }),
    );
  });
});
