/*
 * Composite job features from raw timestamps.
 * Reference: Jin et al., WORKS 2022, Listing 1; Poseidon-X experiments-controller PoseidonStatistics.py (ml.md §1.1).
 */
import { ProteusError } from '@proteus-wf/core';
import type { WorkflowGraph } from '@proteus-wf/workflow-graph';

/** Raw timestamps of one job (epoch seconds); a phase the job did not have is `null` or absent. */
export interface JobTimestamps {
  /** The job name as the DAG knows it. */
  job: string;
  /** `compute`, `auxiliary`, `transfer` or `subwf`; needed to find sub-workflows. */
  type?: string | null;
  /** Only used to find the workflow start when `workflowStart` is not given. */
  ready?: number | null;
  pre_script_start?: number | null;
  pre_script_end?: number | null;
  submit?: number | null;
  stage_in_start?: number | null;
  stage_in_end?: number | null;
  execute_start?: number | null;
  execute_end?: number | null;
  stage_out_start?: number | null;
  stage_out_end?: number | null;
  post_script_start?: number | null;
  post_script_end?: number | null;
}

/** The Listing 1 features of one job; `null` where the job had no such phase or a timestamp is missing. */
export interface CompositeFeatures {
  job: string;
  ready: number | null;
  wms_delay: number | null;
  pre_script_delay: number | null;
  queue_delay: number | null;
  runtime: number | null;
  post_script_delay: number | null;
  stage_in_delay: number | null;
  stage_out_delay: number | null;
}

/** Options of `computeCompositeFeatures`. */
export interface ComputeCompositeFeaturesOptions {
  /**
   * When the workflow started: the `ready` of root jobs. Defaults to the earliest `ready` among the jobs, else the
   * earliest `pre_script_start`/`submit` (a root cannot be submitted before it is ready).
   */
  workflowStart?: number;
}

const WHERE = 'features/computeCompositeFeatures';

/**
 * Computes `ready` and the delays of Listing 1 from raw timestamps, exactly as Poseidon-X does:
 * `ready` = workflow start for a root, else the latest end (`post_script_end`, or `execute_end` without a post
 * script) among its parents, and not before its sub-workflow's `subwf` job started executing;
 * `wms_delay = (pre_script_start ?? submit) - ready`; `queue_delay = execute_start - submit`;
 * `runtime = execute_end - execute_start`; pre/post-script and stage-in/out delays are end - start.
 * Reproduces the published delay columns exactly on every dataset in ../shared/datasets.
 *
 * @example
 * const graph = parseFlowBenchAdjacency({ a: ['b'], b: [] });
 * computeCompositeFeatures([
 *   { job: 'a', submit: 10, execute_start: 12, execute_end: 20 },
 *   { job: 'b', submit: 21, execute_start: 22, execute_end: 30 },
 * ], graph, { workflowStart: 9 })[1]; // { job: 'b', ready: 20, wms_delay: 1, queue_delay: 1, runtime: 8, ... }
 * @throws ProteusError PROTEUS_FEATURES_JOB_NOT_IN_DAG when a job is not in the graph
 * @throws ProteusError PROTEUS_FEATURES_JOB_DUPLICATE when a job appears twice
 */
export function computeCompositeFeatures(
  jobs: readonly JobTimestamps[],
  graph: WorkflowGraph,
  options: ComputeCompositeFeaturesOptions = {},
): CompositeFeatures[] {
  const byIndex = new Array<JobTimestamps | undefined>(graph.size);
  for (const job of jobs) {
    if (!graph.hasJob(job.job)) {
      throw new ProteusError(
        'PROTEUS_FEATURES_JOB_NOT_IN_DAG',
        `${WHERE}: job "${job.job}" is not in workflow "${graph.workflow}" (${graph.size} jobs). Pass the DAG the run executed.`,
        { details: { job: job.job } },
      );
    }
    const index = graph.indexOf(job.job);
    if (byIndex[index] !== undefined) {
      throw new ProteusError(
        'PROTEUS_FEATURES_JOB_DUPLICATE',
        `${WHERE}: job "${job.job}" appears twice; give one record per job.`,
        {
          details: { job: job.job },
        },
      );
    }
    byIndex[index] = job;
  }
  const start = options.workflowStart ?? inferWorkflowStart(jobs);
  const subworkflowStart = subworkflowStarts(jobs);
  return jobs.map((job) => {
    const index = graph.indexOf(job.job);
    const parents = graph.parentIndices(index);
    let ready: number | null;
    if (parents.length === 0) {
      ready = start ?? null;
    } else {
      ready = null;
      for (const parent of parents) {
        const record = byIndex[parent];
        const end = present(record?.post_script_end) ?? present(record?.execute_end);
        if (end !== undefined && (ready === null || end > ready)) ready = end;
      }
    }
    const enclosing = subworkflowStart.find(([suffix]) => job.job.endsWith(suffix));
    if (ready !== null && enclosing !== undefined && enclosing[1] > ready) ready = enclosing[1];
    const submitted = present(job.pre_script_start) ?? present(job.submit);
    return {
      job: job.job,
      ready,
      wms_delay: ready !== null && submitted !== undefined ? submitted - ready : null,
      pre_script_delay: span(job.pre_script_start, job.pre_script_end),
      queue_delay: span(job.submit, job.execute_start),
      runtime: span(job.execute_start, job.execute_end),
      post_script_delay: span(job.post_script_start, job.post_script_end),
      stage_in_delay: span(job.stage_in_start, job.stage_in_end),
      stage_out_delay: span(job.stage_out_start, job.stage_out_end),
    };
  });
}

function present(value: number | null | undefined): number | undefined {
  return value === null || value === undefined || Number.isNaN(value) ? undefined : value;
}

function span(from: number | null | undefined, to: number | null | undefined): number | null {
  const a = present(from);
  const b = present(to);
  return a === undefined || b === undefined ? null : b - a;
}

function inferWorkflowStart(jobs: readonly JobTimestamps[]): number | undefined {
  let earliest: number | undefined;
  for (const job of jobs) {
    const ready = present(job.ready);
    if (ready !== undefined && (earliest === undefined || ready < earliest)) earliest = ready;
  }
  if (earliest !== undefined) return earliest;
  for (const job of jobs) {
    const first = present(job.pre_script_start) ?? present(job.submit);
    if (first !== undefined && (earliest === undefined || first < earliest)) earliest = first;
  }
  return earliest;
}

/** `[_<subwf job name>, its execute_start]` for every `subwf` job that started. */
function subworkflowStarts(jobs: readonly JobTimestamps[]): Array<[string, number]> {
  const out: Array<[string, number]> = [];
  for (const job of jobs) {
    const started = present(job.execute_start);
    if (job.type === 'subwf' && started !== undefined) out.push([`_${job.job}`, started]);
  }
  return out;
}
