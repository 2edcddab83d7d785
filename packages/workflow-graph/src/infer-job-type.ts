/** Job-name prefixes that Pegasus adds to the executable workflow, with the trace `type` they get. */
const PREFIXES: ReadonlyArray<readonly [prefix: string, type: string, transformation: string]> = [
  ['create_dir_', 'auxiliary', 'create_dir'],
  ['cleanup_', 'auxiliary', 'cleanup'],
  ['register_', 'auxiliary', 'register'],
  ['chmod_', 'auxiliary', 'chmod'],
  ['stage_in_', 'transfer', 'stage_in'],
  ['stage_out_', 'transfer', 'stage_out'],
  ['stage_inter_', 'transfer', 'stage_inter'],
  ['stage_worker_', 'transfer', 'stage_worker'],
  ['pegasus-plan_', 'subwf', 'pegasus-plan'],
];

/**
 * Infers a job's trace `type` and transformation from a Pegasus executable-workflow job name, for formats that carry
 * only names (Flow-Bench adjacency JSON, DAGMan). Matches the `type` column of the Flow-Bench CSVs: `create_dir_*`,
 * `cleanup_*`, `register_*` are `auxiliary`; `stage_*` are `transfer`; `pegasus-plan_*` are `subwf`; the rest are
 * `compute` jobs whose transformation is the name without its `_IDnnnnnnn` suffix (`mDiffFit_ID0000123` -> `mDiffFit`).
 *
 * @example inferJobType('stage_in_local_condorpool_0_0'); // { type: 'transfer', transformation: 'stage_in' }
 */
export function inferJobType(name: string): { type: string; transformation: string } {
  for (const [prefix, type, transformation] of PREFIXES) {
    if (name.startsWith(prefix)) return { type, transformation };
  }
  // Clustered jobs (merge_<transformation>_PID...) keep the clustered transformation's name.
  const clustered = /^merge_(.+?)_PID\d+/.exec(name);
  if (clustered?.[1] !== undefined) return { type: 'compute', transformation: clustered[1] };
  const transformation = name.replace(/_ID\d+$/, '');
  return { type: 'compute', transformation: transformation === '' ? name : transformation };
}
