import { createRng } from '@proteus-wf/core';
import { describe, expect, it } from 'vitest';
import { type AttemptContext, type DagNode, executeDag } from './execute-dag.js';

const diamond: DagNode[] = [
  { name: 'a', parents: [] },
  { name: 'b', parents: ['a'] },
  { name: 'c', parents: ['a'] },
  { name: 'd', parents: ['b', 'c'] },
];

function fanOut(width: number): DagNode[] {
  const leaves = Array.from({ length: width }, (_, i) => ({ name: `leaf${i}`, parents: ['root'] }));
  return [{ name: 'root', parents: [] }, ...leaves, { name: 'sink', parents: leaves.map((l) => l.name) }];
}

const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('executeDag', () => {
  it('starts a job only after all its parents finished', async () => {
    const started = new Map<string, number>();
    const ended = new Map<string, number>();
    let clock = 0;
    const results = await executeDag(diamond, {
      workers: [{ name: 'w1', slots: 2 }],
      retries: 0,
      rng: createRng(1),
      launch: async ({ node }) => {
        started.set(node.name, ++clock);
        await tick(5);
        ended.set(node.name, ++clock);
        return { ok: true, value: node.name };
      },
    });
    for (const node of diamond) {
      expect(results.get(node.name)?.status).toBe('succeeded');
      for (const parent of node.parents) expect(started.get(node.name)).toBeGreaterThan(ended.get(parent) as number);
    }
  });

  it('never runs more jobs on a worker than it has slots', async () => {
    const running = new Map<string, number>();
    const peak = new Map<string, number>();
    await executeDag(fanOut(12), {
      workers: [
        { name: 'w1', slots: 2 },
        { name: 'w2', slots: 1 },
      ],
      retries: 0,
      rng: createRng(2),
      launch: async ({ worker }) => {
        running.set(worker, (running.get(worker) ?? 0) + 1);
        peak.set(worker, Math.max(peak.get(worker) ?? 0, running.get(worker) as number));
        await tick(3);
        running.set(worker, (running.get(worker) as number) - 1);
        return { ok: true, value: null };
      },
    });
    expect(peak.get('w1')).toBe(2);
    expect(peak.get('w2')).toBe(1);
  });

  it('retries a failed job and gives the attempt number', async () => {
    const attempts: number[] = [];
    const results = await executeDag([{ name: 'flaky', parents: [] }], {
      workers: [{ name: 'w1', slots: 1 }],
      retries: 2,
      rng: createRng(3),
      launch: async ({ attempt }) => {
        attempts.push(attempt);
        return { ok: attempt === 3, value: attempt };
      },
    });
    expect(attempts).toEqual([1, 2, 3]);
    expect(results.get('flaky')).toMatchObject({ status: 'succeeded', attempts: 3, value: 3 });
  });

  it('skips the descendants of a job that failed for good and finishes independent branches', async () => {
    const nodes: DagNode[] = [...diamond, { name: 'e', parents: [] }];
    const results = await executeDag(nodes, {
      workers: [{ name: 'w1', slots: 1 }],
      retries: 1,
      rng: createRng(4),
      launch: async ({ node }) => ({ ok: node.name !== 'b', value: node.name }),
    });
    expect(results.get('b')).toMatchObject({ status: 'failed', attempts: 2 });
    expect(results.get('d')?.status).toBe('skipped');
    expect(results.get('c')?.status).toBe('succeeded');
    expect(results.get('e')?.status).toBe('succeeded');
  });

  it('places jobs the same way for the same seed and differently for another', async () => {
    const placement = async (seed: number) => {
      const out: string[] = [];
      await executeDag(fanOut(16), {
        workers: [
          { name: 'w1', slots: 1 },
          { name: 'w2', slots: 1 },
          { name: 'w3', slots: 1 },
        ],
        retries: 0,
        rng: createRng(seed),
        // Completing in submission order makes the event sequence independent of timers.
        launch: async (context: AttemptContext<DagNode>) => {
          out.push(`${context.node.name}@${context.worker}`);
          return { ok: true, value: null };
        },
      });
      return out.join(',');
    };
    expect(await placement(7)).toBe(await placement(7));
    expect(await placement(7)).not.toBe(await placement(8));
  });

  it('records ready as the finish time of the last parent and submit at or after it', async () => {
    const contexts = new Map<string, AttemptContext<DagNode>>();
    const finished = new Map<string, number>();
    await executeDag(diamond, {
      workers: [{ name: 'w1', slots: 1 }],
      retries: 0,
      rng: createRng(5),
      startedAt: 1000,
      launch: async (context) => {
        contexts.set(context.node.name, context);
        await tick(4);
        finished.set(context.node.name, Date.now());
        return { ok: true, value: null };
      },
    });
    expect(contexts.get('a')?.readyAt).toBe(1000);
    const d = contexts.get('d') as AttemptContext<DagNode>;
    expect(d.readyAt).toBeGreaterThanOrEqual(Math.max(finished.get('b') as number, finished.get('c') as number));
    expect(d.submitAt).toBeGreaterThanOrEqual(d.readyAt);
  });

  it('stops dispatching when the signal aborts and waits for running jobs', async () => {
    const controller = new AbortController();
    const started: string[] = [];
    const results = await executeDag(fanOut(6), {
      workers: [{ name: 'w1', slots: 1 }],
      retries: 0,
      rng: createRng(6),
      signal: controller.signal,
      launch: async ({ node }) => {
        started.push(node.name);
        if (node.name === 'leaf0') controller.abort();
        await tick(2);
        return { ok: true, value: null };
      },
    });
    expect(started).toEqual(['root', 'leaf0']);
    expect(results.get('sink')?.status).toBe('skipped');
  });
});
