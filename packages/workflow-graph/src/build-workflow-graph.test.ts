import { describe, expect, it } from 'vitest';
import { buildWorkflowGraph } from './build-workflow-graph.js';

const job = (name: string) => ({ name, type: 'compute', transformation: 't' });
const build = (names: string[], edges: Array<[string, string]>) =>
  buildWorkflowGraph({ workflow: 'w', format: 'node-link', jobs: names.map(job), edges });

function errorOf(run: () => unknown): Record<string, unknown> {
  try {
    run();
  } catch (error) {
    return error as Record<string, unknown>;
  }
  throw new Error('expected a throw');
}

describe('buildWorkflowGraph', () => {
  it('merges duplicate edges', () => {
    expect(
      build(
        ['a', 'b'],
        [
          ['a', 'b'],
          ['a', 'b'],
        ],
      ).edgeCount,
    ).toBe(1);
  });

  it('throws PROTEUS_GRAPH_EMPTY without jobs', () => {
    expect(errorOf(() => build([], []))).toMatchObject({ code: 'PROTEUS_GRAPH_EMPTY' });
  });

  it('throws PROTEUS_GRAPH_DUPLICATE_JOB listing every repeated name and its positions', () => {
    expect(errorOf(() => build(['a', 'b', 'a', 'b', 'a'], []))).toMatchObject({
      code: 'PROTEUS_GRAPH_DUPLICATE_JOB',
      details: {
        duplicates: [
          { job: 'a', positions: [0, 2, 4] },
          { job: 'b', positions: [1, 3] },
        ],
      },
    });
  });

  it('throws PROTEUS_GRAPH_UNKNOWN_DEPENDENCY listing every bad edge at once', () => {
    expect(
      errorOf(() =>
        build(
          ['a'],
          [
            ['a', 'x'],
            ['y', 'z'],
          ],
        ),
      ),
    ).toMatchObject({
      code: 'PROTEUS_GRAPH_UNKNOWN_DEPENDENCY',
      details: {
        dependencies: [
          { parent: 'a', child: 'x', missing: ['x'] },
          { parent: 'y', child: 'z', missing: ['y', 'z'] },
        ],
      },
    });
  });

  it('throws PROTEUS_GRAPH_CYCLE with exactly the jobs on the cycle, in edge order', () => {
    // r -> a -> b -> c -> a, c -> d: the cycle is a, b, c; r and d are not on it.
    const error = errorOf(() =>
      build(
        ['r', 'a', 'b', 'c', 'd'],
        [
          ['r', 'a'],
          ['a', 'b'],
          ['b', 'c'],
          ['c', 'a'],
          ['c', 'd'],
        ],
      ),
    );
    expect(error.code).toBe('PROTEUS_GRAPH_CYCLE');
    const cycle = (error.details as { cycle: string[] }).cycle;
    expect([...cycle].sort()).toEqual(['a', 'b', 'c']);
    const next = (name: string) => ({ a: 'b', b: 'c', c: 'a' })[name];
    cycle.forEach((name, i) => {
      expect(next(name)).toBe(cycle[(i + 1) % cycle.length]);
    });
  });

  it('treats a self-loop as a cycle of one job', () => {
    expect(
      errorOf(() =>
        build(
          ['a', 'b'],
          [
            ['a', 'b'],
            ['b', 'b'],
          ],
        ),
      ),
    ).toMatchObject({ code: 'PROTEUS_GRAPH_CYCLE', details: { cycle: ['b'] } });
  });
});
