import { ProteusError } from './proteus-error.js';

/** A progress report of a long operation. `ratio` is always within 0..1. */
export interface ProgressEvent {
  /** What is running, e.g. `load`, `train`, `iteration`. */
  phase: string;
  ratio: number;
  message?: string;
  /** Phase-specific numbers (epoch, loss, run count...). */
  data?: Record<string, number | string | boolean>;
}

/** The options every long operation accepts. */
export interface LongOperationOptions {
  signal?: AbortSignal;
  onProgress?: (event: ProgressEvent) => void;
}

/**
 * Throws `PROTEUS_CORE_ABORTED` when the signal has fired; call it between units of work.
 * @throws ProteusError PROTEUS_CORE_ABORTED
 */
export function throwIfAborted(signal: AbortSignal | undefined, where: string): void {
  if (signal?.aborted) {
    throw new ProteusError('PROTEUS_CORE_ABORTED', `${where}: aborted (${describeReason(signal.reason)})`, {
      cause: signal.reason,
    });
  }
}

/** Sends a progress event with `ratio` clamped to 0..1 (NaN becomes 0). */
export function reportProgress(onProgress: LongOperationOptions['onProgress'], event: ProgressEvent): void {
  if (!onProgress) return;
  const ratio = Number.isFinite(event.ratio) ? Math.min(1, Math.max(0, event.ratio)) : 0;
  onProgress({ ...event, ratio });
}

function describeReason(reason: unknown): string {
  if (reason instanceof Error) return reason.message;
  if (reason === undefined) return 'no reason given';
  return String(reason);
}
