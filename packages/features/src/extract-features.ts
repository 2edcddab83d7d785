/*
 * Feature extraction: jobs table -> [runs, jobs, features] Float32Array.
 * Timestamps become offsets from the run start BEFORE imputation (ml.md §7.2: the reference's fillna(0) first turns
 * a missing timestamp into about -1.6e9 after the shift, which then dominates min-max).
 */
import { ProteusError } from '@proteus-wf/core';
import { hopDistances, type WorkflowGraph } from '@proteus-wf/workflow-graph';
import { FEATURE_PIPELINES, type FeaturePipelineName, JOB_TYPES, NODE_HOP } from './feature-pipelines.js';
import { readTextColumn, viewFloatColumn } from './internal/arrow-columns.js';
import { NORMAL_LABEL } from './labels.js';
import type { FlowBenchDataset } from './load-flowbench.js';
import { type Generation, isTimestampColumn } from './trace-schema.js';

/** A run as a feature set knows it. */
export interface FeatureRun {
  runId: string;
  file: string;
  /** `normal` or the anomaly (`cpu_2`, `hdd_50`, ...). */
  label: string;
}

/** Imputed, unscaled features of every job of every run, plus what a model needs beside them. */
export interface FeatureSet {
  workflow: string;
  generation: Generation;
  pipeline: FeaturePipelineName;
  pipelineVersion: number;
  featureNames: readonly string[];
  /** The DAG; node i is `graph.nameAt(i)` and row i of every run. */
  graph: WorkflowGraph;
  runs: readonly FeatureRun[];
  jobsPerRun: number;
  /** Row-major `[runs, jobs, features]`, jobs in node-index order, missing values 0. */
  values: Float32Array;
  /** Job labels (`normal` or the anomaly), `[runs, jobs]`. */
  jobLabels: readonly string[];
}

/** Options of `extractFeatures`. */
export interface ExtractFeaturesOptions {
  /** A built-in pipeline name; default `flowbench-v1`. */
  pipeline?: FeaturePipelineName;
}

const WHERE = 'features/extractFeatures';

/**
 * Applies a named pipeline to a loaded dataset: selects its features, turns timestamps into offsets from the run
 * start (the run's earliest `ready`), then imputes missing values as 0. No scaling: fit a scaler on training runs.
 *
 * @example
 * const features = extractFeatures(await loadFlowBench('1000genome.zip'), { pipeline: 'works22' });
 * features.values.length; // 351 * 137 * 24
 * @throws ProteusError PROTEUS_FEATURES_PIPELINE_UNKNOWN for a name that is not in FEATURE_PIPELINES
 */
export function extractFeatures(dataset: FlowBenchDataset, options: ExtractFeaturesOptions = {}): FeatureSet {
  const name = options.pipeline ?? 'flowbench-v1';
  const pipeline = Object.hasOwn(FEATURE_PIPELINES, name) ? FEATURE_PIPELINES[name] : undefined;
  if (pipeline === undefined) {
    throw new ProteusError(
      'PROTEUS_FEATURES_PIPELINE_UNKNOWN',
      `${WHERE}: no pipeline "${String(name)}"; choose one of ${Object.keys(FEATURE_PIPELINES).join(', ')}`,
      { details: { pipeline: name } },
    );
  }
  const featureNames = pipeline.featureNames(dataset.generation);
  const table = dataset.jobs;
  const runCount = dataset.runs.length;
  const jobs = dataset.jobsPerRun;
  const rows = runCount * jobs;
  const width = featureNames.length;
  const values = new Float32Array(rows * width);

  const runStart = runStarts(viewFloatColumn(table, 'ready') ?? new Float64Array(rows), runCount, jobs);
  const types = featureNames.some((feature) => (JOB_TYPES as readonly string[]).includes(feature))
    ? (readTextColumn(table, 'type') ?? [])
    : [];
  const hops = featureNames.includes(NODE_HOP) ? hopDistances(dataset.graph) : undefined;

  featureNames.forEach((feature, f) => {
    if ((JOB_TYPES as readonly string[]).includes(feature)) {
      for (let row = 0; row < rows; row++) values[row * width + f] = types[row] === feature ? 1 : 0;
      return;
    }
    if (feature === NODE_HOP) {
      const hop = hops as Int32Array;
      for (let row = 0; row < rows; row++) values[row * width + f] = Math.max(0, hop[row % jobs] as number);
      return;
    }
    const column = viewFloatColumn(table, feature);
    if (column === undefined) {
      throw new ProteusError(
        'PROTEUS_FEATURES_COLUMN_MISSING',
        `${WHERE}: the jobs table has no column "${feature}" needed by pipeline "${name}"`,
      );
    }
    if (isTimestampColumn(feature)) {
      for (let run = 0, row = 0; run < runCount; run++) {
        const start = runStart[run] as number;
        for (let end = row + jobs; row < end; row++) {
          const value = (column[row] as number) - start;
          values[row * width + f] = Number.isNaN(value) ? 0 : value;
        }
      }
    } else {
      for (let row = 0, at = f; row < rows; row++, at += width) {
        const value = column[row] as number;
        values[at] = Number.isNaN(value) ? 0 : value;
      }
    }
  });

  return {
    workflow: dataset.workflow,
    generation: dataset.generation,
    pipeline: pipeline.name,
    pipelineVersion: pipeline.version,
    featureNames,
    graph: dataset.graph,
    runs: dataset.runs.map(({ runId, file, label }) => ({ runId, file, label })),
    jobsPerRun: jobs,
    values,
    jobLabels: readTextColumn(table, 'job_label', NORMAL_LABEL) ?? [],
  };
}

/** The earliest `ready` of each run (the workflow start); 0 for a run without any. */
function runStarts(ready: Float64Array | Float32Array, runs: number, jobs: number): Float64Array {
  const starts = new Float64Array(runs);
  for (let run = 0; run < runs; run++) {
    let earliest = Number.POSITIVE_INFINITY;
    for (let node = 0; node < jobs; node++) {
      const value = ready[run * jobs + node] as number;
      if (value < earliest) earliest = value;
    }
    starts[run] = Number.isFinite(earliest) ? earliest : 0;
  }
  return starts;
}
