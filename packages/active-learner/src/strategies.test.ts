import { createRng } from '@proteus-wf/core';
import { describe, expect, it } from 'vitest';
import type { ExperimentOption } from './experiment-backend.js';
import {
  type JobAnalysis,
  jobUncertainty,
  kCenterGreedy,
  minMaxConfidence,
  perNodeRelative,
  runUncertainty,
  selectExperiments,
} from './strategies.js';

const OPTIONS: ExperimentOption[] = [
  { label: 'normal', anomaly: 'normal', available: 10 },
  { label: 'cpu_2', anomaly: 'cpu', level: 2, available: 10 },
  { label: 'hdd_10', anomaly: 'hdd', level: 10, available: 10 },
];
const JOBS = ['a', 'b', 'c'];

/** Two labelled runs of three jobs; `gradient` per job, GCN-like probabilities [p0, p1]. */
function analysis(gradient: number[], p1: number[], labels: string[]): JobAnalysis {
  const probabilities = new Float32Array(p1.flatMap((p) => [1 - p, p]));
  return {
    nodes: 3,
    jobLabels: labels,
    probabilities,
    groups: 1,
    classes: 2,
    gradientNorm: Float32Array.from(gradient),
    embedding: Float32Array.from(gradient.flatMap((g, i) => [g, i % 3])),
    embeddingWidth: 2,
  };
}

const LABELS = ['normal', 'cpu_2', 'cpu_2', 'normal', 'hdd_10', 'normal'];

describe('jobUncertainty', () => {
  it('computes entropy (normalized), least confidence and margin from the class probabilities', () => {
    const a = analysis([0, 0, 0, 0, 0, 0], [0.5, 0.9, 1, 0.5, 0.9, 1], LABELS);
    const entropy = jobUncertainty(a, 'entropy');
    expect(entropy[0]).toBeCloseTo(1, 6);
    expect(entropy[1]).toBeCloseTo(-(0.9 * Math.log(0.9) + 0.1 * Math.log(0.1)) / Math.log(2), 6);
    expect(entropy[2]).toBeCloseTo(0, 6);
    expect(jobUncertainty(a, 'least-confidence')[1]).toBeCloseTo(0.1, 6);
    expect(jobUncertainty(a, 'margin')[1]).toBeCloseTo(0.2, 6);
    expect(jobUncertainty(a, 'margin')[0]).toBeCloseTo(1, 6);
  });

  it('uses the input-gradient norm for the gradient strategy', () => {
    const a = analysis([3, 1, 2, 0, 5, 4], [0.5, 0.5, 0.5, 0.5, 0.5, 0.5], LABELS);
    expect(Array.from(jobUncertainty(a, 'gradient'))).toEqual([3, 1, 2, 0, 5, 4]);
  });
});

describe('runUncertainty', () => {
  it('reduces each run of 10 jobs to its mean, max or top-tenth mean', () => {
    const u = Float32Array.from([...Array(10).keys(), ...Array(10).fill(1)]);
    expect(Array.from(runUncertainty(u, 10, 'mean'))).toEqual([4.5, 1]);
    expect(Array.from(runUncertainty(u, 10, 'max'))).toEqual([9, 1]);
    expect(Array.from(runUncertainty(u, 10, 'top'))).toEqual([9, 1]);
    expect(Array.from(runUncertainty(Float32Array.from([...Array(20).keys()]), 20, 'top'))).toEqual([18.5]);
  });
});

describe('minMaxConfidence', () => {
  it('maps the largest uncertainty to 0 and the smallest to 1', () => {
    expect(Array.from(minMaxConfidence(Float32Array.of(0, 1, 2)))).toEqual([1, 0.5, 0]);
    expect(Array.from(minMaxConfidence(Float32Array.of(2, 2)))).toEqual([1, 1]);
  });
});

