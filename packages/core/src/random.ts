import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plus, xoroshiro128plusFromState } from 'pure-rand/generator/xoroshiro128plus';
import type { JumpableRandomGenerator } from 'pure-rand/types/JumpableRandomGenerator';
import { ProteusError } from './proteus-error.js';

/** A serializable snapshot of a generator, for checkpoints that must resume exactly. */
export interface RngState {
  algorithm: 'xoroshiro128plus';
  state: number[];
}

/** A seeded random source (xoroshiro128+ from pure-rand). Every random choice in Proteus goes through one. */
export interface Rng {
  /** Uniform in [0, 1). */
  float(): number;
  /** Uniform integer in [min, max], both included. */
  int(min: number, max: number): number;
  /** Standard normal (Box-Muller). */
  normal(): number;
  /** A new array with the items in random order (Fisher-Yates). */
  shuffle<T>(items: readonly T[]): T[];
  /** `count` distinct items drawn without replacement. */
  sample<T>(items: readonly T[], count: number): T[];
  /** An independent stream 2^64 steps away; this generator advances too. */
  fork(): Rng;
  /** Snapshot to resume later with `restoreRng`. */
  save(): RngState;
}

/**
 * Creates a seeded generator.
 * @example const rng = createRng(42); rng.shuffle([1, 2, 3]);
 * @throws ProteusError PROTEUS_CORE_INVALID_SEED when the seed is not a safe integer
 */
export function createRng(seed: number): Rng {
  if (!Number.isSafeInteger(seed)) {
    throw new ProteusError('PROTEUS_CORE_INVALID_SEED', `core/createRng: seed must be an integer, got ${String(seed)}`);
  }
  return wrap(xoroshiro128plus((seed | 0) ^ (Math.floor(seed / 2 ** 32) | 0)));
}

/**
 * Restores a generator saved with `rng.save()`.
 * @throws ProteusError PROTEUS_CORE_INVALID_RNG_STATE for a malformed snapshot
 */
export function restoreRng(saved: RngState): Rng {
  if (
    saved?.algorithm !== 'xoroshiro128plus' ||
    !Array.isArray(saved.state) ||
    saved.state.length !== 4 ||
    !saved.state.every(Number.isInteger)
  ) {
    throw new ProteusError(
      'PROTEUS_CORE_INVALID_RNG_STATE',
      'core/restoreRng: expected { algorithm: "xoroshiro128plus", state: [4 integers] }',
      {
        details: saved,
      },
    );
  }
  return wrap(xoroshiro128plusFromState(saved.state));
}

function wrap(generator: JumpableRandomGenerator): Rng {
  let spareNormal: number | undefined;
  const rng: Rng = {
    float: () => uniformFloat64(generator),
    int(min, max) {
      if (!Number.isInteger(min) || !Number.isInteger(max) || max < min) {
        throw new ProteusError('PROTEUS_CORE_INVALID_RANGE', `core/Rng.int: invalid range [${min}, ${max}]`);
      }
      return uniformInt(generator, min, max);
    },
    normal() {
      if (spareNormal !== undefined) {
        const value = spareNormal;
        spareNormal = undefined;
        return value;
      }
      const u = 1 - uniformFloat64(generator);
      const v = uniformFloat64(generator);
      const radius = Math.sqrt(-2 * Math.log(u));
      spareNormal = radius * Math.sin(2 * Math.PI * v);
      return radius * Math.cos(2 * Math.PI * v);
    },
    shuffle(items) {
      const out = items.slice();
      for (let i = out.length - 1; i > 0; i--) {
        const j = uniformInt(generator, 0, i);
        const tmp = out[i] as (typeof out)[number];
        out[i] = out[j] as (typeof out)[number];
        out[j] = tmp;
      }
      return out;
    },
    sample(items, count) {
      if (!Number.isInteger(count) || count < 0 || count > items.length) {
        throw new ProteusError(
          'PROTEUS_CORE_INVALID_RANGE',
          `core/Rng.sample: cannot draw ${count} of ${items.length} items`,
        );
      }
      return rng.shuffle(items).slice(0, count);
    },
    fork() {
      const child = generator.clone();
      child.jump();
      generator.jump();
      generator.jump();
      return wrap(child);
    },
    save: () => ({ algorithm: 'xoroshiro128plus', state: [...generator.getState()] }),
  };
  return rng;
}
