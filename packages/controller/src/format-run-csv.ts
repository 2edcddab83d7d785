import type { JobRecord, WorkflowRunResult } from '@proteus-wf/core';
import { type FlowBenchCsvRow, formatFlowBenchCsv } from '@proteus-wf/features';
import { NONE_LABEL } from './label-jobs.js';

/** A workflow DAG as Flow-Bench publishes it: every job a key, mapped to its children (sinks map to `[]`). */
export type AdjacencyDag = Record<string, string[]>;

/** Options of {@link formatRunCsv}: the labels, DAG, sites and user that a run's job records do not carry. */
export interface FormatRunCsvOptions {
  /** Job name -> `None` or an anomaly name; a job missing here is labelled `None`. */
  labels: ReadonlyMap<string, string>;
  /** The executed DAG; `ready` is recomputed from it as Poseidon-X does. */
  dag: AdjacencyDag;
  /** Worker name -> site (the `kickstart_site` column); unknown workers give `local`. */
  sites?: ReadonlyMap<string, string>;
  /** The `kickstart_user` column (Poseidon-X: the submit user). */
  user: string;
}

/**
 * Turns a finished run into a Flow-Bench gen-2 CSV with `@proteus-wf/features`' writer (published column order,
 * pandas formatting, literal `None` for normal jobs): one row per job sorted by `ready` (ties by job name), empty
 * cells for phases a job did not have. Timestamps keep their sub-second digits (Poseidon-X rounded to `%.1f`; local
 * jobs are too short for that). Composite columns follow Poseidon-X `PoseidonStatistics.py:168-204` (testbeds.md
 * §1.7 step 5): `ready` is the workflow start for a root and otherwise the latest parent's post-script end (or execute
 * end); `wms_delay` = (pre-script start or submit) − ready; `queue_delay` = execute start − submit; `runtime` =
 * execute end − execute start; pre-script, post-script, stage-in and stage-out delays are end − start.
 * @example const csv = formatRunCsv(result, { labels, dag, user: 'proteus' });
 */
export function formatRunCsv(result: WorkflowRunResult, options: FormatRunCsvOptions): string {
  const byName = new Map(result.jobs.map((job) => [job.job, job]));
  const parents = new Map<string, string[]>();
  for (const [parent, children] of Object.entries(options.dag)) {
    for (const child of children) parents.set(child, [...(parents.get(child) ?? []), parent]);
  }
  const rows = result.jobs.map((job) =>
    toRow(job, readyOf(job, parents.get(job.job) ?? [], byName, result.startedAt), options),
  );
  rows.sort((a, b) => (a.ready as number) - (b.ready as number) || (a.job < b.job ? -1 : a.job > b.job ? 1 : 0));
  return formatFlowBenchCsv(rows);
}

function readyOf(job: JobRecord, parents: string[], byName: Map<string, JobRecord>, workflowStart: number): number {
  if (parents.length === 0) return workflowStart;
  let ready = Number.NEGATIVE_INFINITY;
  for (const name of parents) {
    const parent = byName.get(name);
    // NOTE: a parent without a record (it never ran) leaves the testbed's own ready time as the answer.
    if (!parent) return job.ready;
    ready = Math.max(ready, parent.postScriptEnd ?? parent.executeEnd);
  }
  return ready;
}

function toRow(job: JobRecord, ready: number, options: FormatRunCsvOptions): FlowBenchCsvRow & { ready: number } {
  const runtime = job.executeEnd - job.executeStart;
  return {
    job: job.job,
    anomaly_type: options.labels.get(job.job) ?? NONE_LABEL,
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
    kickstart_user: options.user,
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

/**
 * The adjacency JSON Flow-Bench publishes next to the CSVs: `{ job: [children...] }`, every job a key.
 * @example formatAdjacencyJson({ a: ['b'], b: [] }) // '{\n  "a": [\n    "b"\n  ],\n  "b": []\n}\n'
 */
export function formatAdjacencyJson(dag: AdjacencyDag): string {
  return `${JSON.stringify(dag, null, 2)}\n`;
}
