import { createHash } from 'node:crypto';
import {
  createRng,
  type ErrorScope,
  type ExperimentRequest,
  type ExperimentRequestFile,
  ProteusError,
  scopedCode,
  validateExperimentRequestFile,
} from '@proteus-wf/core';
import { CAMPAIGN_LIMITS, type CampaignConfig } from './campaign-config.js';
import { checkAnomalyName } from './internal/anomaly-name.js';
import { placementJobsOf } from './internal/place-anomaly.js';
import { type ConfigProblem, formatProblems } from './internal/problems.js';
import {
  assertRunCount,
  type CampaignPlan,
  canonicalJson,
  finishPlan,
  formatRunId,
  type PlannedRun,
} from './plan-campaign.js';

export type { ExperimentRequest, ExperimentRequestFile } from '@proteus-wf/core';

const SCOPE: ErrorScope = { prefix: 'CONTROLLER', where: 'controller' };

/**
 * Validates an experiment-request file (its shape by `@proteus-wf/core`'s `validateExperimentRequestFile`) and then
 * against the campaign's workers, workflows and the injector's anomaly names, listing every problem at once.
 * @example const file = parseExperimentRequests(JSON.parse(text), config);
 * Counts are bounded by `CAMPAIGN_LIMITS` (runs per request, requests, total runs).
 * @throws ProteusError PROTEUS_CONTROLLER_INVALID_REQUESTS with `details: ConfigProblem[]`
 */
export function parseExperimentRequests(
  input: unknown,
  config: Pick<CampaignConfig, 'infrastructure' | 'workflows'>,
  options: { source?: string } = {},
): ExperimentRequestFile {
  const where = options.source ?? 'experiment requests';
  const file = validateExperimentRequestFile(input, { source: where, scope: SCOPE });
  const problems: ConfigProblem[] = [];
  const workers = new Set(config.infrastructure.workers.map((worker) => worker.name));
  if (file.requests.length > CAMPAIGN_LIMITS.experiments) {
    problems.push({
      path: 'requests',
      message: `${file.requests.length} requests, more than the limit of ${CAMPAIGN_LIMITS.experiments}; split the file`,
    });
  }
  let total = 0;
  file.requests.forEach((request, index) => {
    const at = `requests[${index}]`;
    total += request.runs;
    if (request.runs > CAMPAIGN_LIMITS.runsPerExperiment) {
      problems.push({
        path: `${at}.runs`,
        message: `${request.runs} runs, more than the limit of ${CAMPAIGN_LIMITS.runsPerExperiment} per request`,
      });
    }
    if (!(request.workflow in config.workflows)) {
      problems.push({
        path: `${at}.workflow`,
        message: `unknown workflow "${request.workflow}"; known: ${Object.keys(config.workflows).join(', ') || '(none)'}`,
      });
    }
    const name = anomalyNameOf(request);
    const problem = checkAnomalyName(name);
    if (problem) problems.push({ path: `${at}.anomaly`, message: problem });
    const count =
      typeof request.anomalousWorkers === 'number' ? request.anomalousWorkers : request.anomalousWorkers.length;
    if (name === 'normal' && count > 0) {
      problems.push({
        path: `${at}.anomalousWorkers`,
        message: `a "normal" request has no anomalous workers (got ${count})`,
      });
    } else if (name !== 'normal' && count === 0) {
      problems.push({
        path: `${at}.anomalousWorkers`,
        message: 'an anomaly needs at least one anomalous worker (got 0)',
      });
    } else if (count > workers.size) {
      problems.push({
        path: `${at}.anomalousWorkers`,
        message: `${count} requested but there are ${workers.size} workers`,
      });
    }
    const placement = request.hints?.placement;
    if (placement !== undefined) {
      const jobs = (placement as { jobs?: unknown } | null)?.jobs;
      if (!Array.isArray(jobs) || jobs.length === 0 || !jobs.every((job) => typeof job === 'string' && job !== '')) {
        problems.push({
          path: `${at}.hints.placement`,
          message: 'must be { jobs: [...] } with at least one job name (inject on the worker running those jobs)',
        });
      } else if (name === 'normal') {
        problems.push({ path: `${at}.hints.placement`, message: 'a "normal" request has no anomaly to place' });
      }
    }
    if (Array.isArray(request.anomalousWorkers)) {
      for (const worker of request.anomalousWorkers) {
        if (!workers.has(worker))
          problems.push({ path: `${at}.anomalousWorkers`, message: `unknown worker "${worker}"` });
      }
      if (new Set(request.anomalousWorkers).size !== request.anomalousWorkers.length) {
        problems.push({ path: `${at}.anomalousWorkers`, message: 'a worker is listed twice' });
      }
    }
  });
  if (total > CAMPAIGN_LIMITS.runs) {
    problems.push({
      path: 'requests',
      message: `the requests add up to ${total} runs, more than the limit of ${CAMPAIGN_LIMITS.runs}; split the file`,
    });
  }
  if (problems.length > 0) throw invalid(where, problems);
  return file;
}

