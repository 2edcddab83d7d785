import { type LongOperationOptions, ProteusError, reportProgress, throwIfAborted } from '@proteus-wf/core';
import {
  applyScaler,
  extractFeatures,
  type FeaturePipelineName,
  type FeatureSet,
  type FlowBenchDataset,
  labelIndex,
  labelMapFor,
} from '@proteus-wf/features';
import { adjacencyHash } from '@proteus-wf/workflow-graph';
import type { LoadedModel } from './load-model.js';
import { type ClassificationSummary, summarizeClassification } from './summarize-classification.js';

/** Options of {@link scoreJobs}, {@link scoreRuns} and {@link evaluateModel}. */
export interface ScoreOptions extends LongOperationOptions {
  /** Runs per `session.run`; default 256. */
  batchSize?: number;
}

/** Per-job scores of a node-level model, row `run * jobs + node` (node-index order). */
export interface JobScores {
  workflow: string;
  classes: string[];
  runIds: string[];
  jobNames: string[];
  /** Anomaly score per job: 1 - P(normal). */
  scores: Float32Array;
  /** Arg-max class index per job (into `classes`). */
  predicted: Uint8Array;
  /** Class probabilities, `[runs, jobs, classes]`. */
  probabilities: Float32Array;
}

/** Per-run scores (graph-level models; node-level models report each run's most anomalous job). */
export interface RunScores {
  workflow: string;
  classes: string[];
  runIds: string[];
  /** Anomaly score per run: 1 - P(normal) (node-level: the highest job score of the run). */
  scores: Float32Array;
  /** Arg-max class index per run. */
  predicted: Uint8Array;
}

const DEFAULTS = { batchSize: 256 };

/**
 * Scores every job of every run with a node-level model, in batches through the model's onnxruntime session.
 * @example
 * await using model = await loadModel('models/montage-node');
 * const { scores, jobNames } = await scoreJobs(model, await loadFlowBench('montage.zip'));
 * @throws ProteusError PROTEUS_MODELS_TASK_MISMATCH for a graph-level model (use scoreRuns)
 * @throws ProteusError PROTEUS_MODELS_WORKFLOW_MISMATCH when the data's DAG differs from the model's
 * @throws ProteusError PROTEUS_MODELS_FEATURE_MISMATCH when a feature set has other features than the model's pipeline
 * @throws ProteusError PROTEUS_MODELS_NAN_INPUT naming the run, job and feature of the first non-finite value
 */
export async function scoreJobs(
  model: LoadedModel,
  data: FlowBenchDataset | FeatureSet,
  options: ScoreOptions = {},
): Promise<JobScores> {
  if (model.metadata.task !== 'node') {
    throw new ProteusError(
      'PROTEUS_MODELS_TASK_MISMATCH',
      `models/scoreJobs: the model classifies whole runs (task "${model.metadata.task}"); score it with scoreRuns, or train with task "node" for per-job scores.`,
    );
  }
  const { features, probabilities } = await predictAll(model, data, options, 'scoreJobs');
  const classes = model.metadata.classes.length;
  const items = probabilities.length / classes;
  const { scores, predicted } = decide(probabilities, items, classes);
  return {
    workflow: features.workflow,
    classes: [...model.metadata.classes],
    runIds: features.runs.map((run) => run.runId),
    jobNames: features.graph.jobNames().slice(),
    scores,
    predicted,
    probabilities,
  };
}

/**
 * Scores every run: a graph-level model's own prediction, or a node-level model's most anomalous job.
 * @example const { runIds, scores } = await scoreRuns(model, dataset);
 * @throws ProteusError PROTEUS_MODELS_WORKFLOW_MISMATCH, PROTEUS_MODELS_FEATURE_MISMATCH, PROTEUS_MODELS_NAN_INPUT
 */
export async function scoreRuns(
  model: LoadedModel,
  data: FlowBenchDataset | FeatureSet,
  options: ScoreOptions = {},
): Promise<RunScores> {
  const { features, probabilities } = await predictAll(model, data, options, 'scoreRuns');
  const classes = model.metadata.classes.length;
  const runs = features.runs.length;
  const runIds = features.runs.map((run) => run.runId);
  if (model.metadata.task === 'graph') {
    const { scores, predicted } = decide(probabilities, runs, classes);
    return { workflow: features.workflow, classes: [...model.metadata.classes], runIds, scores, predicted };
  }
  const jobs = features.jobsPerRun;
  const perJob = decide(probabilities, runs * jobs, classes);
  const scores = new Float32Array(runs);
  const predicted = new Uint8Array(runs);
  for (let run = 0; run < runs; run++) {
    let worst = run * jobs;
    for (let k = run * jobs + 1; k < (run + 1) * jobs; k++)
      if ((perJob.scores[k] as number) > (perJob.scores[worst] as number)) worst = k;
    scores[run] = perJob.scores[worst] as number;
    predicted[run] = perJob.predicted[worst] as number;
  }
  return { workflow: features.workflow, classes: [...model.metadata.classes], runIds, scores, predicted };
}

/**
 * The metrics of a saved model on a labelled dataset: runs for graph-level models, jobs for node-level ones.
 * @example const summary = await evaluateModel(model, await loadFlowBench('1000genome.zip')); summary.rocAuc;
 * @throws ProteusError PROTEUS_MODELS_WORKFLOW_MISMATCH, PROTEUS_MODELS_FEATURE_MISMATCH, PROTEUS_MODELS_NAN_INPUT,
 *   PROTEUS_FEATURES_LABEL_UNKNOWN (a label the model's classes cannot express)
 */
