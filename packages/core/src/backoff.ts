import { ProteusError } from './proteus-error.js';
import type { Rng } from './random.js';

/** How idempotent calls are retried: exponential backoff with jitter, capped. */
export interface RetryPolicy {
  /** Total attempts, the first one included. */
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

/** Four attempts, 300 ms doubling up to 10 s: about 2 s of waiting in all before giving up. */
export const DEFAULT_RETRY: Readonly<RetryPolicy> = { attempts: 4, baseDelayMs: 300, maxDelayMs: 10_000 };

/**
 * The wait before retry number `attempt` (0-based): "equal jitter", half of the capped exponential delay plus a
 * seeded random half, so that clients do not retry in lockstep and a seeded run waits the same every time.
 * @example backoffDelay(DEFAULT_RETRY, 2, createRng(7)) // between 600 and 1200
 * @throws never
 */
export function backoffDelay(policy: RetryPolicy, attempt: number, rng: Rng): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
  return Math.round(ceiling / 2 + (ceiling / 2) * rng.float());
}

/** Options of {@link sleep}. */
export interface SleepOptions {
  signal?: AbortSignal | undefined;
  /** Names the caller in the abort message, e.g. `testbed-fabric/waitForSlice`. */
  where: string;
}

/**
 * Resolves after `ms`, or rejects as soon as the signal fires (the timer is cleared, nothing keeps the process alive).
 * @example await sleep(backoffDelay(DEFAULT_RETRY, attempt, rng), { signal, where: 'testbed-fabric' });
 * @throws ProteusError PROTEUS_CORE_ABORTED when the signal fires before or while waiting
 */
export function sleep(ms: number, options: SleepOptions): Promise<void> {
  const { signal, where } = options;
  return new Promise((resolve, reject) => {
    const aborted = (): ProteusError =>
      new ProteusError('PROTEUS_CORE_ABORTED', `${where}: aborted while waiting`, { cause: signal?.reason });
    if (signal?.aborted) {
      reject(aborted());
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(aborted());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
