import { isProteusError } from '@proteus-wf/core';
import { describe, expect, it } from 'vitest';
import {
  assessAnomalyEffects,
  describeAnomalyEffects,
  type JobObservation,
  mannWhitneyGreater,
} from './assess-anomaly-effects.js';

/** Runs of a 4-job workflow; `slow(run, job)` is the factor on the job's base runtime. */
function runsOf(
  labels: Array<{ run: string; anomalous: string; anomaly: string }>,
  slow: (run: string, job: string, anomalous: boolean) => number,
): JobObservation[] {
  const base: Record<string, number> = { a: 1, b: 2, c: 4, d: 8 };
  const wobble = [1, 1.03, 0.98, 1.01, 0.99, 1.02];
  return labels.flatMap(({ run, anomalous, anomaly }, r) =>
    Object.entries(base).map(([job, seconds], j) => {
      const hit = anomalous.includes(job);
      return {
        run,
        job,
        label: hit ? anomaly : 'normal',
        value: seconds * slow(run, job, hit) * (wobble[(r + j) % wobble.length] as number),
      };
    }),
  );
}

const design = [
  { run: 'n1', anomalous: '', anomaly: 'normal' },
  { run: 'n2', anomalous: '', anomaly: 'normal' },
  { run: 'c1', anomalous: 'ab', anomaly: 'cpu_1' },
  { run: 'c2', anomalous: 'cd', anomaly: 'cpu_1' },
  { run: 'c3', anomalous: 'bd', anomaly: 'cpu_1' },
];

describe('mannWhitneyGreater', () => {
  it('matches scipy.stats.mannwhitneyu(alternative="greater", method="asymptotic")', () => {
    expect(mannWhitneyGreater([5, 6, 7, 8], [1, 2, 3, 4])).toBeCloseTo(0.015191410988288745, 6);
    expect(mannWhitneyGreater([1.0, 1.1, 1.2, 0.9, 1.05], [1.0, 1.02, 0.95, 1.1, 1.0, 0.98])).toBeCloseTo(
      0.23003251848547002,
      6,
    );
  });
});

describe('assessAnomalyEffects', () => {
  it('finds the effect when only the anomalous jobs of a run slow down (cgroup isolation)', () => {
    const found = assessAnomalyEffects(runsOf(design, (_run, _job, hit) => (hit ? 2 : 1)));
    expect(found.measurable).toBe(true);
    expect(found.effects[0]).toMatchObject({ anomaly: 'cpu_1', anomalousJobs: 6, referenceJobs: 6, measurable: true });
    expect(found.effects[0]?.medianRatio).toBeGreaterThan(1.8);
  });

  it('reports no effect when a host-wide stressor slows every job of the anomalous runs alike (no cgroups)', () => {
    const found = assessAnomalyEffects(runsOf(design, (run) => (run.startsWith('c') ? 2 : 1)));
    expect(found.measurable).toBe(false);
    expect(found.unmeasurable).toEqual(['cpu_1']);
    expect(found.effects[0]?.pValue).toBeGreaterThan(0.05);
  });

  it('corrects for testing several anomalies at once (Holm): a p below alpha alone is not enough', () => {
    // cpu_1 slows nothing; hdd_1 slows its jobs a little.
    const mixed = [
      ...design,
      { run: 'h1', anomalous: 'ab', anomaly: 'hdd_1' },
      { run: 'h2', anomalous: 'cd', anomaly: 'hdd_1' },
      { run: 'h3', anomalous: 'bd', anomaly: 'hdd_1' },
    ];
    const factor = (run: string, job: string, hit: boolean) =>
      hit && run.startsWith('h') ? (({ a: 1.07, b: 1.05, c: 1.06, d: 1.04 } as Record<string, number>)[job] ?? 1) : 1;
    const jobs = runsOf(mixed, factor);
    const [cpu, hdd] = assessAnomalyEffects(jobs).effects;
    const p = { cpu: cpu?.pValue as number, hdd: hdd?.pValue as number };
    expect(p.hdd).toBeLessThan(p.cpu);
    // Holm: the smallest p times the number of tests, the next times one less, never decreasing.
    expect(hdd?.adjustedPValue).toBeCloseTo(2 * p.hdd, 12);
    expect(cpu?.adjustedPValue).toBeCloseTo(Math.max(2 * p.hdd, p.cpu), 12);
    // An alpha between hdd_1's raw and corrected p: alone it would count, tested beside cpu_1 it does not.
    const corrected = assessAnomalyEffects(jobs, { alpha: 1.5 * p.hdd });
    expect(corrected.measurable).toBe(false);
    expect(corrected.unmeasurable).toEqual(['cpu_1', 'hdd_1']);
  });

  it('does not test an anomaly with fewer jobs than minJobs', () => {
    const found = assessAnomalyEffects(runsOf(design.slice(0, 3), (_run, _job, hit) => (hit ? 2 : 1)));
    expect(found.effects[0]).toMatchObject({ anomalousJobs: 2, pValue: null, measurable: false });
  });

  it('throws PROTEUS_AL_INVALID_OPTION for a negative value or an alpha outside (0, 1)', () => {
    const jobs = runsOf(design, () => 1);
    const caught = (f: () => unknown) => {
      try {
        f();
      } catch (error) {
        return error;
      }
    };
    expect(
      isProteusError(
        caught(() => assessAnomalyEffects(jobs, { alpha: 1 })),
        'PROTEUS_AL_INVALID_OPTION',
      ),
    ).toBe(true);
    const negative = [...jobs, { run: 'x', job: 'a', label: 'normal', value: -1 }];
    expect(
      isProteusError(
        caught(() => assessAnomalyEffects(negative)),
        'PROTEUS_AL_INVALID_OPTION',
      ),
    ).toBe(true);
  });
});

describe('describeAnomalyEffects', () => {
  it('says plainly that the curves measure noise when no anomaly changed the runs, and why under stressors', () => {
    const found = assessAnomalyEffects(runsOf(design, (run) => (run.startsWith('c') ? 2 : 1)));
    const [warning, ...rest] = describeAnomalyEffects(found, { isolation: 'process-group', runs: 5 });
    expect(rest).toEqual([]);
    expect(warning).toMatch(/^The injected anomalies did not measurably change the runs in 5 runs/);
    expect(warning).toContain('measure noise');
    expect(warning).toContain('isolation "process-group"');
  });

  it('is empty when every anomaly changed its jobs', () => {
    const found = assessAnomalyEffects(runsOf(design, (_run, _job, hit) => (hit ? 2 : 1)));
    expect(describeAnomalyEffects(found, { isolation: 'cgroup' })).toEqual([]);
  });
});
