import type { JobRecord } from '@proteus-wf/core';

/** When an anomaly was active on a worker, from the injector's ledger. Times are epoch seconds. */
export interface AnomalyWindow {
  worker: string;
  /** Flow-Bench anomaly name, e.g. `cpu_2`. */
  anomaly: string;
  appliedAt: number;
  /** Absent while the anomaly was never reverted (a crash before `recover`): the window stays open. */
  revertedAt?: number;
}

/** The label Flow-Bench gives a normal job. */
export const NONE_LABEL = 'None';

/**
 * Labels one job as Poseidon-X does (testbeds.md §1.6), made exact with the ledger's windows: the job is anomalous iff
 * it ran on a worker with an anomaly and its time on that worker (stage-in start, or execute start, to stage-out end,
 * or execute end) overlaps the window `[appliedAt, revertedAt)` for a positive time. A job that ended exactly when the
 * anomaly was applied, or started exactly when it was reverted, is normal; a zero-length job is anomalous iff its
 * instant lies in the window. When several windows match, the earliest applied wins.
 * @example labelJob(job, [{ worker: 'w1', anomaly: 'cpu_2', appliedAt: 100, revertedAt: 200 }]) // 'cpu_2' or 'None'
 */
export function labelJob(job: JobRecord, windows: readonly AnomalyWindow[]): string {
  const start = Math.min(job.stageInStart ?? job.executeStart, job.executeStart);
  const end = Math.max(job.stageOutEnd ?? job.executeEnd, job.executeEnd);
  let best: AnomalyWindow | undefined;
  for (const window of windows) {
    if (window.worker !== job.worker) continue;
    const closes = window.revertedAt ?? Number.POSITIVE_INFINITY;
    const inside =
      end > start
        ? Math.max(start, window.appliedAt) < Math.min(end, closes)
        : window.appliedAt <= start && start < closes;
    if (inside && (!best || window.appliedAt < best.appliedAt)) best = window;
  }
  return best ? best.anomaly : NONE_LABEL;
}

/**
 * Labels every job of a run (see `labelJob`); the result maps job name to `None` or the anomaly name.
 * @example const labels = labelJobs(result.jobs, windows); labels.get('individuals_ID0000001')
 */
export function labelJobs(jobs: readonly JobRecord[], windows: readonly AnomalyWindow[]): Map<string, string> {
  return new Map(jobs.map((job) => [job.job, labelJob(job, windows)]));
}
