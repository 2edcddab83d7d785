import { createHash } from 'node:crypto';
import { createRng, ProteusError } from '@proteus-wf/core';
import { z } from 'zod';
import type { CampaignConfig } from './campaign-config.js';
import { checkAnomalyName } from './internal/anomaly-name.js';
import { type ConfigProblem, collectIssues, formatProblems } from './internal/problems.js';
import { type CampaignPlan, canonicalJson, finishPlan, formatRunId, type PlannedRun } from './plan-campaign.js';

/** One experiment the active learner asks for (the translation layer's input, active-learning paper §3.2.2). */
export interface ExperimentRequest {
  workflow: string;
  /** `normal`, a full name (`cpu_2`), or a family (`cpu`) completed by `level`. */
  anomaly: string;
  level?: number;
  /** How many workers get the anomaly (drawn with the seed), or exactly which ones. */
  anomalousWorkers: number | string[];
  runs: number;
  /** Per-job hints, e.g. `{ jobs: ['individuals_ID0000003'] }` for the least confident jobs; recorded with the runs. */
  hints?: Record<string, unknown>;
}

/** The request file: `{ id?, requests: [...] }`. Equal files (or equal `id`s) name the same experiments. */
export interface ExperimentRequestFile {
  /** Names this batch; a rerun with the same id resumes it instead of running it again. Default: a content hash. */
  id?: string;
  requests: ExperimentRequest[];
}

const requestSchema = z
  .object({
    workflow: z.string().min(1),
    anomaly: z.string().min(1),
    level: z.number().positive().optional(),
    anomalousWorkers: z.union([z.number().int().nonnegative(), z.array(z.string().min(1)).min(1)]),
    runs: z.number().int().positive(),
    hints: z.looseObject({ jobs: z.array(z.string()).optional() }).optional(),
  })
  .strict();

const fileSchema = z
  .object({
    id: z
      .string()
      .regex(/^[A-Za-z0-9._-]+$/)
      .optional(),
    requests: z.array(requestSchema).min(1),
  })
  .strict();

/**
 * Validates an experiment-request file against the campaign's workers and workflows, listing every problem at once.
 * @example const file = parseExperimentRequests(JSON.parse(text), config);
 * @throws ProteusError PROTEUS_CONTROLLER_INVALID_REQUESTS with `details: ConfigProblem[]`
 */
export function parseExperimentRequests(
  input: unknown,
  config: Pick<CampaignConfig, 'infrastructure' | 'workflows'>,
  options: { source?: string } = {},
): ExperimentRequestFile {
  const where = options.source ?? 'experiment requests';
  const parsed = fileSchema.safeParse(input);
  if (!parsed.success) throw invalid(where, collectIssues(parsed.error));
  const problems: ConfigProblem[] = [];
  const workers = new Set(config.infrastructure.workers.map((worker) => worker.name));
  parsed.data.requests.forEach((request, index) => {
    const at = `requests[${index}]`;
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
  if (problems.length > 0) throw invalid(where, problems);
  return parsed.data as ExperimentRequestFile;
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
  const rng = createRng(options.seed);
  const names = config.infrastructure.workers.map((worker) => worker.name);
  const next = new Map<string, number>();
  const runs: PlannedRun[] = [];
  file.requests.forEach((request, index) => {
    const anomaly = anomalyNameOf(request);
    for (let r = 0; r < request.runs; r++) {
      const runNumber = next.get(request.workflow) ?? options.firstRunNumbers?.[request.workflow] ?? 1;
      next.set(request.workflow, runNumber + 1);
      const anomalousWorkers =
        anomaly === 'normal'
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
    'PROTEUS_CONTROLLER_INVALID_REQUESTS',
    `controller: ${where} has ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n${formatProblems(problems)}`,
    { details: problems },
  );
}
