import { describe, expect, it } from 'vitest';
import { splitByJob, splitByRun } from './split.js';

const labels = [...Array(50).fill('normal'), ...Array(30).fill('cpu_2'), ...Array(20).fill('hdd_5')] as string[];
const source = { runs: labels.map((label) => ({ label })), jobsPerRun: 10 };

describe('splitByRun', () => {
  it('partitions the runs 60/20/20, stratified by run label', () => {
    const split = splitByRun(source, { seed: 1 });
    expect(split).toMatchObject({ kind: 'by-run', transductive: false, seed: 1 });
    const all = [...split.train, ...split.validation, ...split.test].sort((a, b) => a - b);
    expect(all).toEqual(labels.map((_, i) => i));
    const count = (part: number[], label: string) => part.filter((i) => labels[i] === label).length;
    expect([count(split.train, 'normal'), count(split.validation, 'normal'), count(split.test, 'normal')]).toEqual([
      30, 10, 10,
    ]);
    expect([count(split.train, 'cpu_2'), count(split.validation, 'cpu_2'), count(split.test, 'cpu_2')]).toEqual([
      18, 6, 6,
    ]);
    expect([count(split.train, 'hdd_5'), count(split.validation, 'hdd_5'), count(split.test, 'hdd_5')]).toEqual([
      12, 4, 4,
    ]);
  });

  it('is deterministic per seed and differs across seeds', () => {
    expect(splitByRun(source, { seed: 7 })).toEqual(splitByRun(source, { seed: 7 }));
    expect(splitByRun(source, { seed: 7 }).test).not.toEqual(splitByRun(source, { seed: 8 }).test);
  });

  it('honours custom ratios and stratify: false', () => {
    const split = splitByRun(source, { seed: 2, ratios: { train: 0.7, validation: 0.1, test: 0.2 }, stratify: false });
    expect([split.train.length, split.validation.length, split.test.length]).toEqual([70, 10, 20]);
  });

  it.each([
    [{ train: 0.5, validation: 0.2, test: 0.2 }],
    [{ train: 1.2, validation: -0.1, test: -0.1 }],
    [{ train: Number.NaN, validation: 0.5, test: 0.5 }],
  ])('throws PROTEUS_FEATURES_INVALID_OPTION for ratios %j', (ratios) => {
    expect(() => splitByRun(source, { ratios })).toThrow(
      expect.objectContaining({ code: 'PROTEUS_FEATURES_INVALID_OPTION' }),
    );
  });

  it('throws PROTEUS_FEATURES_INVALID_OPTION for a fractional seed', () => {
    expect(() => splitByRun(source, { seed: 0.5 })).toThrow(
      expect.objectContaining({ code: 'PROTEUS_FEATURES_INVALID_OPTION' }),
    );
  });
});

describe('splitByJob', () => {
  it('assigns every job, is flagged transductive and spreads a run over all parts', () => {
    const split = splitByJob(source, { seed: 0 });
    expect(split.transductive).toBe(true);
    expect([split.train.length, split.validation.length, split.test.length]).toEqual([600, 200, 200]);
    expect(split.assignment.filter((a) => a === 2)).toHaveLength(200);
    const partsOfRun = (run: number) => new Set(Array.from(split.assignment.subarray(run * 10, run * 10 + 10)));
    expect(labels.some((_, run) => partsOfRun(run).size === 3)).toBe(true);
    expect(splitByJob(source, { seed: 0 }).test).toEqual(split.test);
  });
});
