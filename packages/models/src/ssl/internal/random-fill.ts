/*
 * Seeded bulk randomness for the SSL training step. Gumbel and dropout noise are ~650k values per step at B=32,
 * N=137, hidden 64; they are written as uniforms straight into preallocated buffers by one branch-free xorshift128
 * loop (the training graph turns them into Gumbel noise and dropout masks, vectorized). A closure call and a
 * data-dependent branch per value cost ~15 ms per step on the shared 2-core machine.
 */
import type { Rng } from '@proteus-wf/core';

/** Fills buffers from one xorshift128 stream seeded by a core `Rng`. */
export interface RandomFill {
  /** Overwrites `out` with uniform values in (0, 1) (never exactly 0 or 1, so `log(u)` is finite). */
  uniform(out: Float32Array): void;
}

/** 2^-32. */
const SCALE = 1 / 4294967296;

/**
 * Creates a bulk uniform filler seeded from `rng` (the same `rng` state gives the same stream).
 * @example const fill = createRandomFill(createRng(1)); const noise = new Float32Array(1000); fill.uniform(noise);
 */
export function createRandomFill(rng: Rng): RandomFill {
  // Signed int32 state throughout: V8 keeps the loop in int32 registers (uint32 values above 2^31 would be doubles).
  const state = new Int32Array(4);
  for (let i = 0; i < 4; i++) state[i] = rng.int(1, 0x7fffffff);
  return {
    uniform(out) {
      let a = state[0] as number;
      let b = state[1] as number;
      let c = state[2] as number;
      let d = state[3] as number;
      for (let i = 0; i < out.length; i++) {
        const t = a ^ (a << 11);
        a = b;
        b = c;
        c = d;
        d = d ^ (d >>> 19) ^ t ^ (t >>> 8);
        // (d >>> 0) + 0.5 over 2^32 lies in (0, 1) in float64; float32 rounding could reach 1.0 at the very top, so
        // clamp to the largest float32 below 1.
        out[i] = Math.min(((d >>> 0) + 0.5) * SCALE, 0.99999994);
      }
      state[0] = a;
      state[1] = b;
      state[2] = c;
      state[3] = d;
    },
  };
}
