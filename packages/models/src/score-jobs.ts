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
import { applyNormalization } from './internal/job-normalization.js';
import { isFeatureSet } from './internal/training-inputs.js';
import type { LoadedClassifier, LoadedModel, LoadedSslModel } from './load-model.js';
import { type ClassificationSummary, summarizeClassification, summarizeDecisions } from './summarize-classification.js';

/** Options of {@link scoreJobs}, {@link scoreRuns} and {@link evaluateModel}. */
export interface ScoreOptions extends LongOperationOptions {
  /** Runs per `session.run`; default 256. */
  batchSize?: number;
}

/** The two classes an SSL detector decides between. */
const DETECTOR_CLASSES = ['normal', 'anomalous'] as const;

/** Per-job scores of a node-level classifier or an SSL detector, row `run * jobs + node` (node-index order). */
export interface JobScores {
  workflow: string;
  model: 'gcn' | 'mlp' | 'ssl';
  /** Classifier classes; `['normal', 'anomalous']` for an SSL detector. */
  classes: string[];
  runIds: string[];
  jobNames: string[];
  /** Anomaly score per job, higher = more anomalous: 1 - P(normal) (classifier) or the reconstruction error (SSL). */
  scores: Float32Array;
  /** Decided class index per job (into `classes`): the arg-max, or for SSL `score > threshold`. */
  predicted: Uint8Array;
  /** Class probabilities, `[runs, jobs, classes]`; null for an SSL detector (its score is not a probability). */
  probabilities: Float32Array | null;
  /** SSL only: the saved decision threshold behind `predicted`; null for classifiers (arg-max). */
  threshold: number | null;
}

/** Per-run scores (graph-level models; node-level models and SSL detectors report each run's most anomalous job). */
export interface RunScores {
  workflow: string;
  model: 'gcn' | 'mlp' | 'ssl';
  classes: string[];
  runIds: string[];
  /** Anomaly score per run: 1 - P(normal) (graph level), else the highest job score of the run. */
  scores: Float32Array;
  /** Decided class index per run (node level and SSL: that of the run's most anomalous job). */
  predicted: Uint8Array;
  /** SSL only: the saved decision threshold; null for classifiers. */
  threshold: number | null;
}

const DEFAULTS = { batchSize: 256 };

/**
 * Scores every job of every run with a node-level classifier or an SSL detector, in batches through the model's
 * onnxruntime session.
 * @example
 * await using model = await loadModel('models/montage-node'); // or an SSL model folder
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
  return (await scoreAllJobs(model, data, options, 'scoreJobs')).jobs;
}

/**
 * Scores every job and returns the feature set it scored too (its job labels evaluate the scores).
 * @throws ProteusError as {@link scoreJobs}, without the task check
 */
export async function scoreAllJobs(
  model: LoadedModel,
  data: FlowBenchDataset | FeatureSet,
  options: ScoreOptions,
  where: string,
): Promise<{ features: FeatureSet; jobs: JobScores }> {
  const { features, output } = await runAll(model, data, options, where);
  const jobs: JobScores = {
    workflow: features.workflow,
    model: model.metadata.model,
    ...decide(model, output),
    runIds: features.runs.map((run) => run.runId),
    jobNames: features.graph.jobNames().slice(),
  };
  return { features, jobs };
}

/**
 * Scores every run: a graph-level model's own prediction, or the most anomalous job of a node-level model or an SSL
 * detector.
 * @example const { runIds, scores } = await scoreRuns(model, dataset);
 * @throws ProteusError PROTEUS_MODELS_WORKFLOW_MISMATCH, PROTEUS_MODELS_FEATURE_MISMATCH, PROTEUS_MODELS_NAN_INPUT
 */
export async function scoreRuns(
  model: LoadedModel,
  data: FlowBenchDataset | FeatureSet,
  options: ScoreOptions = {},
): Promise<RunScores> {
  const { features, output } = await runAll(model, data, options, 'scoreRuns');
  const perItem = decide(model, output);
  const head = { workflow: features.workflow, model: model.metadata.model, classes: perItem.classes };
  const runIds = features.runs.map((run) => run.runId);
  const { threshold } = perItem;
  if (model.metadata.task === 'graph')
    return { ...head, runIds, scores: perItem.scores, predicted: perItem.predicted, threshold };
  const runs = features.runs.length;
  const jobs = features.jobsPerRun;
  const scores = new Float32Array(runs);
  const predicted = new Uint8Array(runs);
  for (let run = 0; run < runs; run++) {
    let worst = run * jobs;
    for (let k = run * jobs + 1; k < (run + 1) * jobs; k++)
      if ((perItem.scores[k] as number) > (perItem.scores[worst] as number)) worst = k;
    scores[run] = perItem.scores[worst] as number;
    predicted[run] = perItem.predicted[worst] as number;
  }
  return { ...head, runIds, scores, predicted, threshold };
}

