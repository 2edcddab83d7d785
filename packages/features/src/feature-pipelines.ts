/*
 * Named, versioned feature pipelines.
 * Reference: Jin et al., WORKS 2022 §IV (24 features, ml.md §1.3 A); Flow-Bench `feature_option="v1"` (ml.md §1.3 C).
 */
import { GEN1_COLUMNS, GEN2_COLUMNS, type Generation, isTextColumn } from './trace-schema.js';

/** The name of a built-in pipeline. */
export type FeaturePipelineName = 'works22' | 'flowbench-v1' | 'full';

/** A feature pipeline: which features, in which order. Bump `version` whenever the output of a pipeline changes. */
export interface FeaturePipeline {
  name: FeaturePipelineName;
  version: number;
  description: string;
  /** Feature names in tensor order. `auxiliary`/`compute`/`transfer`/`subwf` are the one-hot of `type`; `node_hop` the hop distance. */
  featureNames(generation: Generation): string[];
}

/** One-hot job types in the fixed order used by every pipeline (pandas `get_dummies` order, `subwf` last). */
export const JOB_TYPES = ['auxiliary', 'compute', 'transfer', 'subwf'] as const;

/** The feature holding each job's hop distance from the nearest root. */
export const NODE_HOP = 'node_hop';

const WORKS22 = [
  'auxiliary',
  'compute',
  'transfer',
  'is_clustered',
  'ready',
  'pre_script_start',
  'pre_script_end',
  'submit',
  'execute_start',
  'execute_end',
  'post_script_start',
  'post_script_end',
  'wms_delay',
  'pre_script_delay',
  'queue_delay',
  'runtime',
  'post_script_delay',
  'stage_in_delay',
  'stage_in_bytes',
  'stage_out_delay',
  'stage_out_bytes',
  'kickstart_executables_cpu_time',
  'kickstart_status',
  'kickstart_executables_exitcode',
];

const FLOWBENCH_V1 = [
  'wms_delay',
  'queue_delay',
  'runtime',
  'post_script_delay',
  'stage_in_delay',
  'stage_out_delay',
  NODE_HOP,
];

/**
 * The built-in pipelines. Timestamps always become offsets from the run start before missing values become 0.
 * - `works22` v1: the GNN paper's 24 features in its exact order (a `subwf` job has all three one-hot bits 0).
 * - `flowbench-v1` v1: Flow-Bench's default, 6 delays + `node_hop` (computed per node id, unlike the reference).
 * - `full` v1: the 4 job-type bits, every numeric trace column of the generation in schema order, `node_hop`.
 *
 * @example FEATURE_PIPELINES.works22.featureNames(1).length; // 24
 */
export const FEATURE_PIPELINES: Readonly<Record<FeaturePipelineName, FeaturePipeline>> = Object.freeze({
  works22: {
    name: 'works22',
    version: 1,
    description:
      'WORKS 2022 GNN paper: type one-hot (3), is_clustered, timestamps as run offsets, delays, bytes, kickstart cpu/status/exitcode (24)',
    featureNames: () => WORKS22.slice(),
  },
  'flowbench-v1': {
    name: 'flowbench-v1',
    version: 1,
    description: 'Flow-Bench v1: wms, queue, runtime, post-script, stage-in and stage-out delays + hop distance (7)',
    featureNames: () => FLOWBENCH_V1.slice(),
  },
  full: {
    name: 'full',
    version: 1,
    description:
      'Every numeric trace column (timestamps as run offsets, kickstart_online_* in gen-2) + type one-hot + hop distance',
    featureNames: (generation: Generation) => [
      ...JOB_TYPES,
      ...(generation === 1 ? GEN1_COLUMNS : GEN2_COLUMNS).filter((c) => !isTextColumn(c)),
      NODE_HOP,
    ],
  },
});
