// Trace schemas

// Datasets from job records (Pegasus submit dirs, testbed runs, WfFormat instances)
export type { BuildDatasetOptions, DatasetRun } from './build-dataset.js';
export { buildDataset } from './build-dataset.js';
// Composite features (Listing 1) and writing traces
export type {
  CompositeFeatures,
  ComputeCompositeFeaturesOptions,
  JobTimestamps,
} from './compute-composite-features.js';
export { computeCompositeFeatures } from './compute-composite-features.js';
// Arrow IPC storage
export { readDatasetArrow, writeDatasetArrow } from './dataset-arrow.js';
export type { ExtractFeaturesOptions, FeatureRun, FeatureSet } from './extract-features.js';
export { extractFeatures } from './extract-features.js';
// Feature pipelines
export type { FeaturePipeline, FeaturePipelineName } from './feature-pipelines.js';
export { FEATURE_PIPELINES, JOB_TYPES, NODE_HOP } from './feature-pipelines.js';
export type { FlowBenchCsvRow } from './format-flowbench-csv.js';
export { formatFlowBenchCsv, formatPythonFloat } from './format-flowbench-csv.js';
export type { LabelGranularity, LabelMap } from './labels.js';
export { labelIndex, labelMapFor, mergedLabel, NORMAL_LABEL, normalizeJobLabel } from './labels.js';
// Loading traces
export type { FlowBenchDataset, LoadFlowBenchOptions, RunInfo, RunProblem, SkippedRun } from './load-flowbench.js';
export { loadFlowBench } from './load-flowbench.js';
export type { LoadWfInstancesOptions, WfInstanceRun } from './load-wf-instances.js';
export { loadWfInstances, readWfInstance } from './load-wf-instances.js';
// Scalers, splits, labels, tensors
export type {
  ApplyJobTypeScalerOptions,
  FitJobTypeScalerOptions,
  FitScalerOptions,
  JobTypeScaler,
  Scaler,
  ScalerKind,
} from './scaler.js';
export {
  applyJobTypeScaler,
  applyScaler,
  fitJobTypeScaler,
  fitScaler,
  standardizeJobTypesPerRun,
} from './scaler.js';
export type { JobSplit, RunSplit, SplitByRunOptions, SplitOptions, SplitRatios, SplitSource } from './split.js';
export { splitByJob, splitByRun } from './split.js';
export type { DatasetSummary } from './summarize-dataset.js';
export { summarizeDataset } from './summarize-dataset.js';
export type { ToFlowBenchRowsOptions } from './to-flowbench-rows.js';
export { toFlowBenchRows } from './to-flowbench-rows.js';
export type { DatasetTensors, ToTensorsOptions } from './to-tensors.js';
export { toTensors } from './to-tensors.js';
export type { DelayColumn, Generation, TraceColumn } from './trace-schema.js';
export {
  DELAY_COLUMNS,
  GEN1_COLUMNS,
  GEN2_COLUMNS,
  isTextColumn,
  isTimestampColumn,
  TEXT_COLUMNS,
  TIMESTAMP_COLUMNS,
  traceColumns,
} from './trace-schema.js';
