// The CPU-bound kernel of the montage-like jobs, run on every core of the worker by `runParallel` (one task = one
// block of output rows). A pure function over SharedArrayBuffers: no top-level side effects.

/**
 * Reprojects rows [task * block, (task + 1) * block) of a square tile: each output pixel is the mean of
 * `oversample`² bilinear samples of the raw tile rotated by `angle` about its centre (a drizzle-like resampling).
 */
export function reproject(task, { raw, pixels, size, angle, oversample, block }) {
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  const half = size / 2;
  const weight = 1 / (oversample * oversample);
  const end = Math.min(size, (task + 1) * block);
  for (let y = task * block; y < end; y++) {
    for (let x = 0; x < size; x++) {
      let value = 0;
      for (let sy = 0; sy < oversample; sy++) {
        const py = y + (sy + 0.5) / oversample - 0.5;
        for (let sx = 0; sx < oversample; sx++) {
          const px = x + (sx + 0.5) / oversample - 0.5;
          const u = cos * (px - half) - sin * (py - half) + half;
          const v = sin * (px - half) + cos * (py - half) + half;
          const ix = Math.min(size - 2, Math.max(0, Math.floor(u)));
          const iy = Math.min(size - 2, Math.max(0, Math.floor(v)));
          const fx = Math.min(1, Math.max(0, u - ix));
          const fy = Math.min(1, Math.max(0, v - iy));
          const p = iy * size + ix;
          value +=
            raw[p] * (1 - fx) * (1 - fy) +
            raw[p + 1] * fx * (1 - fy) +
            raw[p + size] * (1 - fx) * fy +
            raw[p + size + 1] * fx * fy;
        }
      }
      pixels[y * size + x] = value * weight;
    }
  }
  return end - task * block;
}
