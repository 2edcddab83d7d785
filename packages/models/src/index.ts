// biome-ignore-all assist/source/organizeImports: the index is a table of contents grouped by topic
// Metrics (sklearn semantics, continuous scores)
export { accuracy } from './metrics/accuracy.js';
export type { AggregateJobScoresOptions, JobScoreAggregate } from './metrics/aggregate-job-scores.js';
export { aggregateJobScores, runLabelsFromJobs } from './metrics/aggregate-job-scores.js';
export { averagePrecision } from './metrics/average-precision.js';
export type { ConfusionMatrix, ConfusionMatrixOptions } from './metrics/confusion-matrix.js';
export { confusionMatrix } from './metrics/confusion-matrix.js';
export type { PrecisionAtKOptions } from './metrics/precision-at-k.js';
export { precisionAtK } from './metrics/precision-at-k.js';
export type { Averaging, PrecisionRecallF1, PrecisionRecallF1Options } from './metrics/precision-recall-f1.js';
export { precisionRecallF1 } from './metrics/precision-recall-f1.js';
export { rocAuc } from './metrics/roc-auc.js';
export type { NumericArray } from './metrics/validate.js';
export type { ClassificationSummary } from './summarize-classification.js';
export { summarizeClassification } from './summarize-classification.js';

// Training, saving, loading, scoring
export type { EpochRecord, SelectBy } from './internal/fit.js';
export type { LoadedClassifier, LoadedModel, LoadModelOptions } from './load-model.js';
export type { UnknownJobTypes } from './internal/retarget-classifier.js';
export { loadModel } from './load-model.js';
export type { AnyModelMetadata, ModelMetadata } from './model-metadata.js';
export { MODEL_FORMAT, MODEL_FORMAT_VERSION } from './model-metadata.js';
export { MODEL_FILES, saveModel } from './save-model.js';
export type { JobScores, RunScores, ScoreOptions } from './score-jobs.js';
export { evaluateModel, scoreJobs, scoreRuns } from './score-jobs.js';
export { readSplitFile } from './read-split-file.js';
export type { GivenSplit, LrDecay, TrainedModel, TrainOptions, TrainResult } from './train.js';
export { train } from './train.js';

// PyTorch / PyG models
export type {
  ImportedGraph,
  ImportedModel,
  ImportedOutput,
  ImportOnnxModelOptions,
  InputLayout,
} from './import-onnx-model.js';
export { importOnnxModel } from './import-onnx-model.js';

// Model graphs (GCN, MLP baseline), their layer builders, and the one-run training step
export type {
  Aggregation,
  AppendModelForwardOptions,
  BuildAggregationOptions,
  ModelForward,
} from './graphs/model-graph.js';
export { appendModelForward, buildAggregation } from './graphs/model-graph.js';
export type {
  GcnSpec,
  MlpSpec,
  ModelSpec,
  ModelWeights,
  ResolvedModelSpec,
  WeightTensor,
} from './graphs/model-spec.js';
export { defineModelSpec, initWeights, weightShapes } from './graphs/model-spec.js';
export type { CreateTrainerOptions, StepOptions, Trainer } from './graphs/trainer.js';
export { createTrainer } from './graphs/trainer.js';
export type { TrainingGraph } from './graphs/training-graph.js';
export { buildInferenceGraph, buildTrainingGraph } from './graphs/training-graph.js';

// Self-supervised detector (SSL: GraphSAGE encoder, Gumbel-softmax latent, reconstruction + contrastive margin)
export type { AugmentedJobs, AugmentJobsOptions } from './ssl/augment-jobs.js';
export { augmentJobs } from './ssl/augment-jobs.js';
export type { SslForward, SslTrainingGraph } from './ssl/ssl-graph.js';
export { buildSslInferenceGraph, buildSslTrainingGraph } from './ssl/ssl-graph.js';
export type { LoadedSslModel, SslModelMetadata, TrainedSslModel } from './ssl/ssl-model.js';
export { isSslModelMetadata, readSslModel } from './ssl/ssl-model.js';
export type { ResolvedSslSpec, SslSpec } from './ssl/ssl-spec.js';
export { defineSslSpec, initSslWeights, sslWeightShapes } from './ssl/ssl-spec.js';
export type { CreateSslTrainerOptions, SslStepResult, SslTrainer } from './ssl/ssl-trainer.js';
export { createSslTrainer } from './ssl/ssl-trainer.js';
export type { SslEpochRecord, TemperatureSchedule, TrainSslOptions, TrainSslResult } from './ssl/train-ssl.js';
export { fitJobStatistics, temperatureAt, trainSsl } from './ssl/train-ssl.js';

// Scoring a run while it executes
export type { OnlineDetector, OnlineDetectorOptions, OnlineObservation } from './online-detector.js';
export { createOnlineDetector } from './online-detector.js';

// Unsupervised baselines on the same features and splits
export type { AnomalyDetector, KnnDetectorOptions } from './baselines/knn-detector.js';
export { fitKnnDetector } from './baselines/knn-detector.js';
export type { IsolationForestOptions } from './baselines/isolation-forest.js';
export { fitIsolationForest } from './baselines/isolation-forest.js';
export type { DetectionSummary } from './baselines/summarize-detection.js';
export { summarizeDetection } from './baselines/summarize-detection.js';

// Uncertainty scores for active learning (input gradients, one ONNX graph per batch)
export type { UncertaintyLoss, UncertaintyModel } from './uncertainty/uncertainty-graph.js';
export { buildUncertaintyGraph } from './uncertainty/uncertainty-graph.js';
export type {
  ConfidenceAggregate,
  ConfidenceScale,
  UncertaintyOptions,
  UncertaintyScores,
  UncertaintySource,
} from './uncertainty/uncertainty-scores.js';
export { toConfidence, uncertaintyScores } from './uncertainty/uncertainty-scores.js';