export async function evaluateModel(
  model: LoadedModel,
  data: FlowBenchDataset | FeatureSet,
  options: ScoreOptions = {},
): Promise<ClassificationSummary> {
  const { features, probabilities } = await predictAll(model, data, options, 'evaluateModel');
  const meta = model.metadata;
  const map = labelMapFor(meta.generation, 'merged');
  const classOf = (label: string): number =>
    meta.labels === 'binary' ? (label === 'normal' ? 0 : 1) : labelIndex(map, label);
  const labels = meta.task === 'graph' ? features.runs.map((run) => run.label) : features.jobLabels;
  return summarizeClassification(Int32Array.from(labels, classOf), probabilities, meta.classes);
}

async function predictAll(
  model: LoadedModel,
  data: FlowBenchDataset | FeatureSet,
  options: ScoreOptions,
  where: string,
): Promise<{ features: FeatureSet; probabilities: Float32Array }> {
  const meta = model.metadata;
  const batchSize = options.batchSize ?? DEFAULTS.batchSize;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new ProteusError(
      'PROTEUS_MODELS_INVALID_OPTION',
      `models/${where}: batchSize must be a positive integer, got ${String(batchSize)}.`,
    );
  }
  const graph = data.graph;
  const hash = adjacencyHash(graph);
  if (hash !== meta.adjacencyHash) {
    throw new ProteusError(
      'PROTEUS_MODELS_WORKFLOW_MISMATCH',
      `models/${where}: the model was trained on workflow "${meta.workflow}" (${meta.jobs} jobs) but the data is "${data.workflow}" (${graph.size} jobs) with a different DAG (adjacency hash ${hash.slice(0, 12)}…, expected ${meta.adjacencyHash.slice(0, 12)}…). Score traces of the workflow the model was trained on.`,
      {
        details: {
          expected: { workflow: meta.workflow, jobs: meta.jobs },
          received: { workflow: data.workflow, jobs: graph.size },
        },
      },
    );
  }
  let features: FeatureSet;
  if (isFeatureSet(data)) {
    features = data;
    const expected = meta.pipeline.featureNames;
    const received = features.featureNames;
    if (received.length !== expected.length || received.some((name, i) => name !== expected[i])) {
      throw new ProteusError(
        'PROTEUS_MODELS_FEATURE_MISMATCH',
        `models/${where}: the model expects ${expected.length} features (pipeline "${meta.pipeline.name}": ${expected.join(', ')}) but the feature set has ${received.length} (pipeline "${features.pipeline}"). Extract features with { pipeline: '${meta.pipeline.name}' }.`,
        { details: { expected, received } },
      );
    }
  } else {
    features = extractFeatures(data, { pipeline: meta.pipeline.name as FeaturePipelineName });
    if (features.pipelineVersion !== meta.pipeline.version) {
      throw new ProteusError(
        'PROTEUS_MODELS_FEATURE_MISMATCH',
        `models/${where}: the model used pipeline "${meta.pipeline.name}" version ${meta.pipeline.version}; this @proteus-wf/features has version ${features.pipelineVersion}. Retrain the model.`,
      );
    }
  }
  const x = applyScaler(features, meta.scaler).values;
  checkFinite(x, features, where);
  const runs = features.runs.length;
  const block = meta.jobs * meta.pipeline.featureNames.length;
  const perRun = (meta.task === 'graph' ? 1 : meta.jobs) * meta.classes.length;
  const probabilities = new Float32Array(runs * perRun);
  for (let start = 0; start < runs; start += batchSize) {
    throwIfAborted(options.signal, `models/${where}`);
    const count = Math.min(batchSize, runs - start);
    const out = await model.predict(x.subarray(start * block, (start + count) * block), count);
    probabilities.set(out, start * perRun);
    reportProgress(options.onProgress, {
      phase: 'score',
      ratio: (start + count) / runs,
      data: { runs: start + count },
    });
  }
  return { features, probabilities };
}

function isFeatureSet(value: FlowBenchDataset | FeatureSet): value is FeatureSet {
  return (value as FeatureSet).values instanceof Float32Array && Array.isArray((value as FeatureSet).featureNames);
}

function checkFinite(x: Float32Array, features: FeatureSet, where: string): void {
  for (let i = 0; i < x.length; i++) {
    if (Number.isFinite(x[i] as number)) continue;
    const width = features.featureNames.length;
    const row = Math.floor(i / width);
    const run = features.runs[Math.floor(row / features.jobsPerRun)];
    const job = features.graph.jobNames()[row % features.jobsPerRun];
    const feature = features.featureNames[i % width];
    throw new ProteusError(
      'PROTEUS_MODELS_NAN_INPUT',
      `models/${where}: feature "${feature}" of job "${job}" in run "${run?.runId}" is ${String(x[i])} after scaling. Fix or drop that run before scoring.`,
      { details: { runId: run?.runId, job, feature } },
    );
  }
}

function decide(
  probabilities: Float32Array,
  items: number,
  classes: number,
): { scores: Float32Array; predicted: Uint8Array } {
  const scores = new Float32Array(items);
  const predicted = new Uint8Array(items);
  for (let i = 0; i < items; i++) {
    const base = i * classes;
    let best = 0;
    for (let c = 1; c < classes; c++)
      if ((probabilities[base + c] as number) > (probabilities[base + best] as number)) best = c;
    predicted[i] = best;
    scores[i] = 1 - (probabilities[base] as number);
  }
  return { scores, predicted };
}
