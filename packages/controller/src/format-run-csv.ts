import type { WorkflowRunResult } from '@proteus-wf/core';
import { formatFlowBenchCsv, toFlowBenchRows } from '@proteus-wf/features';

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
  const parents = new Map<string, string[]>();
  for (const [parent, children] of Object.entries(options.dag)) {
    for (const child of children) parents.set(child, [...(parents.get(child) ?? []), parent]);
  }
  return formatFlowBenchCsv(
    toFlowBenchRows(result.jobs, {
      parents: (job) => parents.get(job) ?? [],
      workflowStart: result.startedAt,
      labels: options.labels,
      ...(options.sites ? { sites: options.sites } : {}),
      user: options.user,
    }),
  );
}

/**
 * The adjacency JSON Flow-Bench publishes next to the CSVs: `{ job: [children...] }`, every job a key.
 * @example formatAdjacencyJson({ a: ['b'], b: [] }) // '{\n  "a": [\n    "b"\n  ],\n  "b": []\n}\n'
 */
export function formatAdjacencyJson(dag: AdjacencyDag): string {
  return `${JSON.stringify(dag, null, 2)}\n`;
}
