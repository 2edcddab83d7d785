import type { JobRecord } from '@proteus-wf/core';
import { describe, expect, it } from 'vitest';
import { type AnomalyWindow, labelJob, labelJobs } from './index.js';

function job(name: string, worker: string, start: number, end: number, extra: Partial<JobRecord> = {}): JobRecord {
  return {
    job: name,
    type: 'compute',
    transformation: 't',
    worker,
    ready: start - 1,
    submit: start - 0.5,
    executeStart: start,
    executeEnd: end,
    cpuTimeSeconds: 0,
    bytesRead: 0,
    bytesWritten: 0,
    exitCode: 0,
    attempts: 1,
    executable: '/bin/true',
    argv: [],
    ...extra,
  };
}

const window: AnomalyWindow = { worker: 'w1', anomaly: 'cpu_2', appliedAt: 100, revertedAt: 200 };

describe('labelJob', () => {
  it('labels a job on the anomalous worker inside the window with the anomaly', () => {
    expect(labelJob(job('a', 'w1', 120, 150), [window])).toBe('cpu_2');
  });

  it('labels a job on another worker None, even inside the window', () => {
    expect(labelJob(job('a', 'w2', 120, 150), [window])).toBe('None');
  });

  it('counts partial overlaps at either edge as anomalous', () => {
    expect(labelJob(job('a', 'w1', 90, 101), [window])).toBe('cpu_2');
    expect(labelJob(job('a', 'w1', 199, 230), [window])).toBe('cpu_2');
    expect(labelJob(job('a', 'w1', 50, 250), [window])).toBe('cpu_2');
  });

  it('treats touching the window boundary as outside: ending at appliedAt or starting at revertedAt is normal', () => {
    expect(labelJob(job('a', 'w1', 50, 100), [window])).toBe('None');
    expect(labelJob(job('a', 'w1', 200, 250), [window])).toBe('None');
  });

  it('puts a zero-length job in the half-open window [appliedAt, revertedAt)', () => {
    expect(labelJob(job('a', 'w1', 100, 100), [window])).toBe('cpu_2');
    expect(labelJob(job('a', 'w1', 200, 200), [window])).toBe('None');
  });

  it('includes stage-in and stage-out in the time a job spent on the worker', () => {
    expect(labelJob(job('a', 'w1', 205, 220, { stageInStart: 195, stageInEnd: 205 }), [window])).toBe('cpu_2');
    expect(labelJob(job('a', 'w1', 80, 99, { stageOutStart: 99, stageOutEnd: 101 }), [window])).toBe('cpu_2');
  });

  it('keeps a window without revertedAt open (never reverted)', () => {
    expect(labelJob(job('a', 'w1', 10_000, 10_001), [{ worker: 'w1', anomaly: 'hdd_5', appliedAt: 100 }])).toBe(
      'hdd_5',
    );
  });

  it('picks the earliest applied window when several match', () => {
    const later: AnomalyWindow = { worker: 'w1', anomaly: 'hdd_5', appliedAt: 150, revertedAt: 300 };
    expect(labelJob(job('a', 'w1', 160, 170), [later, window])).toBe('cpu_2');
    expect(labelJob(job('a', 'w1', 250, 260), [later, window])).toBe('hdd_5');
  });
});

describe('labelJobs', () => {
  it('maps every job name to its label', () => {
    const labels = labelJobs([job('a', 'w1', 120, 130), job('b', 'w2', 120, 130)], [window]);
    expect(Object.fromEntries(labels)).toEqual({ a: 'cpu_2', b: 'None' });
  });
});
