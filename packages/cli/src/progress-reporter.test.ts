import type { ProgressEvent } from '@proteus-wf/core';
import { describe, expect, it } from 'vitest';
import type { CliIo } from './cli-io.js';
import { createProgressReporter, describeProgress } from './progress-reporter.js';

function setup(options: { isTTY?: boolean; seconds?: string } = {}) {
  let stderr = '';
  let clock = 0;
  const io: CliIo = {
    stdout: () => {},
    stderr: (text) => {
      stderr += text;
    },
    isTTY: options.isTTY ?? false,
    cwd: process.cwd(),
    env: options.seconds === undefined ? {} : { PROTEUS_PROGRESS_SECONDS: options.seconds },
    signal: new AbortController().signal,
  };
  const report = createProgressReporter(io, { now: () => clock });
  return {
    at(ms: number, event: ProgressEvent) {
      clock = ms;
      report(event);
    },
    lines: () => stderr.split('\n').filter(Boolean),
    stderr: () => stderr,
  };
}

const load = (read: number, total: number): ProgressEvent => ({
  phase: 'load',
  ratio: read / total,
  data: { runs: read, skipped: 0 },
});
const epoch = (n: number, of: number): ProgressEvent => ({
  phase: 'train',
  ratio: n / of,
  message: `epoch ${n}/${of}`,
});

describe('createProgressReporter without a terminal', () => {
  it('prints nothing for work that ends within the interval', () => {
    const progress = setup();
    progress.at(1000, load(16, 32));
    progress.at(2000, load(32, 32));
    expect(progress.stderr()).toBe('');
  });

  it('prints a plain line every few seconds with phase, done/total, elapsed and ETA, and the end of the phase', () => {
    const progress = setup();
    progress.at(1000, load(100, 400));
    progress.at(5000, load(200, 400));
    progress.at(6000, load(240, 400));
    progress.at(10_000, load(400, 400));
    expect(progress.lines()).toEqual([
      'loading runs: 200/400 runs (50%), elapsed 5 s, ETA 5 s',
      'loading runs: 400/400 runs (100%), elapsed 10 s',
    ]);
  });

  it('times each phase from the end of the one before', () => {
    const progress = setup({ seconds: '0' });
    progress.at(4000, load(10, 10));
    progress.at(7000, epoch(1, 4));
    expect(progress.lines()).toEqual([
      'loading runs: 10/10 runs (100%), elapsed 4 s',
      'training: epoch 1/4 (25%), elapsed 3 s, ETA 9 s',
    ]);
  });

  it('rejects a PROTEUS_PROGRESS_SECONDS that is not a number of seconds', () => {
    expect(() => setup({ seconds: 'often' })).toThrow(expect.objectContaining({ code: 'PROTEUS_CLI_USAGE' }));
  });
});

describe('createProgressReporter on a terminal', () => {
  it('rewrites one status line and ends it with the phase', () => {
    const progress = setup({ isTTY: true });
    progress.at(100, epoch(1, 2));
    progress.at(200, epoch(2, 2));
    expect(progress.stderr()).toBe(
      '\r\x1b[Ktraining: epoch 1/2 (50%), elapsed 0 s, ETA 0 s\r\x1b[Ktraining: epoch 2/2 (100%), elapsed 0 s\n',
    );
  });
});

describe('describeProgress', () => {
  it('shows minutes and the validation loss', () => {
    expect(
      describeProgress({ phase: 'train', ratio: 0.5, message: 'epoch 50/100', data: { validationLoss: 0.25 } }, 90_000),
    ).toBe('training: epoch 50/100 (50%), elapsed 1 min 30 s, ETA 1 min 30 s, val loss 0.2500');
  });
});
