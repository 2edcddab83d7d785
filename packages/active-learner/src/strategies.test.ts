import { createRng } from '@proteus-wf/core';
import { describe, expect, it } from 'vitest';
import type { ExperimentOption } from './experiment-backend.js';
import {
  type CandidateEmbedding,
  gradientEmbeddings,
  type JobAnalysis,
  jobUncertainty,
  kCenterGreedy,
  kMeansPlusPlus,
  minMaxConfidence,
  optionKey,
  perNodeRelative,
  reachOf,
  runEmbeddings,
  runOptionKeys,
  runUncertainty,
  STRATEGIES,
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

describe('perNodeRelative', () => {
  it('divides each job by the mean of its DAG node over the runs', () => {
    expect(Array.from(perNodeRelative(Float32Array.of(1, 10, 3, 30), 2))).toEqual([0.5, 0.5, 1.5, 1.5]);
  });
});

describe('minMaxConfidence', () => {
  it('maps the largest uncertainty to 0 and the smallest to 1', () => {
    expect(Array.from(minMaxConfidence(Float32Array.of(0, 1, 2)))).toEqual([1, 0.5, 0]);
    expect(Array.from(minMaxConfidence(Float32Array.of(2, 2)))).toEqual([1, 1]);
  });
});

/** Runs of three jobs: per run a label, per job its label (a run's normal jobs are `normal`) and gradient. */
function runs(spec: { label: string; jobs: string[]; gradient: number[] }[]): JobAnalysis {
  const a = analysis(
    spec.flatMap((r) => r.gradient),
    spec.flatMap(() => [0.5, 0.5, 0.5]),
    spec.flatMap((r) => r.jobs),
  );
  return { ...a, runLabels: spec.map((r) => r.label) };
}

const UNCERTAINTY_RULES = ['gradient', 'entropy', 'least-confidence', 'margin'] as const;

describe('selectExperiments', () => {
  const input = (a?: JobAnalysis) => ({
    workflow: 'wf',
    options: OPTIONS,
    jobNames: JOBS,
    ...(a ? { analysis: a } : {}),
  });

  it('ranks options by the runs they produced, never by a job label: uncertain normal jobs of a cpu_2 run count for cpu_2', () => {
    // Reproduces issue 14: the anomaly reaches one job of a cpu_2 run; the model doubts that run's normal jobs, and
    // ranking by job label sent the query to all-normal runs (PFS: 70 of 110 gradient picks).
    const a = runs([
      { label: 'cpu_2', jobs: ['normal', 'cpu_2', 'normal'], gradient: [9, 1, 9] },
      { label: 'normal', jobs: ['normal', 'normal', 'normal'], gradient: [1, 1, 1] },
      { label: 'hdd_10', jobs: ['hdd_10', 'normal', 'normal'], gradient: [1, 1, 1] },
    ]);
    const selection = selectExperiments(input(a), {
      strategy: 'gradient',
      runs: 1,
      rng: createRng(1),
      normalize: 'none',
    });
    expect(selection.requests).toEqual([
      expect.objectContaining({ anomaly: 'cpu', level: 2, runs: 1, anomalousWorkers: 1 }),
    ]);
  });

  it('turns the least confident jobs of the chosen option into its target jobs (hints.jobs)', () => {
    const a = runs([
      { label: 'cpu_2', jobs: ['normal', 'cpu_2', 'normal'], gradient: [1, 2, 9] },
      { label: 'normal', jobs: ['normal', 'normal', 'normal'], gradient: [1, 1, 1] },
      { label: 'hdd_10', jobs: ['hdd_10', 'normal', 'normal'], gradient: [1, 1, 1] },
    ]);
    const selection = selectExperiments(input(a), {
      strategy: 'gradient',
      runs: 1,
      rng: createRng(1),
      hints: 2,
      normalize: 'none',
    });
    expect(selection.requests[0]?.hints).toEqual({ jobs: ['c', 'b'], confidence: [0, 0.875] });
    expect(selection.optionConfidence.cpu_2).toBeLessThan(selection.optionConfidence.normal as number);
  });

  it.each(UNCERTAINTY_RULES)('%s spreads a batch over options instead of giving it to one anomaly type', (strategy) => {
    // Reproduces issue 14: every uncertainty rule gave a whole batch to the least confident type.
    const a = analysis([3, 1, 2, 0, 5, 4], [0.5, 0.9, 0.6, 0.99, 0.7, 0.6], LABELS);
    const selection = selectExperiments(input(a), { strategy, runs: 3, rng: createRng(1) });
    expect(selection.requests.map((r) => r.runs)).toEqual([1, 1, 1]);
    expect(new Set(selection.requests.map((r) => r.anomaly)).size).toBe(3);
    const two = selectExperiments(input(a), { strategy, runs: 2, rng: createRng(1) });
    expect(new Set(two.requests.map((r) => `${r.anomaly}${r.level ?? ''}`)).size).toBe(2);
  });

  it('gives more runs than options round by round, at most ceil(runs / options) each', () => {
    const a = analysis([3, 1, 2, 0, 5, 4], [0.5, 0.5, 0.5, 0.5, 0.5, 0.5], LABELS);
    const selection = selectExperiments(input(a), { strategy: 'gradient', runs: 7, rng: createRng(1) });
    expect(selection.requests.map((r) => r.runs).sort()).toEqual([2, 2, 3]);
  });

  it('makes burn-in a balanced design: one run per anomaly type and level before any repeats', () => {
    // The old random burn-in drew in proportion to the pool (normal three times as often here).
    const options = [
      { label: 'normal', anomaly: 'normal', available: 30 },
      { label: 'cpu_2', anomaly: 'cpu', level: 2, available: 10 },
      { label: 'hdd_10', anomaly: 'hdd', level: 10, available: 10 },
    ];
    for (let seed = 0; seed < 20; seed++) {
      const selection = selectExperiments(
        { workflow: 'wf', options, jobNames: JOBS },
        { strategy: 'gradient', runs: 3, rng: createRng(seed) },
      );
      expect(selection.random).toBe(true);
      expect(selection.requests.map((r) => r.runs)).toEqual([1, 1, 1]);
    }
    // With runs labelled already, the least covered types come next.
    const a = runs([
      { label: 'normal', jobs: ['normal', 'normal', 'normal'], gradient: [1, 1, 1] },
      { label: 'cpu_2', jobs: ['cpu_2', 'normal', 'normal'], gradient: [1, 1, 1] },
    ]);
    const next = selectExperiments(
      { workflow: 'wf', options, jobNames: JOBS, analysis: a },
      { strategy: 'entropy', runs: 1, rng: createRng(3), random: true },
    );
    expect(next.requests).toEqual([{ workflow: 'wf', anomaly: 'hdd', level: 10, anomalousWorkers: 1, runs: 1 }]);
  });

  it('draws the random baseline in proportion to the runs left', () => {
    const options = [
      { label: 'normal', anomaly: 'normal', available: 0 },
      { label: 'cpu_2', anomaly: 'cpu', level: 2, available: 3 },
    ];
    const a = analysis([1, 1, 1, 1, 1, 1], [0.5, 0.5, 0.5, 0.5, 0.5, 0.5], LABELS);
    const selection = selectExperiments(
      { workflow: 'wf', options, jobNames: JOBS, analysis: a },
      { strategy: 'random', runs: 3, rng: createRng(5) },
    );
    expect(selection.random).toBe(true);
    expect(selection.requests).toEqual([{ workflow: 'wf', anomaly: 'cpu', level: 2, anomalousWorkers: 1, runs: 3 }]);
  });

  it('normalizes per DAG node by default, so a structurally large auxiliary job does not decide the query', () => {
    const a = runs([
      { label: 'cpu_2', jobs: ['normal', 'cpu_2', 'normal'], gradient: [100, 4, 1] },
      { label: 'normal', jobs: ['normal', 'normal', 'normal'], gradient: [300, 1, 1] },
    ]);
    const options = OPTIONS.slice(0, 2);
    const raw = selectExperiments(
      { ...input(a), options },
      { strategy: 'gradient', runs: 1, rng: createRng(1), normalize: 'none' },
    );
    expect(raw.requests[0]?.anomaly).toBe('normal');
    const relative = selectExperiments({ ...input(a), options }, { strategy: 'gradient', runs: 1, rng: createRng(1) });
    expect(relative.requests[0]).toMatchObject({ anomaly: 'cpu', level: 2 });
  });

  it('ranks options by values given from elsewhere (the bandit, pool scores)', () => {
    const a = runs([
      { label: 'cpu_2', jobs: ['normal', 'cpu_2', 'normal'], gradient: [1, 9, 9] },
      { label: 'normal', jobs: ['normal', 'normal', 'normal'], gradient: [1, 1, 1] },
      { label: 'hdd_10', jobs: ['hdd_10', 'normal', 'normal'], gradient: [1, 1, 1] },
    ]);
    const pick = (optionUncertainty?: Record<string, number>) =>
      selectExperiments(
        { ...input(a), ...(optionUncertainty ? { optionUncertainty } : {}) },
        { strategy: 'gradient', runs: 1, rng: createRng(0), normalize: 'none' },
      ).requests.map((r) => r.anomaly);
    expect(pick()).toEqual(['cpu']);
    expect(pick({ normal: 0.1, cpu_2: 0.2, hdd_10: 0.9 })).toEqual(['hdd']);
  });

  it('explores an option never run before any run one', () => {
    const a = analysis(
      [3, 1, 2, 0, 5, 4],
      [0.5, 0.5, 0.5, 0.5, 0.5, 0.5],
      ['normal', 'cpu_2', 'cpu_2', 'normal', 'cpu_2', 'normal'],
    );
    const selection = selectExperiments(input(a), { strategy: 'gradient', runs: 1, rng: createRng(1) });
    expect(selection.requests[0]).toMatchObject({ anomaly: 'hdd', level: 10 });
  });

  it('weights the choice by expected runtime when cost-aware', () => {
    const a = runs([
      { label: 'cpu_2', jobs: ['normal', 'cpu_2', 'normal'], gradient: [1, 1, 1] },
      { label: 'normal', jobs: ['normal', 'normal', 'normal'], gradient: [1, 1, 1] },
      { label: 'hdd_10', jobs: ['hdd_10', 'normal', 'normal'], gradient: [2, 2, 2] },
    ]);
    const plain = selectExperiments(input(a), { strategy: 'gradient', runs: 1, rng: createRng(1), normalize: 'none' });
    expect(plain.requests[0]?.anomaly).toBe('hdd');
    const costly = selectExperiments(
      { ...input(a), durations: { normal: 100, cpu_2: 100, hdd_10: 1000 } },
      { strategy: 'gradient', runs: 1, rng: createRng(1), costWeight: 1, normalize: 'none' },
    );
    expect(costly.requests[0]?.anomaly).not.toBe('hdd');
  });

  it('picks diversity anchors among runs and lets the run, not the anchor job, name the experiment', () => {
    // Reproduces issue 14: the k-center anchors were jobs, and an anchor's job label picked the experiment, so most
    // anchors (the normal jobs of anomalous runs) asked for all-normal runs (PFS: 93 of 113 picks).
    const a = runs([
      { label: 'cpu_2', jobs: ['normal', 'cpu_2', 'normal'], gradient: [9, 1, 9] },
      { label: 'hdd_10', jobs: ['normal', 'normal', 'hdd_10'], gradient: [8, 8, 7] },
      { label: 'normal', jobs: ['normal', 'normal', 'normal'], gradient: [0.5, 0.5, 0.5] },
    ]);
    const selection = selectExperiments(input(a), {
      strategy: 'diversity',
      runs: 2,
      rng: createRng(1),
      normalize: 'none',
    });
    expect(selection.requests.map((r) => r.anomaly).sort()).toEqual(['cpu', 'hdd']);
    const points = runEmbeddings(a.embedding, 3, 2);
    expect(kCenterGreedy(points, runUncertainty(a.gradientNorm, 3, 'max'), 2, () => true)).toEqual([0, 1]);
  });

  it('badge picks pool runs by k-means++ over gradient embeddings and names them in hints.runIds', () => {
    const a = analysis([1, 1, 1, 1, 1, 1], [0.5, 0.5, 0.5, 0.5, 0.5, 0.5], LABELS);
    const candidates: CandidateEmbedding[] = [
      { key: 'cpu_2', runId: 'c1', embedding: Float32Array.of(5, 0) },
      { key: 'cpu_2', runId: 'c2', embedding: Float32Array.of(4.9, 0) },
      { key: 'hdd_10', runId: 'h1', embedding: Float32Array.of(0, 3) },
      { key: 'normal', runId: 'n1', embedding: Float32Array.of(0, 0) },
    ];
    const selection = selectExperiments({ ...input(a), candidates }, { strategy: 'badge', runs: 2, rng: createRng(2) });
    const ids = selection.requests.flatMap((r) => r.hints?.runIds ?? []);
    expect(ids).toContain('c1');
    expect(ids).toHaveLength(2);
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

  it('runs every strategy on real-sized input without throwing', () => {
    const a = analysis([3, 1, 2, 0, 5, 4], [0.5, 0.9, 0.6, 0.99, 0.7, 0.6], LABELS);
    for (const strategy of STRATEGIES) {
      const selection = selectExperiments(input(a), { strategy, runs: 2, rng: createRng(4) });
      expect(selection.requests.reduce((n, r) => n + r.runs, 0)).toBe(2);
    }
  });
});

describe('options as run configurations', () => {
  it('keys an option by label and reach, and derives a labelled run option from its anomalous share', () => {
    expect(reachOf(0)).toBe('none');
    expect(reachOf(0.05)).toBe('few');
    expect(reachOf(0.2)).toBe('some');
    expect(reachOf(0.5)).toBe('many');
    expect(optionKey({ label: 'cpu_2', reach: 'many' })).toBe('cpu_2@many');
    expect(optionKey({ label: 'normal', reach: 'none' })).toBe('normal');
    const a = runs([
      { label: 'cpu_2', jobs: ['normal', 'cpu_2', 'normal'], gradient: [1, 1, 1] },
      { label: 'normal', jobs: ['normal', 'normal', 'normal'], gradient: [1, 1, 1] },
    ]);
    const reachOptions = [
      { label: 'normal', anomaly: 'normal' },
      { label: 'cpu_2', anomaly: 'cpu', level: 2, reach: 'many' as const },
    ];
    expect(runOptionKeys(a, reachOptions)).toEqual(['cpu_2@many', 'normal']);
    expect(runOptionKeys(a, OPTIONS)).toEqual(['cpu_2', 'normal']);
  });

  it('asks a testbed for the option: anomalous workers and target jobs travel in the request', () => {
    const a = runs([{ label: 'cpu_2', jobs: ['normal', 'cpu_2', 'normal'], gradient: [1, 1, 1] }]);
    const options = [
      { label: 'cpu_2', anomaly: 'cpu', level: 2, anomalousWorkers: 2, targetJobs: ['a'], reach: 'many' as const },
    ];
    const selection = selectExperiments(
      { workflow: 'wf', options, jobNames: JOBS, analysis: a },
      { strategy: 'gradient', runs: 1, rng: createRng(1) },
    );
    expect(selection.requests).toEqual([
      {
        workflow: 'wf',
        anomaly: 'cpu',
        level: 2,
        anomalousWorkers: 2,
        runs: 1,
        hints: { option: 'cpu_2@many', reach: 'many', jobs: ['a'] },
      },
    ]);
  });
});

describe('BADGE', () => {
  it('embeds a run by its last-layer gradient under the predicted labels; confident runs are near zero', () => {
    const base = {
      nodes: 1,
      groups: 1,
      classes: 2,
      embedding: Float32Array.of(1, 2, 1, 2),
      embeddingWidth: 2,
    };
    const [unsure, sure] = gradientEmbeddings({ ...base, probabilities: Float32Array.of(0.4, 0.6, 0.99, 0.01) });
    expect(Array.from(unsure as Float32Array).map((v) => +v.toFixed(4))).toEqual([0.4, 0.8, -0.4, -0.8]);
    expect(Math.hypot(...(sure as Float32Array))).toBeLessThan(0.05);
  });

  it('seeds k-means++ at the largest gradient and never picks a point twice', () => {
    const points = [Float32Array.of(0), Float32Array.of(5), Float32Array.of(5), Float32Array.of(1)];
    for (let seed = 0; seed < 10; seed++) {
      const picks = kMeansPlusPlus(points, 3, createRng(seed));
      expect(picks[0]).toBe(1);
      expect(new Set(picks).size).toBe(picks.length);
      expect(picks).not.toContain(2);
    }
  });
});
