import { afterEach, describe, expect, it, vi } from 'vitest';
import { backoffDelay, DEFAULT_RETRY, sleep } from './backoff.js';
import { isProteusError } from './proteus-error.js';
import { createRng } from './random.js';

describe('backoffDelay', () => {
  it('keeps each delay within [ceiling/2, ceiling] of the capped exponential', () => {
    const rng = createRng(11);
    for (let attempt = 0; attempt < 8; attempt++) {
      const ceiling = Math.min(DEFAULT_RETRY.maxDelayMs, DEFAULT_RETRY.baseDelayMs * 2 ** attempt);
      const delay = backoffDelay(DEFAULT_RETRY, attempt, rng);
      expect(delay).toBeGreaterThanOrEqual(ceiling / 2);
      expect(delay).toBeLessThanOrEqual(ceiling);
    }
  });

  it('repeats the same delays for the same seed and differs for another', () => {
    const delays = (seed: number) => {
      const rng = createRng(seed);
      return [0, 1, 2, 3, 4].map((attempt) => backoffDelay(DEFAULT_RETRY, attempt, rng));
    };
    expect(delays(5)).toEqual(delays(5));
    expect(delays(5)).not.toEqual(delays(6));
  });
});

describe('sleep', () => {
  // Fake timers: what is checked is which timer sleep sets and clears, not how long a loaded host took.
  afterEach(() => {
    vi.useRealTimers();
  });

  it('resolves when its timer fires, not before', async () => {
    vi.useFakeTimers();
    let done = false;
    const sleeping = sleep(30, { where: 'test' }).then(() => {
      done = true;
    });
    await vi.advanceTimersByTimeAsync(29);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await sleeping;
    expect(done).toBe(true);
  });

  it('throws PROTEUS_CORE_ABORTED at once when the signal fires mid-wait, or has fired already', async () => {
    vi.useFakeTimers();
    const controller = new AbortController();
    const sleeping = sleep(60_000, { signal: controller.signal, where: 'test/wait' }).catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(20);
    controller.abort(new Error('stop'));
    // No fake time passes after the abort: the rejection cannot come from the 60 s timer.
    expect(isProteusError(await sleeping, 'PROTEUS_CORE_ABORTED')).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
    const again = await sleep(10, { signal: controller.signal, where: 'test' }).catch((e: unknown) => e);
    expect(isProteusError(again, 'PROTEUS_CORE_ABORTED')).toBe(true);
  });
});
