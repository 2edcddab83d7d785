import type { JobPlacement, WorkerInfo } from '@proteus-wf/core';
import { chooseInjection } from './choose-injection.js';
import type { AnomalyHandle, CampaignInjector } from './injector-port.js';

/** The target jobs of a run whose request hints carry `placement: { jobs: [...] }`, or undefined. */
export function placementJobsOf(hints: Record<string, unknown> | undefined): string[] | undefined {
  const placement = hints?.placement as { jobs?: unknown } | undefined;
  if (!placement || !Array.isArray(placement.jobs)) return undefined;
  return placement.jobs.filter((job): job is string => typeof job === 'string');
}

/** What {@link createAnomalyPlacement} needs: the run, its anomaly, the injector and where to note what it did. */
export interface AnomalyPlacementOptions {
  runId: string;
  anomaly: string;
  jobs: readonly string[];
  workers: ReadonlyMap<string, WorkerInfo>;
  injector: CampaignInjector;
  /** The anomalies in place now; `placement` adds on apply and removes on revert, the caller reverts what is left. */
  applied: Array<{ worker: string; handle: AnomalyHandle }>;
  onApplied(worker: string, target: string): Promise<void>;
  onReverted(worker: string): Promise<void>;
}

/**
 * The controller's side of a testbed placement: the anomaly is applied on a worker when the first target job starts
 * there and reverted when the last one running there ends, so it lasts exactly as long as target jobs run on that
 * worker (other jobs sharing the worker meanwhile feel it too, and the ledger's windows label them so). Calls for one
 * worker are serialised, so an `enter` never races the `leave` that reverts.
 */
export function createAnomalyPlacement(options: AnomalyPlacementOptions): JobPlacement {
  const running = new Map<string, number>();
  const queues = new Map<string, Promise<unknown>>();
  const serialise = (worker: string, step: () => Promise<void>): Promise<void> => {
    const next = (queues.get(worker) ?? Promise.resolve()).then(step);
    queues.set(
      worker,
      next.catch(() => undefined),
    );
    return next;
  };
  return {
    jobs: [...options.jobs],
    enter: (worker, _job) =>
      serialise(worker, async () => {
        const count = (running.get(worker) ?? 0) + 1;
        running.set(worker, count);
        if (count > 1) return;
        const info = options.workers.get(worker);
        if (!info) throw new Error(`placement: unknown worker "${worker}"`);
        const { target, spec } = chooseInjection(info, options.anomaly);
        const handle = await options.injector.apply(target, spec, { runId: options.runId, worker });
        options.applied.push({ worker, handle });
        await options.onApplied(worker, target);
      }),
    leave: (worker, _job) =>
      serialise(worker, async () => {
        const count = (running.get(worker) ?? 0) - 1;
        running.set(worker, Math.max(0, count));
        if (count > 0) return;
        const index = options.applied.findIndex((entry) => entry.worker === worker);
        if (index < 0) return;
        const [entry] = options.applied.splice(index, 1);
        await entry?.handle.revert();
        await options.onReverted(worker);
      }),
  };
}
