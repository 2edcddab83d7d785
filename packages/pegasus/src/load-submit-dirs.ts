import { basename } from 'node:path';
import { type LongOperationOptions, reportProgress, throwIfAborted } from '@proteus-wf/core';
import { buildDataset, type DatasetRun, type FlowBenchDataset } from '@proteus-wf/features';
import { buildWorkflowGraph, type JobAttributes, type WorkflowGraph } from '@proteus-wf/workflow-graph';
import { pegasusError } from './internal/errors.js';
import { findSubmitDirs, readSubmitDir, type SubmitDirRun } from './read-submit-dir.js';

/** Options of {@link loadSubmitDirs}. */
export interface LoadSubmitDirsOptions extends LongOperationOptions {
  /**
   * The DAG to align every run to (e.g. a model's); jobs it lacks are dropped, and jobs of it that a run lacks are
   * masked. Default: the union of the runs' DAGs cut to the jobs that executed in at least one run.
   */
  adjacency?: WorkflowGraph;
  /** Known anomalies: run id (folder name) -> job -> anomaly name. Unlisted jobs are normal. */
  labels?: ReadonlyMap<string, ReadonlyMap<string, string>>;
  /** Throw at the first bad run instead of skipping it. Default false. */
  strict?: boolean;
}

const WHERE = 'pegasus/loadSubmitDirs';

/**
 * Loads the runs of one workflow from Pegasus submit directories into a `FlowBenchDataset` (Flow-Bench's gen-2
 * columns, the same feature pipelines), one run per submit directory, with `buildDataset` of `@proteus-wf/features`.
 * `paths` may be one folder or many; each is expanded with `findSubmitDirs`. The run id is the folder name, made
 * unique with its parent folder's name when two runs share it.
 * @example
 * const dataset = await loadSubmitDirs('../shared/datasets/pegasus-submit-dirs/process_wf_failure');
 * dataset.runs.length; // 1
 * @throws ProteusError PROTEUS_PEGASUS_NOT_A_SUBMIT_DIR (no submit directory at or below a path),
 *   PROTEUS_PEGASUS_WORKFLOW_MISMATCH (the folders ran different workflows), PROTEUS_PEGASUS_NO_JOBS (no job
 *   executed), every code of readSubmitDir and buildDataset, PROTEUS_CORE_ABORTED
 */
export async function loadSubmitDirs(
  paths: string | readonly string[],
  options: LoadSubmitDirsOptions = {},
): Promise<FlowBenchDataset> {
  const list = typeof paths === 'string' ? [paths] : paths;
  const dirs: string[] = [];
  for (const path of list) {
    const found = await findSubmitDirs(path);
    if (found.length === 0) {
      throw pegasusError(
        'PROTEUS_PEGASUS_NOT_A_SUBMIT_DIR',
        `${WHERE}: no Pegasus submit directory (a folder with braindump.yml) at or below ${path}. Pass the folder pegasus-plan printed, or a folder of such folders.`,
        { details: { path } },
      );
    }
    dirs.push(...found);
  }
  const runs: SubmitDirRun[] = [];
  for (const [i, dir] of dirs.entries()) {
    throwIfAborted(options.signal, WHERE);
    runs.push(await readSubmitDir(dir));
    reportProgress(options.onProgress, { phase: 'load', ratio: (i + 1) / dirs.length, data: { runs: i + 1 } });
  }
  const workflows = [...new Set(runs.map((run) => run.workflow))];
  if (workflows.length > 1) {
    throw pegasusError(
      'PROTEUS_PEGASUS_WORKFLOW_MISMATCH',
      `${WHERE}: a dataset holds runs of one workflow, but these submit directories ran ${workflows.length}: ${workflows.join(', ')}. Load each workflow's runs on their own.`,
      { details: { workflows: Object.fromEntries(runs.map((run) => [run.submitDir, run.workflow])) } },
    );
  }
  const graph = options.adjacency ?? executedGraph(runs, workflows[0] as string);
  const ids = uniqueRunIds(runs);
  const datasetRuns: DatasetRun[] = runs.map((run, i) => {
    const labels = options.labels?.get(ids[i] as string);
    return {
      runId: ids[i] as string,
      jobs: run.result.jobs.filter((job) => graph.hasJob(job.job)),
      startedAt: run.result.startedAt,
      ...(labels ? { labels } : {}),
      ...(run.braindump.user ? { user: run.braindump.user } : {}),
    };
  });
  return buildDataset(datasetRuns, {
    graph,
    workflow: workflows[0] as string,
    source: list.join(', '),
    ...(options.strict ? { strict: true } : {}),
  });
}

/** The union of the runs' DAGs, cut to the jobs that executed in at least one run (others have no features). */
function executedGraph(runs: readonly SubmitDirRun[], workflow: string): WorkflowGraph {
  const executed = new Set(runs.flatMap((run) => run.result.jobs.map((job) => job.job)));
  if (executed.size === 0) {
    throw pegasusError(
      'PROTEUS_PEGASUS_NO_JOBS',
      `${WHERE}: no job of ${workflow} reached EXECUTE in ${runs.map((run) => run.submitDir).join(', ')}; there is nothing to learn from. Did the runs start?`,
      { details: { submitDirs: runs.map((run) => run.submitDir) } },
    );
  }
  const jobs = new Map<string, JobAttributes>();
  const edges = new Map<string, [string, string]>();
  for (const run of runs) {
    const names = run.graph.jobNames();
    for (const job of run.graph.jobs()) if (executed.has(job.name) && !jobs.has(job.name)) jobs.set(job.name, job);
    for (const [p, c] of run.graph.edges()) {
      const edge: [string, string] = [names[p] as string, names[c] as string];
      if (executed.has(edge[0]) && executed.has(edge[1])) edges.set(edge.join('\n'), edge);
    }
  }
  return buildWorkflowGraph({
    workflow,
    source: runs[0]?.graph.attributes.source ?? WHERE,
    format: 'dagman',
    jobs: [...jobs.values()],
    edges: [...edges.values()],
  });
}

function uniqueRunIds(runs: readonly SubmitDirRun[]): string[] {
  const plain = runs.map((run) => run.result.runId);
  return runs.map((run, i) =>
    plain.indexOf(plain[i] as string) === plain.lastIndexOf(plain[i] as string)
      ? (plain[i] as string)
      : `${basename(run.submitDir.slice(0, -run.result.runId.length - 1))}/${plain[i]}`,
  );
}