/** The batch's identity: its `id`, or the first 16 hex digits of the sha256 of its canonical JSON. */
export function requestKeyOf(file: ExperimentRequestFile): string {
  return file.id ?? createHash('sha256').update(canonicalJson(file)).digest('hex').slice(0, 16);
}

/**
 * Expands requests into a plan like `planCampaign` does: requests in order, `runs` runs each, anomalous workers drawn
 * with `rng.sample` from `createRng(seed)` when a count is given, and run numbers continuing from `firstRunNumbers`.
 * @example const plan = planExperimentRequests(file, config, { seed: 1, firstRunNumbers: { '1000genome': 13 } });
 */
export function planExperimentRequests(
  file: ExperimentRequestFile,
  config: Pick<CampaignConfig, 'infrastructure' | 'workflows'>,
  options: { seed: number; firstRunNumbers?: Record<string, number> },
): CampaignPlan {
  assertRunCount(
    file.requests.reduce((sum, request) => sum + request.runs, 0),
    'controller/planExperimentRequests',
  );
  const rng = createRng(options.seed);
  const names = config.infrastructure.workers.map((worker) => worker.name);
  const next = new Map<string, number>();
  const runs: PlannedRun[] = [];
  file.requests.forEach((request, index) => {
    const anomaly = anomalyNameOf(request);
    for (let r = 0; r < request.runs; r++) {
      const runNumber = next.get(request.workflow) ?? options.firstRunNumbers?.[request.workflow] ?? 1;
      next.set(request.workflow, runNumber + 1);
      // A placed anomaly goes to whichever worker runs the target jobs (the testbed tells), not to drawn workers.
      const anomalousWorkers =
        anomaly === 'normal' || placementJobsOf(request.hints)
          ? []
          : Array.isArray(request.anomalousWorkers)
            ? [...request.anomalousWorkers]
            : rng.sample(names, request.anomalousWorkers);
      const run: PlannedRun = {
        id: formatRunId(request.workflow, runNumber),
        workflow: request.workflow,
        runNumber,
        experiment: index,
        anomaly,
        anomalousWorkers,
      };
      if (request.hints) run.hints = request.hints;
      runs.push(run);
    }
  });
  return finishPlan({
    seed: options.seed,
    workers: config.infrastructure.workers,
    workflows: config.workflows,
    runs,
    source: { kind: 'requests', key: requestKeyOf(file) },
  });
}

function anomalyNameOf(request: Pick<ExperimentRequest, 'anomaly' | 'level'>): string {
  return request.level === undefined ? request.anomaly : `${request.anomaly}_${request.level}`;
}

function invalid(where: string, problems: ConfigProblem[]): ProteusError {
  return new ProteusError(
    scopedCode(SCOPE, 'INVALID_REQUESTS'),
    `${SCOPE.where}: ${where} has ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n${formatProblems(problems)}`,
    { details: problems },
  );
}
