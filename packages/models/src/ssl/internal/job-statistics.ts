// Per-job statistics over training runs, shared by the per-job input standardization and the training-free screen.

/** Floor of the per-job standard deviation, in min-max units (1% of a feature's training range). */
const MIN_JOB_STD = 0.01;

/**
 * Mean and standard deviation of every (job, feature) over `runs` of `x` ([runs, N, F] row-major), std floored at
 * {@link MIN_JOB_STD}: the statistics of the per-job input standardization.
 * @example const { mean, std } = fitJobStatistics(x, split.train, 137, 7);
 */
export function fitJobStatistics(
  x: Float32Array,
  runs: readonly number[],
  nodes: number,
  width: number,
): { mean: Float32Array; std: Float32Array } {
  const block = nodes * width;
  const sum = new Float64Array(block);
  const squares = new Float64Array(block);
  for (const run of runs) {
    const base = run * block;
    for (let k = 0; k < block; k++) {
      const v = x[base + k] as number;
      sum[k] = (sum[k] as number) + v;
      squares[k] = (squares[k] as number) + v * v;
    }
  }
  const count = Math.max(runs.length, 1);
  const mean = Float32Array.from(sum, (s) => s / count);
  const std = Float32Array.from(squares, (q, k) =>
    Math.max(Math.sqrt(Math.max(q / count - (mean[k] as number) ** 2, 0)), MIN_JOB_STD),
  );
  return { mean, std };
}

/** The q-quantile of `values` with linear interpolation between order statistics (numpy's default). */
export function quantile(values: Float32Array, q: number): number {
  const sorted = Float64Array.from(values).sort();
  const position = q * (sorted.length - 1);
  const low = Math.floor(position);
  const high = Math.min(low + 1, sorted.length - 1);
  return (sorted[low] as number) + ((sorted[high] as number) - (sorted[low] as number)) * (position - low);
}