describe('selectExperiments', () => {
  const input = (a?: JobAnalysis) => ({
    workflow: 'wf',
    options: OPTIONS,
    jobNames: JOBS,
    ...(a ? { analysis: a } : {}),
  });

  it('asks for all runs of the least confident anomaly type, with its least confident jobs as hints', () => {
    // hdd_10 has the largest mean gradient (5), cpu_2 1.5, normal (3+0+4)/3.
    const a = analysis([3, 1, 2, 0, 5, 4], [0.5, 0.5, 0.5, 0.5, 0.5, 0.5], LABELS);
    const selection = selectExperiments(input(a), {
      strategy: 'gradient',
      runs: 2,
      rng: createRng(1),
      hints: 2,
      normalize: 'none',
    });
    expect(selection.random).toBe(false);
    expect(selection.requests).toEqual([
      {
        workflow: 'wf',
        anomaly: 'hdd',
        level: 10,
        anomalousWorkers: 1,
        runs: 2,
        hints: { jobs: ['b'], confidence: [0] },
      },
    ]);
    expect(selection.optionConfidence.hdd_10).toBe(0);
    expect(selection.optionConfidence.cpu_2).toBeCloseTo(1 - 1.5 / 5, 6);
  });

  it('ranks types by their runs with aggregate "run": ambiguous normal jobs of a cpu_2 run count for cpu_2', () => {
    // Run 0 is a cpu_2 run whose normal jobs have large gradients; run 1 is a normal run.
    const a = {
      ...analysis(
        [9, 1, 9, 1, 1, 1],
        [0.5, 0.5, 0.5, 0.5, 0.5, 0.5],
        ['normal', 'cpu_2', 'normal', 'normal', 'normal', 'normal'],
      ),
      runLabels: ['cpu_2', 'normal'],
    };
    const options = OPTIONS.slice(0, 2);
    const byJob = selectExperiments(
      { ...input(a), options },
      { strategy: 'gradient', runs: 1, rng: createRng(1), normalize: 'none' },
    );
    expect(byJob.requests[0]?.anomaly).toBe('normal');
    const byRun = selectExperiments(
      { ...input(a), options },
      { strategy: 'gradient', runs: 1, rng: createRng(1), aggregate: 'run', normalize: 'none' },
    );
    expect(byRun.requests[0]).toMatchObject({ anomaly: 'cpu', level: 2 });
  });

  it('normalizes per DAG node by default, so a structurally large auxiliary job does not decide the query', () => {
    // Node 0 (an auxiliary job, always normal) has a gradient of 100 in every run.
    const a = analysis(
      [100, 4, 1, 100, 1, 1],
      [0.5, 0.5, 0.5, 0.5, 0.5, 0.5],
      ['normal', 'cpu_2', 'normal', 'normal', 'hdd_10', 'normal'],
    );
    expect(Array.from(perNodeRelative(a.gradientNorm, 3))).toEqual([1, Math.fround(1.6), 1, 1, Math.fround(0.4), 1]);
    const raw = selectExperiments(input(a), { strategy: 'gradient', runs: 1, rng: createRng(1), normalize: 'none' });
    expect(raw.requests[0]?.anomaly).toBe('normal');
    const relative = selectExperiments(input(a), { strategy: 'gradient', runs: 1, rng: createRng(1) });
    expect(relative.requests[0]).toMatchObject({ anomaly: 'cpu', level: 2 });
  });

  it('ranks types by an external per-option uncertainty when given (pool-based scores)', () => {
    // The labelled runs say cpu_2 (largest gradients); the pool-based scores say hdd_10.
    const a = analysis([1, 9, 9, 1, 1, 1], [0.5, 0.5, 0.5, 0.5, 0.5, 0.5], LABELS);
    const pick = (optionUncertainty?: Record<string, number>) =>
      selectExperiments(
        { ...input(a), ...(optionUncertainty ? { optionUncertainty } : {}) },
        { strategy: 'gradient', runs: 2, rng: createRng(0), normalize: 'none' },
      ).requests.map((r) => [r.anomaly, r.runs]);
    expect(pick()).toEqual([['cpu', 2]]);
    expect(pick({ normal: 0.1, cpu_2: 0.2, hdd_10: 0.9 })).toEqual([['hdd', 2]]);
  });

  it('explores an anomaly type it has never seen before any seen one', () => {
    const a = analysis(
      [3, 1, 2, 0, 5, 4],
      [0.5, 0.5, 0.5, 0.5, 0.5, 0.5],
      ['normal', 'cpu_2', 'cpu_2', 'normal', 'cpu_2', 'normal'],
    );
    const selection = selectExperiments(input(a), { strategy: 'gradient', runs: 1, rng: createRng(1) });
    expect(selection.requests[0]).toMatchObject({ anomaly: 'hdd', level: 10 });
  });

  it('weights the choice by expected runtime when cost-aware', () => {
    const a = analysis([3, 1, 2, 0, 4, 4], [0.5, 0.5, 0.5, 0.5, 0.5, 0.5], LABELS);
    const plain = selectExperiments(input(a), { strategy: 'gradient', runs: 1, rng: createRng(1) });
    expect(plain.requests[0]?.anomaly).toBe('hdd');
    const costly = selectExperiments(
      { ...input(a), durations: { normal: 100, cpu_2: 100, hdd_10: 1000 } },
      { strategy: 'gradient', runs: 1, rng: createRng(1), costWeight: 1 },
    );
    expect(costly.requests[0]?.anomaly).toBe('normal');
  });

  it('queries at random without scores or when told to, in proportion to the runs left', () => {
    const options = [
      { label: 'normal', anomaly: 'normal', available: 0 },
      { label: 'cpu_2', anomaly: 'cpu', level: 2, available: 3 },
    ];
    const selection = selectExperiments(
      { workflow: 'wf', options, jobNames: JOBS },
      { strategy: 'gradient', runs: 3, rng: createRng(5) },
    );
    expect(selection.random).toBe(true);
    expect(selection.requests).toEqual([{ workflow: 'wf', anomaly: 'cpu', level: 2, anomalousWorkers: 1, runs: 3 }]);
  });

  it('spreads a diversity batch over distinct regions of the embedding', () => {
    const a = analysis([3, 1, 2, 0, 5, 4], [0.5, 0.5, 0.5, 0.5, 0.5, 0.5], LABELS);
    const anchors = kCenterGreedy(a, jobUncertainty(a, 'diversity'), 2, () => true);
    expect(anchors[0]).toBe(4);
    expect(new Set(anchors).size).toBe(2);
    const selection = selectExperiments(input(a), { strategy: 'diversity', runs: 2, rng: createRng(1) });
    expect(selection.requests.reduce((n, r) => n + r.runs, 0)).toBe(2);
  });

  it('throws PROTEUS_AL_INVALID_OPTION for an unknown strategy and PROTEUS_AL_POOL_EXHAUSTED with nothing left', () => {
    expect(() =>
      selectExperiments(input(), { strategy: 'magic' as 'random', runs: 1, rng: createRng(1) }),
    ).toThrowError(expect.objectContaining({ code: 'PROTEUS_AL_INVALID_OPTION' }));
    expect(() =>
      selectExperiments(
        { workflow: 'wf', options: [{ label: 'normal', anomaly: 'normal', available: 0 }], jobNames: JOBS },
        { strategy: 'random', runs: 1, rng: createRng(1) },
      ),
    ).toThrowError(expect.objectContaining({ code: 'PROTEUS_AL_POOL_EXHAUSTED' }));
  });
});
