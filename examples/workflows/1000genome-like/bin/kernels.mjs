// The CPU-bound kernels of the 1000genome-like jobs, run on every core of the worker by `runParallel` (one task =
// one block of variants or individuals). Pure functions over SharedArrayBuffers: no top-level side effects.

/**
 * Linkage of one block of variants: the r^2 of each variant with the next `window` ones, over centred genotypes
 * stored variant-major (`centred[v * individuals + i]`). Returns [sum of r^2, number of pairs].
 */
export function linkage(task, { centred, norms, individuals, variants, window, block }) {
  let sum = 0;
  let pairs = 0;
  const end = Math.min(variants, (task + 1) * block);
  for (let v = task * block; v < end; v++) {
    if (norms[v] === 0) continue;
    const a = v * individuals;
    for (let w = v + 1; w < Math.min(variants, v + 1 + window); w++) {
      if (norms[w] === 0) continue;
      const b = w * individuals;
      let cov = 0;
      for (let i = 0; i < individuals; i++) cov += centred[a + i] * centred[b + i];
      sum += (cov * cov) / (norms[v] * norms[w]);
      pairs++;
    }
  }
  return [sum, pairs];
}

/**
 * Bootstrap of one block of damaging variants: for every round, the alternate-allele frequency over that round's
 * resampled individuals; returns the `variant\tmean\tlow\thigh` lines of the block (95% percentile interval).
 * `carriers` is member-major (`carriers[member * damagingCount + d]`, alternate alleles), `samples` round-major.
 */
export function bootstrap(task, { carriers, damaging, samples, members, rounds, block }) {
  const count = damaging.length;
  const start = task * block;
  const end = Math.min(count, start + block);
  const width = end - start;
  const estimates = new Float64Array(width * rounds);
  const sums = new Float64Array(width);
  for (let r = 0; r < rounds; r++) {
    sums.fill(0);
    for (let s = 0; s < members; s++) {
      const row = samples[r * members + s] * count + start;
      for (let d = 0; d < width; d++) sums[d] += carriers[row + d];
    }
    for (let d = 0; d < width; d++) estimates[d * rounds + r] = sums[d] / (2 * members);
  }
  const lines = [];
  for (let d = 0; d < width; d++) {
    const sorted = estimates.subarray(d * rounds, (d + 1) * rounds).sort();
    let mean = 0;
    for (let r = 0; r < rounds; r++) mean += sorted[r];
    mean /= rounds;
    const low = sorted[Math.floor(0.025 * rounds)];
    const high = sorted[Math.floor(0.975 * (rounds - 1))];
    lines.push(`${damaging[start + d]}\t${mean.toFixed(5)}\t${low.toFixed(5)}\t${high.toFixed(5)}`);
  }
  return lines;
}

/**
 * Shared damaging mutations of individual `task` with every later one: returns [sharedCount, pairs] entries as a
 * flat histogram (index = shared count). `carrying` is member-major 0/1 (`carrying[member * damagingCount + d]`).
 */
export function overlap(task, { carrying, members, damagingCount }) {
  const histogram = [];
  const a = task * damagingCount;
  for (let other = task + 1; other < members; other++) {
    const b = other * damagingCount;
    let shared = 0;
    for (let d = 0; d < damagingCount; d++) shared += carrying[a + d] & carrying[b + d];
    histogram[shared] = (histogram[shared] ?? 0) + 1;
  }
  return histogram;
}
