/**
 * Trace schemas of the two Flow-Bench generations, in published column order (after the unnamed job-name column).
 * Reference: ../shared/datasets/README.md; Jin et al., WORKS 2022 (gen-1); Papadimitriou et al., arXiv:2306.09930 (gen-2).
 */

/** A trace generation: 1 = 2019–2020 ExoGENI traces of the GNN paper (run-level labels), 2 = Flow-Bench 2022–2024. */
export type Generation = 1 | 2;

/**
 * The 28 gen-1 columns (exogeni-2020), after the job name.
 * @example GEN1_COLUMNS.length; // 28
 */
export const GEN1_COLUMNS = [
  'type',
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
  'kickstart_user',
  'kickstart_site',
  'kickstart_hostname',
  'kickstart_transformations',
  'kickstart_executables',
  'kickstart_executables_argv',
  'kickstart_executables_cpu_time',
  'kickstart_status',
  'kickstart_executables_exitcode',
] as const;

/**
 * The 44 gen-2 columns (Flow-Bench), after the job name.
 * @example GEN2_COLUMNS[0]; // 'anomaly_type'
 */
export const GEN2_COLUMNS = [
  'anomaly_type',
  'type',
  'is_clustered',
  'ready',
  'pre_script_start',
  'pre_script_end',
  'submit',
  'stage_in_start',
  'stage_in_end',
  'stage_in_effective_bytes_per_sec',
  'execute_start',
  'execute_end',
  'stage_out_start',
  'stage_out_end',
  'stage_out_effective_bytes_per_sec',
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
  'kickstart_user',
  'kickstart_site',
  'kickstart_hostname',
  'kickstart_transformations',
  'kickstart_executables',
  'kickstart_executables_argv',
  'kickstart_executables_cpu_time',
  'kickstart_status',
  'kickstart_executables_exitcode',
  'kickstart_online_iowait',
  'kickstart_online_bytes_read',
  'kickstart_online_bytes_written',
  'kickstart_online_read_system_calls',
  'kickstart_online_write_system_calls',
  'kickstart_online_utime',
  'kickstart_online_stime',
  'kickstart_online_bytes_read_per_second',
  'kickstart_online_bytes_written_per_second',
] as const;

/** A gen-2 column name (gen-1 columns are a subset). */
export type TraceColumn = (typeof GEN2_COLUMNS)[number];

/**
 * Columns that hold text; every other trace column is numeric.
 * @example TEXT_COLUMNS.includes('kickstart_hostname'); // true
 */
export const TEXT_COLUMNS: readonly TraceColumn[] = [
  'anomaly_type',
  'type',
  'kickstart_user',
  'kickstart_site',
  'kickstart_hostname',
  'kickstart_transformations',
  'kickstart_executables',
  'kickstart_executables_argv',
];

/**
 * Epoch-second columns; feature pipelines turn them into offsets from the run start.
 * @example TIMESTAMP_COLUMNS.includes('execute_start'); // true
 */
export const TIMESTAMP_COLUMNS: readonly TraceColumn[] = [
  'ready',
  'pre_script_start',
  'pre_script_end',
  'submit',
  'stage_in_start',
  'stage_in_end',
  'execute_start',
  'execute_end',
  'stage_out_start',
  'stage_out_end',
  'post_script_start',
  'post_script_end',
];

/**
 * The composite (Listing 1) columns that `computeCompositeFeatures` derives from raw timestamps.
 * @example DELAY_COLUMNS.length; // 7
 */
export const DELAY_COLUMNS = [
  'wms_delay',
  'pre_script_delay',
  'queue_delay',
  'runtime',
  'post_script_delay',
  'stage_in_delay',
  'stage_out_delay',
] as const;

/** One of `DELAY_COLUMNS`. */
export type DelayColumn = (typeof DELAY_COLUMNS)[number];

const TEXT = new Set<string>(TEXT_COLUMNS);
const TIMESTAMPS = new Set<string>(TIMESTAMP_COLUMNS);

/**
 * The published columns of a generation.
 * @example traceColumns(1).length; // 28
 */
export function traceColumns(generation: Generation): readonly TraceColumn[] {
  return generation === 1 ? GEN1_COLUMNS : GEN2_COLUMNS;
}

/**
 * True for text columns (`type`, `kickstart_hostname`, ...).
 * @example isTextColumn('type'); // true
 */
export function isTextColumn(column: string): boolean {
  return TEXT.has(column);
}

/**
 * True for epoch-second columns.
 * @example isTimestampColumn('submit'); // true
 */
export function isTimestampColumn(column: string): boolean {
  return TIMESTAMPS.has(column);
}

/**
 * The columns a CSV of this generation may leave out because `loadFlowBench` derives them from raw timestamps:
 * `ready` and the delays (gen-1 has no `stage_*_start/end`, so its stage delays cannot be derived).
 */
export function derivableColumns(generation: Generation): ReadonlySet<string> {
  const derived: string[] = ['ready', 'wms_delay', 'pre_script_delay', 'queue_delay', 'runtime', 'post_script_delay'];
  if (generation === 2) derived.push('stage_in_delay', 'stage_out_delay');
  return new Set(derived);
}
