import type { FeatureSet } from '@proteus-wf/features';
import { hopDistances, type WorkflowGraph } from '@proteus-wf/workflow-graph';

/**
 * Runs of the large instance made from runs of the small one: job j of type T in the large DAG gets the features and
 * label of the (k mod count(T))-th job of type T in the same small run, and its own `node_hop` in the large DAG.
 */
export function mapOntoInstance(
  small: FeatureSet,
  large: WorkflowGraph,
  runs: readonly number[],
): { features: FeatureSet; source: number[] } {
  const width = small.featureNames.length;
  const byType = new Map<string, number[]>();
  small.graph.jobs().forEach((job, node) => {
    byType.set(job.transformation, [...(byType.get(job.transformation) ?? []), node]);
  });
  const seen = new Map<string, number>();
  const source = large.jobs().map((job) => {
    const nodes = byType.get(job.transformation) as number[];
    const k = seen.get(job.transformation) ?? 0;
    seen.set(job.transformation, k + 1);
    return nodes[k % nodes.length] as number;
  });
  const hop = small.featureNames.indexOf('node_hop');
  const hops = hopDistances(large);
  const n = large.size;
  const values = new Float32Array(runs.length * n * width);
  const jobLabels: string[] = [];
  runs.forEach((run, r) => {
    source.forEach((node, j) => {
      const from = (run * small.jobsPerRun + node) * width;
      values.set(small.values.subarray(from, from + width), (r * n + j) * width);
      if (hop >= 0) values[(r * n + j) * width + hop] = hops[j] as number;
      jobLabels.push(small.jobLabels[run * small.jobsPerRun + node] as string);
    });
  });
  const features = {
    ...small,
    graph: large,
    jobsPerRun: n,
    runs: runs.map((run) => small.runs[run]!),
    values,
    jobLabels,
  };
  return { features, source };
}