/**
 * The metrics of a saved model on a labelled dataset: runs for graph-level models, jobs for node-level ones and SSL
 * detectors. For SSL, ROC-AUC/AP/P@k rank the anomaly score and accuracy/precision/recall/F1 are those of
 * `score > threshold` (the threshold saved at training time, reported as `threshold`) on normal-vs-anomalous jobs.
 * @example const summary = await evaluateModel(model, await loadFlowBench('1000genome.zip')); summary.rocAuc;
 * @throws ProteusError PROTEUS_MODELS_WORKFLOW_MISMATCH, PROTEUS_MODELS_FEATURE_MISMATCH, PROTEUS_MODELS_NAN_INPUT,
 *   PROTEUS_FEATURES_LABEL_UNKNOWN (a label the model's classes cannot express)
 */
export async function evaluateModel(
  model: LoadedModel,
  data: FlowBenchDataset | FeatureSet,
  options: ScoreOptions = {},
): Promise<ClassificationSummary> {
  const { features, output } = await runAll(model, data, options, 'evaluateModel');
  const meta = model.metadata;
  if (meta.model === 'ssl') {
    const { scores, predicted, threshold } = decide(model, output);
    const truth = Uint8Array.from(features.jobLabels, (label) => (label === 'normal' ? 0 : 1));
    return { ...summarizeDecisions(truth, predicted, scores, DETECTOR_CLASSES), threshold: threshold as number };
  }
  const map = labelMapFor(meta.generation, 'merged');
  const classOf = (label: string): number =>
    meta.labels === 'binary' ? (label === 'normal' ? 0 : 1) : labelIndex(map, label);
  const labels = meta.task === 'graph' ? features.runs.map((run) => run.label) : features.jobLabels;
  return summarizeClassification(Int32Array.from(labels, classOf), output, meta.classes);
}

/** Checks the data against the model, scales it, and runs every run through the session in batches. */
async function runAll(
  model: LoadedModel,
  data: FlowBenchDataset | FeatureSet,
  options: ScoreOptions,
  where: string,
): Promise<{ features: FeatureSet; output: Float32Array }> {
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
      `models/${where}: the model was trained on workflow "${meta.workflow}" (${meta.jobs} jobs) but the data is "${data.workflow}" (${graph.size} jobs) with a different DAG (adjacency hash ${hash.slice(0, 12)}…, expected ${meta.adjacencyHash.slice(0, 12)}…). Score traces of the workflow the model was trained on; for another instance of the same workflow (other job count, same job types) open the model with loadModel(dir, { graph: data.graph }) (CLI: --adjacency).`,
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
  const x = applyScaler(
    meta.model === 'ssl' ? features : applyNormalization(features, meta.normalization, `models/${where}`),
    meta.scaler,
  ).values;
  checkFinite(x, features, where);
  const runs = features.runs.length;
  const block = meta.jobs * meta.pipeline.featureNames.length;
  const perRun = meta.model === 'ssl' ? meta.jobs : (meta.task === 'graph' ? 1 : meta.jobs) * meta.classes.length;
  const run = meta.model === 'ssl' ? (model as LoadedSslModel).score : (model as LoadedClassifier).predict;
  const output = new Float32Array(runs * perRun);
  for (let start = 0; start < runs; start += batchSize) {
    throwIfAborted(options.signal, `models/${where}`);
    const count = Math.min(batchSize, runs - start);
    output.set(await run(x.subarray(start * block, (start + count) * block), count), start * perRun);
    reportProgress(options.onProgress, {
      phase: 'score',
      ratio: (start + count) / runs,
      data: { runs: start + count },
    });
  }
  return { features, output };
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

/** Anomaly scores and decisions per item: arg-max and 1 - P(normal) for classifiers, `score > threshold` for SSL. */
function decide(
  model: LoadedModel,
  output: Float32Array,
): Pick<JobScores, 'classes' | 'scores' | 'predicted' | 'probabilities' | 'threshold'> {
  const meta = model.metadata;
  if (meta.model === 'ssl') {
    const threshold = meta.threshold.value;
    const predicted = Uint8Array.from(output, (score) => (score > threshold ? 1 : 0));
    return { classes: [...DETECTOR_CLASSES], scores: output, predicted, probabilities: null, threshold };
  }
  const classes = meta.classes.length;
  const items = output.length / classes;
  const scores = new Float32Array(items);
  const predicted = new Uint8Array(items);
  for (let i = 0; i < items; i++) {
    const base = i * classes;
    let best = 0;
    for (let c = 1; c < classes; c++) if ((output[base + c] as number) > (output[base + best] as number)) best = c;
    predicted[i] = best;
    scores[i] = 1 - (output[base] as number);
  }
  return { classes: [...meta.classes], scores, predicted, probabilities: output, threshold: null };
}
