/*
 * Job records -> the same validated, DAG-aligned dataset loadFlowBench makes from CSVs, with no CSV written: the rows
 * of toFlowBenchRows go cell by cell through loadFlowBench's own run loader, so both paths check and store a run alike.
 */
import { type JobRecord, ProteusError, type ProteusErrorCode } from '@proteus-wf/core';
import type { WorkflowGraph } from '@proteus-wf/workflow-graph';
import type { FlowBenchCsvRow } from './format-flowbench-csv.js';
import { type FlowBenchDataset, RunLoader, type RunProblem, type SkippedRun } from './load-flowbench.js';
import { toFlowBenchRows } from './to-flowbench-rows.js';
import { GEN2_COLUMNS, traceColumns } from './trace-schema.js';

/** One run given as job records. */
export interface DatasetRun {
  /** Names the run (`run_id`); unique within the dataset. */
  runId: string;
  jobs: readonly JobRecord[];
  /** The workflow start (a root job's `ready`); default: the earliest `ready` of the records. */
  startedAt?: number;
  /** Job name -> anomaly (`None`, `normal` or the anomaly name); unlisted jobs are normal. */
  labels?: ReadonlyMap<string, string>;
  /** Worker name -> site (`kickstart_site`); default `local`. */
  sites?: ReadonlyMap<string, string>;
  /** The `kickstart_user` column. */
  user?: string;
}

/** Options of {@link buildDataset}. */
export interface BuildDatasetOptions {
  /** The DAG every run is aligned to; jobs are matched by exact name. */
  graph: WorkflowGraph;
  /** Default: the graph's workflow name. */
  workflow?: string;
  /** Where the runs came from (the dataset's `source`). Default `<job records>`. */
  source?: string;
  /**
   * Keep runs that lack some DAG jobs (a failed or still running workflow): those jobs' cells are empty (NaN,
   * imputed to 0 by `extractFeatures`) and labelled normal. Default true; false skips such runs as loadFlowBench does.
   */
  maskMissingJobs?: boolean;
  /** Throw at the first bad run instead of skipping it. Default false. */
  strict?: boolean;
}

const WHERE = 'features/buildDataset';
const HEADER: readonly string[] = ['', ...GEN2_COLUMNS];

/**
 * Builds a gen-2 `FlowBenchDataset` from runs given as job records (a Pegasus submit directory, a testbed run, a
 * WfFormat instance): the same table, columns, labels and checks as `loadFlowBench`, without a CSV round trip.
 * Records of jobs that are not in `graph` make the run skipped (`PROTEUS_FEATURES_JOB_NOT_IN_DAG`), as do duplicate
 * job names.
 *
 * @example
 * const dataset = buildDataset([{ runId: 'run0001', jobs: run.result.jobs }], { graph: run.graph });
 * extractFeatures(dataset, { pipeline: 'flowbench-v1' });
 * @throws ProteusError PROTEUS_FEATURES_INVALID_OPTION (no graph, repeated run ids),
 *   PROTEUS_FEATURES_DATASET_EMPTY (no run, or every run skipped), in strict mode the first run problem's code
 */
export function buildDataset(runs: readonly DatasetRun[], options: BuildDatasetOptions): FlowBenchDataset {
  const { graph, strict = false, maskMissingJobs = true } = options;
  if (graph === undefined || typeof graph.jobNames !== 'function') {
    throw new ProteusError('PROTEUS_FEATURES_INVALID_OPTION', `${WHERE}: { graph } must be a WorkflowGraph.`);
  }
  const ids = runs.map((run) => run.runId);
  const repeated = ids.filter((id, i) => ids.indexOf(id) !== i);
  if (repeated.length > 0) {
    throw new ProteusError(
      'PROTEUS_FEATURES_INVALID_OPTION',
      `${WHERE}: run ids must be unique; repeated: ${[...new Set(repeated)].slice(0, 5).join(', ')}. Name each run differently.`,
      { details: { repeated } },
    );
  }
  const source = options.source ?? '<job records>';
  if (runs.length === 0) {
    throw new ProteusError('PROTEUS_FEATURES_DATASET_EMPTY', `${WHERE}: no run given (${source}).`);
  }
  const loader = new RunLoader(graph, 2, runs.length);
  const skipped: SkippedRun[] = [];
  for (const run of runs) {
    const workflowStart = run.startedAt ?? Math.min(...run.jobs.map((job) => job.ready));
    const rows = toFlowBenchRows(run.jobs, {
      parents: (job) => (graph.hasJob(job) ? graph.parents(job) : []),
      workflowStart,
      ...(run.labels ? { labels: run.labels } : {}),
      ...(run.sites ? { sites: run.sites } : {}),
      ...(run.user !== undefined ? { user: run.user } : {}),
    });
    const problems = loader.loadRows(run.runId, undefined, HEADER, rows.map(toCells), maskMissingJobs);
    if (problems.length === 0) continue;
    const first = problems[0] as RunProblem;
    if (strict) {
      throw new ProteusError(first.code, `${WHERE}: run ${run.runId}: ${first.message}`, {
        details: { run: run.runId, problems },
      });
    }
    const more = problems.length > 1 ? ` (+${problems.length - 1} more)` : '';
    skipped.push({ file: run.runId, code: first.code, message: `${first.message}${more}`, problems });
  }
  if (loader.runs.length === 0) {
    const reasons = [...new Set(skipped.map((s) => s.code))].join(', ');
    throw new ProteusError(
      'PROTEUS_FEATURES_DATASET_EMPTY' satisfies ProteusErrorCode,
      `${WHERE}: every one of the ${runs.length} runs of ${source} was skipped (${reasons}); first: ${skipped[0]?.file}: ${skipped[0]?.message}`,
      { details: { skipped } },
    );
  }
  return {
    workflow: options.workflow ?? graph.workflow,
    generation: 2,
    source,
    graph,
    jobs: loader.toTable(),
    runs: loader.runs,
    jobsPerRun: graph.size,
    columns: traceColumns(2),
    skipped,
    ignoredFiles: [],
  };
}

/** A row as the cells a CSV parser would give: numbers in shortest round-trip form, `None` for a normal label. */
function toCells(row: FlowBenchCsvRow): string[] {
  const cells = [row.job];
  for (const column of GEN2_COLUMNS) {
    const value = row[column];
    if (column === 'anomaly_type')
      cells.push(value === null || value === undefined || value === '' ? 'None' : String(value));
    else if (value === null || value === undefined || (typeof value === 'number' && Number.isNaN(value)))
      cells.push('');
    else cells.push(String(value));
  }
  return cells;
}
