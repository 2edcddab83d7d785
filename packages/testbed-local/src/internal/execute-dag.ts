import type { Rng } from '@proteus-wf/core';

/** A node of the DAG the executor runs. */
export interface DagNode {
  name: string;
  parents: readonly string[];
}

/** A worker with a number of job slots. */
export interface DagWorker {
  name: string;
  slots: number;
}

/** Everything an attempt needs to know about its scheduling. */
export interface AttemptContext<N extends DagNode> {
  node: N;
  worker: string;
  /** 1 for the first attempt. */
  attempt: number;
  /** Epoch ms when the last parent finished (the run start for roots). */
  readyAt: number;
  /** Epoch ms when this attempt entered the queue. */
  submitAt: number;
}

/** What an attempt produced; `ok: false` makes the executor retry or give up. */
export interface AttemptOutcome<R> {
  ok: boolean;
  value: R;
}

export interface ExecuteDagOptions<N extends DagNode, R> {
  workers: readonly DagWorker[];
  /** Extra attempts after a failure (DAGMan `RETRY`). */
  retries: number;
  rng: Rng;
  /** Runs one attempt; must not throw (a throw is treated as a failed attempt with no value). */
  launch: (context: AttemptContext<N>) => Promise<AttemptOutcome<R>>;
  signal?: AbortSignal;
  /** Called after every state change, with counts for progress reports. */
  onChange?: (state: { done: number; failed: number; running: number; total: number; last?: string }) => void;
  /** The epoch ms the run started (roots become ready then). */
  startedAt?: number;
}

/** The final state of each node: the value of its last attempt, or `skipped` when an ancestor failed. */
export interface DagNodeResult<R> {
  status: 'succeeded' | 'failed' | 'skipped';
  attempts: number;
  value?: R;
  worker?: string;
}

/**
 * Runs a DAG the way DAGMan and a HTCondor pool do: a node enters the queue when its last parent succeeds, the
 * queue is served first-in first-out, each job goes to the worker with the most free slots (ties broken by the
 * seeded `rng`, so a seed fixes every placement for a given completion order), a failed attempt is re-queued
 * until `retries` is exhausted, and the descendants of a node that failed for good are skipped while independent
 * branches finish (DAGMan's rescue semantics). Nodes must be given in a topological order.
 */
export async function executeDag<N extends DagNode, R>(
  nodes: readonly N[],
  options: ExecuteDagOptions<N, R>,
): Promise<Map<string, DagNodeResult<R>>> {
  const startedAt = options.startedAt ?? Date.now();
  const results = new Map<string, DagNodeResult<R>>();
  const byName = new Map(nodes.map((node) => [node.name, node]));
  const children = new Map<string, string[]>(nodes.map((node) => [node.name, []]));
  const waiting = new Map<string, number>();
  for (const node of nodes) {
    waiting.set(node.name, node.parents.length);
    for (const parent of node.parents) children.get(parent)?.push(node.name);
  }
  const free = new Map(options.workers.map((worker) => [worker.name, worker.slots]));
  const queue: Array<{ node: N; attempt: number; readyAt: number; submitAt: number }> = [];
  for (const node of nodes) {
    if (node.parents.length === 0) queue.push({ node, attempt: 1, readyAt: startedAt, submitAt: Date.now() });
  }
  let running = 0;
  let done = 0;
  let failed = 0;
  const total = nodes.length;

  const report = (last?: string): void => {
    options.onChange?.({ done, failed, running, total, ...(last === undefined ? {} : { last }) });
  };

  const pickWorker = (): string | undefined => {
    let best = 0;
    let candidates: string[] = [];
    for (const worker of options.workers) {
      const slots = free.get(worker.name) ?? 0;
      if (slots > best) {
        best = slots;
        candidates = [worker.name];
      } else if (slots === best && slots > 0) {
        candidates.push(worker.name);
      }
    }
    if (candidates.length === 0) return undefined;
    return candidates.length === 1 ? candidates[0] : candidates[options.rng.int(0, candidates.length - 1)];
  };

  const skipDescendants = (name: string): void => {
    const stack = [...(children.get(name) ?? [])];
    while (stack.length > 0) {
      const child = stack.pop() as string;
      if (results.has(child)) continue;
      results.set(child, { status: 'skipped', attempts: 0 });
      failed++;
      stack.push(...(children.get(child) ?? []));
    }
  };

  await new Promise<void>((resolve) => {
    const finishIfIdle = (): void => {
      if (running === 0 && (queue.length === 0 || options.signal?.aborted)) resolve();
    };
    const dispatch = (): void => {
      while (queue.length > 0 && !options.signal?.aborted) {
        const worker = pickWorker();
        if (worker === undefined) break;
        const entry = queue.shift() as (typeof queue)[number];
        free.set(worker, (free.get(worker) ?? 0) - 1);
        running++;
        const context: AttemptContext<N> = { ...entry, worker };
        options
          .launch(context)
          .catch((): AttemptOutcome<R> => ({ ok: false, value: undefined as R }))
          .then((outcome) => {
            running--;
            free.set(worker, (free.get(worker) ?? 0) + 1);
            const name = entry.node.name;
            const now = Date.now();
            if (outcome.ok) {
              results.set(name, { status: 'succeeded', attempts: entry.attempt, value: outcome.value, worker });
              done++;
              for (const child of children.get(name) ?? []) {
                const left = (waiting.get(child) ?? 0) - 1;
                waiting.set(child, left);
                const node = byName.get(child);
                if (left === 0 && node) queue.push({ node, attempt: 1, readyAt: now, submitAt: Date.now() });
              }
            } else if (entry.attempt <= options.retries && !options.signal?.aborted) {
              queue.push({ ...entry, attempt: entry.attempt + 1, submitAt: now });
            } else {
              results.set(name, { status: 'failed', attempts: entry.attempt, value: outcome.value, worker });
              failed++;
              skipDescendants(name);
            }
            report(name);
            dispatch();
            finishIfIdle();
          });
      }
      report();
    };
    options.signal?.addEventListener('abort', finishIfIdle, { once: true });
    dispatch();
    finishIfIdle();
  });
  for (const node of nodes) {
    if (!results.has(node.name)) results.set(node.name, { status: 'skipped', attempts: 0 });
  }
  return results;
}
