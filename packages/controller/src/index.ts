// Campaign inputs
export type { CampaignConfig, CampaignConfigInput, ExperimentSpec, WorkerSpec } from './campaign-config.js';
export { CAMPAIGN_LIMITS, countPlannedRuns, loadCampaignConfig, parseCampaignConfig } from './campaign-config.js';
// The controller
export type {
  CampaignResult,
  CampaignRunOutcome,
  Controller,
  CreateControllerOptions,
  RunCampaignOptions,
} from './create-controller.js';
export { createController } from './create-controller.js';
// Experiment log
export type { ExperimentLog, ExperimentLogEntry } from './experiment-log.js';
export { openExperimentLog, readExperimentLog } from './experiment-log.js';
// Translation layer (active learner -> controller)
export type { ExperimentRequest, ExperimentRequestFile } from './experiment-requests.js';
export { parseExperimentRequests, planExperimentRequests, requestKeyOf } from './experiment-requests.js';
export type { AdjacencyDag, FormatRunCsvOptions } from './format-run-csv.js';
export { formatAdjacencyJson, formatRunCsv } from './format-run-csv.js';
export type { AnomalyHandle, CampaignInjector } from './internal/injector-port.js';
export type { ConfigProblem } from './internal/problems.js';
// Labels and traces
export type { AnomalyWindow } from './label-jobs.js';
export { labelJob, labelJobs, NONE_LABEL } from './label-jobs.js';
// Plans
export type { CampaignPlan, PlanCampaignOptions, PlannedRun } from './plan-campaign.js';
export { formatRunId, planCampaign } from './plan-campaign.js';
