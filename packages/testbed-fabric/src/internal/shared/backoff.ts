import { ProteusError, type Rng } from '@proteus-wf/core';

/** How idempotent calls are retried: exponential backoff with jitter, capped. */
export interface RetryPolicy {
  /** Total attempts, the first one included. */
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 4, baseDelayMs: 300, maxDelayMs: 10_000 };

/** "Equal jitter": half the exponential delay plus a seeded random half, so clients do not retry in lockstep. */
export function backoffDelay(policy: RetryPolicy, attempt: number, rng: Rng): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
  return Math.round(ceiling / 2 + (ceiling / 2) * rng.float());
}

/** Resolves after `ms`, or rejects with PROTEUS_CORE_ABORTED as soon as the signal fires. */
export function sleep(ms: number, signal: AbortSignal | undefined, where: string): Promise<void> {
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
