// `trainSsl`'s `screen`: which training jobs or runs look normal before any training, by a training-free score.
import { aggregateJobScores } from '../../metrics/aggregate-job-scores.js';
import { fitJobStatistics, quantile } from './job-statistics.js';

/**
 * The training jobs (or runs) kept by `screen`: ranked by the training-free score (norm of the per-job standardized
 * features), the top `screen` fraction is dropped. Jobs: a 0/1 weight per job of `x` (0 = left out); runs: the kept
 * training runs.
 */
export function screenTrainingJobs(
  x: Float32Array,
  trainRuns: readonly number[],
  nodes: number,
  width: number,
  settings: { screen: number; screenBy: 'job' | 'run' },
): { jobWeight?: Float32Array; runs?: number[] } {
  const { mean, std } = fitJobStatistics(x, trainRuns, nodes, width);
  const block = nodes * width;
  const norms = new Float32Array(trainRuns.length * nodes);
  trainRuns.forEach((run, i) => {
    for (let k = 0; k < block; k++) {
      const z = ((x[run * block + k] as number) - (mean[k] as number)) / (std[k] as number);
      const at = i * nodes + Math.floor(k / width);
      norms[at] = (norms[at] as number) + z * z;
    }
  });
  if (settings.screenBy === 'run') {
    const runScores = aggregateJobScores(norms, nodes);
    const cut = quantile(Float32Array.from(runScores), 1 - settings.screen);
    const runs = trainRuns.filter((_, i) => (runScores[i] as number) <= cut);
    return { runs: runs.length > 0 ? runs : [...trainRuns] };
  }
  const cut = quantile(norms, 1 - settings.screen);
  const jobWeight = new Float32Array(x.length / width);
  trainRuns.forEach((run, i) => {
    for (let j = 0; j < nodes; j++) jobWeight[run * nodes + j] = (norms[i * nodes + j] as number) <= cut ? 1 : 0;
  });
  return { jobWeight };
}
