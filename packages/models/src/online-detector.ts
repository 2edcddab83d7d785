/*
 * Scoring a run while it executes: each finished job's record joins the run, the run so far is scored with the jobs
 * that have not finished masked (empty features, imputed like missing values), and the run's running score is taken
 * over the finished jobs only.
 */
import { type JobRecord, ProteusError } from '@proteus-wf/core';
import { buildDataset, NORMAL_LABEL } from '@proteus-wf/features';
import { parseFlowBenchAdjacency, type WorkflowGraph } from '@proteus-wf/workflow-graph';
import type { LoadedModel } from './load-model.js';
import { scoreJobs, scoreRuns } from './score-jobs.js';

/** Options of {@link createOnlineDetector}. */
export interface OnlineDetectorOptions {
  /** A node-level classifier, a graph-level classifier or an SSL detector (`loadModel`). */
  model: LoadedModel;
  /** The run's DAG; default the model's own (its saved adjacency). It must be the DAG the model was trained on. */
  graph?: WorkflowGraph;
  /** The workflow start (a root job's `ready`); default the earliest `ready` observed so far. */
  startedAt?: number;
  /** Names the run in errors. Default `online`. */
  runId?: string;
  /**
   * Decide a job (node level, SSL) or the run (graph level) anomalous when its score is above this, instead of the
   * model's own decision (arg-max, or the SSL detector's saved threshold); e.g. a quantile of the run scores of normal
   * training runs. Default: the model's decision.
   */
  threshold?: number;
}

/** What {@link OnlineDetector.observe} returns for one finished job. */
export interface OnlineObservation {
  job: string;
  /** False when the job is not in the model's DAG (e.g. a sub-workflow's job): it is not scored. */
  known: boolean;
  /** The job's anomaly score (higher = more anomalous); null for a graph-level model or an unknown job. */
  score: number | null;
  /**
   * The job's decided class (`normal` or an anomaly; with `threshold`: `normal` or `anomalous`); null for a
   * graph-level model or an unknown job.
   */
  predicted: string | null;
  /** The run's score so far: the highest finished job's score (node level, SSL) or the run's (graph level). */
  runScore: number;
  /** The run's decision so far: a finished job (node level, SSL) or the run (graph level) decided anomalous. */
  runAnomalous: boolean;
  /** True on the one observation where `runAnomalous` first becomes true (one alert per run). */
  alert: boolean;
  /** Finished jobs of the DAG observed so far, and the DAG's size. */
  finishedJobs: number;
  totalJobs: number;
  /** The SSL decision threshold; null for a classifier (arg-max). */
  threshold: number | null;
}

/** A detector that scores one run job by job; see {@link createOnlineDetector}. */
export interface OnlineDetector {
  /** Adds a finished job's record and scores the run so far. */
  observe(record: JobRecord): Promise<OnlineObservation>;
  /** The run's state after the jobs observed so far. */
  summary(): { runScore: number; runAnomalous: boolean; finishedJobs: number; totalJobs: number; alerts: number };
}

/**
 * Creates a detector for one running workflow execution: `observe(record)` takes each job as it finishes (from
 * `followSubmitDir` of `@proteus-wf/pegasus`, a testbed, ...) and returns the job's score and the run's running score,
 * the jobs that have not finished masked. Every call scores the whole run so far (one model call, a few ms for
 * Flow-Bench-sized DAGs), so a job's score can use its finished neighbours.
 * @example
 * await using model = await loadModel('models/montage-gcn');
 * const detector = createOnlineDetector({ model });
 * for await (const event of followSubmitDir(submitDir)) {
 *   if (event.kind === 'job') console.log(await detector.observe(event.record));
 * }
 * @throws ProteusError PROTEUS_MODELS_INVALID_INPUT (a graph of another size than the model's),
 *   PROTEUS_MODELS_INVALID_OPTION (a threshold that is not a finite number); observe throws the
 *   codes of scoreJobs / scoreRuns (PROTEUS_MODELS_WORKFLOW_MISMATCH for a DAG the model was not trained on, ...)
 */
