import { describe, expect, it } from 'vitest';
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
  it('waits at least the given time', async () => {
    const started = performance.now();
    await sleep(30, { where: 'test' });
    expect(performance.now() - started).toBeGreaterThanOrEqual(25);
  });

  it('throws PROTEUS_CORE_ABORTED at once when the signal fires mid-wait, or has fired already', async () => {
    const controller = new AbortController();
    const started = performance.now();
    setTimeout(() => controller.abort(new Error('stop')), 20);
    const error = await sleep(60_000, { signal: controller.signal, where: 'test/wait' }).catch((e: unknown) => e);
    expect(isProteusError(error, 'PROTEUS_CORE_ABORTED')).toBe(true);
    expect(performance.now() - started).toBeLessThan(5_000);
    const again = await sleep(10, { signal: controller.signal, where: 'test' }).catch((e: unknown) => e);
    expect(isProteusError(again, 'PROTEUS_CORE_ABORTED')).toBe(true);
  });
});
