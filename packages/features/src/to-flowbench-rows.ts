import type { JobRecord } from '@proteus-wf/core';
import type { FlowBenchCsvRow } from './format-flowbench-csv.js';

/** Options of {@link toFlowBenchRows}: what a run's job records do not carry. */
export interface ToFlowBenchRowsOptions {
  /** A job's parents in the executed DAG; `ready` is recomputed from them as Poseidon-X does. */
  parents: (job: string) => readonly string[];
  /** The workflow start: the `ready` of a root job. */
  workflowStart: number;
  /** Job name -> `None` or an anomaly name; a job missing here is labelled `None` (normal). */
  labels?: ReadonlyMap<string, string>;
  /** Worker name -> site (the `kickstart_site` column); unknown workers give `local`. */
  sites?: ReadonlyMap<string, string>;
  /** The `kickstart_user` column (Poseidon-X: the submit user). Default empty. */
  user?: string;
}

/**
 * Turns one run's job records into gen-2 Flow-Bench rows, sorted by `ready` (ties by job name): the form
 * `formatFlowBenchCsv` writes and `buildDataset` loads. Composite columns follow Poseidon-X
 * `PoseidonStatistics.py:168-204` (testbeds.md §1.7 step 5): `ready` is the workflow start for a root, else the
 * latest parent's post-script end (or execute end); `wms_delay` = (pre-script start or submit) − ready; `queue_delay`
 * = execute start − submit; `runtime` = execute end − execute start; script and stage delays are end − start.
 * @example toFlowBenchRows(run.jobs, { parents: (job) => graph.parents(job), workflowStart: run.startedAt })
 * @throws never
 */
export function toFlowBenchRows(
  jobs: readonly JobRecord[],
  options: ToFlowBenchRowsOptions,
): Array<FlowBenchCsvRow & { ready: number }> {
  const byName = new Map(jobs.map((job) => [job.job, job]));
  const rows = jobs.map((job) => toRow(job, readyOf(job, options.parents(job.job), byName, options), options));
  rows.sort((a, b) => a.ready - b.ready || (a.job < b.job ? -1 : a.job > b.job ? 1 : 0));
  return rows;
}

function readyOf(
  job: JobRecord,
  parents: readonly string[],
  byName: ReadonlyMap<string, JobRecord>,
  options: ToFlowBenchRowsOptions,
): number {
  if (parents.length === 0) return options.workflowStart;
  let ready = Number.NEGATIVE_INFINITY;
  for (const name of parents) {
    const parent = byName.get(name);
    // NOTE: a parent without a record (it never ran) leaves the record's own ready time as the answer.
    if (!parent) return job.ready;
    ready = Math.max(ready, parent.postScriptEnd ?? parent.executeEnd);
  }
  return ready;
}

function toRow(job: JobRecord, ready: number, options: ToFlowBenchRowsOptions): FlowBenchCsvRow & { ready: number } {
  const runtime = job.executeEnd - job.executeStart;
  return {
    job: job.job,
    anomaly_type: options.labels?.get(job.job) ?? 'None',
    type: job.type,
    is_clustered: 0,
    ready,
    pre_script_start: job.preScriptStart ?? null,
    pre_script_end: job.preScriptEnd ?? null,
    submit: job.submit,
    stage_in_start: job.stageInStart ?? null,
    stage_in_end: job.stageInEnd ?? null,
    stage_in_effective_bytes_per_sec: rate(job.stageInBytes, job.stageInStart, job.stageInEnd),
    execute_start: job.executeStart,
    execute_end: job.executeEnd,
    stage_out_start: job.stageOutStart ?? null,
    stage_out_end: job.stageOutEnd ?? null,
    stage_out_effective_bytes_per_sec: rate(job.stageOutBytes, job.stageOutStart, job.stageOutEnd),
    post_script_start: job.postScriptStart ?? null,
    post_script_end: job.postScriptEnd ?? null,
    wms_delay: (job.preScriptStart ?? job.submit) - ready,
    pre_script_delay: difference(job.preScriptStart, job.preScriptEnd),
    queue_delay: job.executeStart - job.submit,
    runtime,
    post_script_delay: difference(job.postScriptStart, job.postScriptEnd),
    stage_in_delay: difference(job.stageInStart, job.stageInEnd),
    stage_in_bytes: job.stageInStart === undefined ? null : (job.stageInBytes ?? null),
    stage_out_delay: difference(job.stageOutStart, job.stageOutEnd),
    stage_out_bytes: job.stageOutStart === undefined ? null : (job.stageOutBytes ?? null),
    kickstart_user: options.user ?? '',
    kickstart_site: options.sites?.get(job.worker) ?? 'local',
    kickstart_hostname: job.worker,
    kickstart_transformations: job.transformation,
    kickstart_executables: job.executable,
    kickstart_executables_argv: job.argv.join(' '),
    kickstart_executables_cpu_time: job.cpuTimeSeconds,
    // Stampede's composite `status`: 0 succeeded, -1 failed.
    kickstart_status: job.exitCode === 0 ? 0 : -1,
    kickstart_executables_exitcode: job.exitCode,
    kickstart_online_iowait: null,
    kickstart_online_bytes_read: job.bytesRead,
    kickstart_online_bytes_written: job.bytesWritten,
    kickstart_online_read_system_calls: job.readSyscalls ?? null,
    kickstart_online_write_system_calls: job.writeSyscalls ?? null,
    kickstart_online_utime: job.userSeconds ?? null,
    kickstart_online_stime: job.systemSeconds ?? null,
    kickstart_online_bytes_read_per_second: runtime > 0 ? job.bytesRead / runtime : null,
    kickstart_online_bytes_written_per_second: runtime > 0 ? job.bytesWritten / runtime : null,
  };
}

function difference(start: number | undefined, end: number | undefined): number | null {
  return start === undefined || end === undefined ? null : end - start;
}

/** Poseidon-X writes 0.0 when a job had no transfer of that direction (FlowBench rows show `0.0`, not empty). */
function rate(bytes: number | undefined, start: number | undefined, end: number | undefined): number {
  if (bytes === undefined || start === undefined || end === undefined || end <= start) return 0;
  return bytes / (end - start);
}