export function createOnlineDetector(options: OnlineDetectorOptions): OnlineDetector {
  const { model } = options;
  const meta = model.metadata;
  const graph =
    options.graph ??
    parseFlowBenchAdjacency(meta.adjacency, {
      workflow: meta.workflow,
      generation: meta.generation,
      source: 'the model sidecar',
    });
  if (graph.size !== meta.jobs) {
    throw new ProteusError(
      'PROTEUS_MODELS_INVALID_INPUT',
      `models/createOnlineDetector: the graph has ${graph.size} jobs but the model "${meta.workflow}" was trained on ${meta.jobs}. Pass the DAG the model was trained on, or leave { graph } out to use the model's.`,
    );
  }
  const runId = options.runId ?? 'online';
  const custom = options.threshold;
  if (custom !== undefined && !Number.isFinite(custom)) {
    throw new ProteusError(
      'PROTEUS_MODELS_INVALID_OPTION',
      `models/createOnlineDetector: threshold must be a finite number, got ${String(custom)}.`,
    );
  }
  const isAnomalous = (score: number, predicted: string): boolean =>
    custom === undefined ? predicted !== NORMAL_LABEL : score > custom;
  const records = new Map<string, JobRecord>();
  const jobScores = new Map<string, { score: number; anomalous: boolean }>();
  let runScore = 0;
  let runAnomalous = false;
  let alerts = 0;
  const graphLevel = meta.model !== 'ssl' && meta.task === 'graph';

  return {
    async observe(record) {
      const known = graph.hasJob(record.job);
      const finishedJobs = () => records.size;
      if (!known) {
        return {
          job: record.job,
          known,
          score: null,
          predicted: null,
          runScore,
          runAnomalous,
          alert: false,
          finishedJobs: finishedJobs(),
          totalJobs: graph.size,
          threshold: custom ?? (meta.model === 'ssl' ? meta.threshold.value : null),
        };
      }
      records.set(record.job, record);
      const jobs = [...records.values()];
      const dataset = buildDataset(
        [{ runId, jobs, startedAt: options.startedAt ?? Math.min(...jobs.map((job) => job.ready)) }],
        { graph, strict: true, source: runId },
      );
      let score: number | null = null;
      let predicted: string | null = null;
      let threshold: number | null;
      if (graphLevel) {
        const scores = await scoreRuns(model, dataset);
        runScore = scores.scores[0] as number;
        runAnomalous = isAnomalous(runScore, scores.classes[scores.predicted[0] as number] as string);
        threshold = custom ?? scores.threshold;
      } else {
        const scores = await scoreJobs(model, dataset);
        threshold = custom ?? scores.threshold;
        // Every finished job is rescored: its neighbours' features may have arrived since.
        for (const name of records.keys()) {
          const node = graph.indexOf(name);
          const score = scores.scores[node] as number;
          jobScores.set(name, {
            score,
            anomalous: isAnomalous(score, scores.classes[scores.predicted[node] as number] as string),
          });
        }
        const node = graph.indexOf(record.job);
        score = scores.scores[node] as number;
        predicted =
          custom === undefined
            ? (scores.classes[scores.predicted[node] as number] as string)
            : score > custom
              ? 'anomalous'
              : NORMAL_LABEL;
        runScore = Math.max(...[...jobScores.values()].map((s) => s.score));
        runAnomalous = [...jobScores.values()].some((s) => s.anomalous);
      }
      const alert = runAnomalous && alerts === 0;
      if (alert) alerts++;
      return {
        job: record.job,
        known,
        score,
        predicted,
        runScore,
        runAnomalous,
        alert,
        finishedJobs: finishedJobs(),
        totalJobs: graph.size,
        threshold,
      };
    },
    summary() {
      return { runScore, runAnomalous, finishedJobs: records.size, totalJobs: graph.size, alerts };
    },
  };
}
