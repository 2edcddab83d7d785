// The loop (Algorithm 1 with Eq. 6 updates)

export type {
  AnomalyEffect,
  AnomalyEffectAssessment,
  AssessAnomalyEffectsOptions,
  JobObservation,
} from './assess-anomaly-effects.js';
export { assessAnomalyEffects, describeAnomalyEffects, mannWhitneyGreater } from './assess-anomaly-effects.js';
// Emulation experiments, learning curves and reports
export type {
  ComparisonOptions,
  MeanInterval,
  PairedComparison,
  PerSeed,
  SeedCurve,
  StrategyMetrics,
  TargetReach,
} from './compare-strategies.js';
export {
  geometricMeanInterval,
  meanInterval,
  reachTarget,
  seedCurveOf,
  summarizePairedComparison,
  summarizeStrategyMetrics,
} from './compare-strategies.js';
export type { EmulateActiveLearningOptions, EmulationSummary } from './emulate-active-learning.js';
export { emulateActiveLearning } from './emulate-active-learning.js';
export type { EmulationBackend, EmulationBackendOptions, TestSet } from './emulation-backend.js';
export { createEmulationBackend } from './emulation-backend.js';
export type {
  AnomalyReach,
  CandidateRuns,
  ExperimentBackend,
  ExperimentOption,
  LabelledRuns,
} from './experiment-backend.js';
// Translation layer and backends
export type { ExperimentRequest, ExperimentRequestFile } from './experiment-requests.js';
export {
  optionOf,
  parseExperimentRequestFile,
  readExperimentRequests,
  readExperimentResults,
  requestLabel,
  writeExperimentRequests,
} from './experiment-requests.js';
export type { ModelState, UpdateLosses } from './internal/learner-model.js';
export type { LearningTask, LearningTaskOptions, TaskLabels, TaskLevel } from './learning-task.js';
export { classIndex, defineLearningTask, macroRocAuc } from './learning-task.js';
export type { BanditObservation, OptionBandit, OptionBanditOptions } from './option-bandit.js';
export { createOptionBandit, surprise } from './option-bandit.js';
export { renderReport, renderSvg } from './render-report.js';
export type {
  ActiveLearningOptions,
  ActiveLearningResult,
  ActiveModelKind,
  EvaluationSet,
  IterationMetrics,
  IterationRecord,
  StopPoint,
  StopReason,
} from './run-active-learning.js';
export { runActiveLearning } from './run-active-learning.js';
export type {
  StopDecision,
  StoppingOptions,
  StoppingRule,
  StoppingRuleName,
} from './stopping-rule.js';
export { cohenKappa, decideStop, defineStoppingRule, STOPPING_RULES } from './stopping-rule.js';
// Query strategies
export type {
  CandidateEmbedding,
  JobAnalysis,
  RunReduce,
  SelectExperimentsInput,
  SelectExperimentsOptions,
  Selection,
  StrategyName,
} from './strategies.js';
export {
  gradientEmbeddings,
  jobUncertainty,
  kCenterGreedy,
  kMeansPlusPlus,
  MODEL_DRIVEN,
  minMaxConfidence,
  optionKey,
  perNodeRelative,
  REACH_BOUNDS,
  reachOf,
  runEmbeddings,
  runOptionKeys,
  runUncertainty,
  STRATEGIES,
  selectExperiments,
} from './strategies.js';
export type { CurvePoint, MeanStd, StrategyQuery, StrategySummary } from './summarize-learning-curves.js';
export { areaUnderLearningCurve, samplesToReach, summarizeLearningCurves } from './summarize-learning-curves.js';
export type {
  ConvergeProtocol,
  FixedStepsProtocol,
  TrainingProtocol,
  TrainingProtocolOptions,
} from './training-protocol.js';
export { defineTrainingProtocol } from './training-protocol.js';
export type { ResolvedUpdateTerms, UpdateTermsOptions } from './update-terms.js';
export { defineUpdateTerms } from './update-terms.js';
