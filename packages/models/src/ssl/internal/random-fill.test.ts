import { createRng } from '@proteus-wf/core';
import { describe, expect, it } from 'vitest';
import { createRandomFill } from './random-fill.js';

describe('createRandomFill', () => {
  it('fills uniforms strictly inside (0, 1), seeded by the Rng, continuing the stream across calls', () => {
    const a = createRandomFill(createRng(3));
    const b = createRandomFill(createRng(3));
    const first = new Float32Array(100_000);
    const second = new Float32Array(100_000);
    a.uniform(first);
    b.uniform(second);
    expect(second).toEqual(first);
    a.uniform(second);
    expect(second).not.toEqual(first);
    let sum = 0;
    let below = 0;
    for (const u of first) {
      expect(u > 0 && u < 1).toBe(true);
      sum += u;
      if (u < 0.2) below++;
    }
    expect(sum / first.length).toBeCloseTo(0.5, 2);
    expect(below / first.length).toBeCloseTo(0.2, 2);
    const other = new Float32Array(100_000);
    createRandomFill(createRng(4)).uniform(other);
    expect(other).not.toEqual(first);
  });
});
