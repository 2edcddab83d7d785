import { describe, expect, it } from 'vitest';
import type { ProgressEvent } from './progress.js';
import { reportProgress, throwIfAborted } from './progress.js';

describe('throwIfAborted', () => {
  it('throws PROTEUS_CORE_ABORTED once the signal fires', () => {
    const controller = new AbortController();
    expect(() => throwIfAborted(controller.signal, 'test')).not.toThrow();
    controller.abort(new Error('user pressed ^C'));
    expect(() => throwIfAborted(controller.signal, 'test')).toThrow(
      expect.objectContaining({ code: 'PROTEUS_CORE_ABORTED' }),
    );
  });
});

describe('reportProgress', () => {
  it('clamps ratio into 0..1 and maps NaN to 0', () => {
    const seen: ProgressEvent[] = [];
    for (const ratio of [-1, 0.5, 7, Number.NaN]) reportProgress((e) => seen.push(e), { phase: 'p', ratio });
    expect(seen.map((e) => e.ratio)).toEqual([0, 0.5, 1, 0]);
  });
});
