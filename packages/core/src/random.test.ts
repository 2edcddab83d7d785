import { describe, expect, it } from 'vitest';
import { createRng, restoreRng } from './random.js';

describe('createRng', () => {
  it('is deterministic for a seed and differs across seeds', () => {
    const sequence = (seed: number) => {
      const rng = createRng(seed);
      return Array.from({ length: 5 }, () => rng.float());
    };
    expect(sequence(7)).toEqual(sequence(7));
    expect(sequence(7)).not.toEqual(sequence(8));
  });

  it('draws uniform floats with the right mean and integers inside the range', () => {
    const rng = createRng(1);
    let sum = 0;
    for (let i = 0; i < 20_000; i++) sum += rng.float();
    expect(sum / 20_000).toBeCloseTo(0.5, 1);
    for (let i = 0; i < 1000; i++) {
      const value = rng.int(3, 5);
      expect(value).toBeGreaterThanOrEqual(3);
      expect(value).toBeLessThanOrEqual(5);
    }
  });

  it('draws standard normals', () => {
    const rng = createRng(2);
    const values = Array.from({ length: 20_000 }, () => rng.normal());
    const mean = values.reduce((s, v) => s + v, 0) / values.length;
    const variance = values.reduce((s, v) => s + (v - mean) ** 2, 0) / values.length;
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(Math.abs(variance - 1)).toBeLessThan(0.05);
  });

  it('shuffles into a permutation and samples without replacement', () => {
    const rng = createRng(3);
    const items = Array.from({ length: 50 }, (_, i) => i);
    expect(rng.shuffle(items).sort((x, y) => x - y)).toEqual(items);
    const picked = rng.sample(items, 10);
    expect(new Set(picked).size).toBe(10);
    expect(() => rng.sample(items, 51)).toThrow(expect.objectContaining({ code: 'PROTEUS_CORE_INVALID_RANGE' }));
  });

  it('resumes exactly from a saved state', () => {
    const rng = createRng(4);
    rng.float();
    const saved = JSON.parse(JSON.stringify(rng.save()));
    const expected = [rng.float(), rng.int(0, 100)];
    const restored = restoreRng(saved);
    expect([restored.float(), restored.int(0, 100)]).toEqual(expected);
  });

  it('rejects a non-integer seed and a malformed state', () => {
    expect(() => createRng(1.5)).toThrow(expect.objectContaining({ code: 'PROTEUS_CORE_INVALID_SEED' }));
    expect(() => restoreRng({ algorithm: 'xoroshiro128plus', state: [1] })).toThrow(
      expect.objectContaining({ code: 'PROTEUS_CORE_INVALID_RNG_STATE' }),
    );
  });

  it('forks independent streams', () => {
    const parent = createRng(5);
    const child = parent.fork();
    expect(child.float()).not.toBe(parent.float());
  });
});
