import { createHash } from 'node:crypto';
import { createRng, ProteusError } from '@proteus-wf/core';
import { CAMPAIGN_LIMITS, type CampaignConfig, countPlannedRuns, type WorkerSpec } from './campaign-config.js';

/** One workflow execution of a campaign, fully decided before anything runs. */
export interface PlannedRun {
  /** `<workflow>-runNNNN`: the CSV file name without `.csv`, and the injector's `runId`. */
  id: string;
  workflow: string;
  /** 1-based, per workflow; continues after existing runs when the plan was made with `firstRunNumbers`. */
  runNumber: number;
  /** Index of the experiment entry (or request) this run comes from. */
  experiment: number;
  /** `normal` or a Flow-Bench anomaly name such as `cpu_2`. */
  anomaly: string;
  /** Workers the anomaly is applied to, in the order drawn; empty for `normal`. */
  anomalousWorkers: string[];
  /** Per-job hints from an experiment request (recorded with the run; see docs/decisions/controller.md). */
  hints?: Record<string, unknown>;
}

/** The expansion of a campaign into runs; `id` fingerprints everything below it. */
export interface CampaignPlan {
  version: 1;
  id: string;
  seed: number;
  workers: WorkerSpec[];
  workflows: Record<string, { path: string }>;
  runs: PlannedRun[];
  /** What the plan was made from, e.g. `{ kind: 'requests', key }`; lets a rerun find the plan it already started. */
  source?: { kind: 'config' | 'requests'; key: string };
}

/** Options of {@link planCampaign}: the seed that draws anomalous workers and where run numbering starts. */
export interface PlanCampaignOptions {
  /** Seeds the single generator that draws every run's anomalous workers; the same seed gives the same plan. */
  seed: number;
  /** First run number per workflow (default 1), so a new plan appends after runs already in an output folder. */
  firstRunNumbers?: Record<string, number>;
}

/**
 * Expands a campaign into runs, exactly as Poseidon-X does (testbeds.md §1.2): experiment entries in order; within an
 * entry, each anomaly level in order; within a level, each number of anomalous workers k in order; then
 * `number_of_runs` runs. The anomalous workers of each run are `rng.sample(workers, k)` from one generator
 * `createRng(seed)` consumed in that run order, with workers in configuration order, so the same config and seed give
 * the same plan, byte for byte, on every machine.
 * @example const plan = planCampaign(config, { seed: 7 }); plan.runs[0].id === '1000genome-run0001'
 * @throws ProteusError PROTEUS_CONTROLLER_INVALID_CONFIG when a run asks for more anomalous workers than exist
 * @throws ProteusError PROTEUS_CONTROLLER_TOO_MANY_RUNS when the plan would hold more than `CAMPAIGN_LIMITS.runs` runs
 */
export function planCampaign(config: CampaignConfig, options: PlanCampaignOptions): CampaignPlan {
  assertRunCount(countPlannedRuns(config.experiments), 'controller/planCampaign');
  const rng = createRng(options.seed);
  const names = config.infrastructure.workers.map((worker) => worker.name);
  const next = new Map<string, number>();
  const runs: PlannedRun[] = [];
  config.experiments.forEach((experiment, index) => {
    for (const anomaly of experiment.anomalies) {
      for (const count of experiment.anomalousWorkers) {
        if (count > names.length) {
          throw new ProteusError(
            'PROTEUS_CONTROLLER_INVALID_CONFIG',
            `controller/planCampaign: experiments[${index}] asks for ${count} anomalous workers but there are ${names.length}`,
            {
              details: [{ path: `experiments[${index}].number_of_anomaly_workers`, message: 'more than the workers' }],
            },
          );
        }
        for (let r = 0; r < experiment.runs; r++) {
          const runNumber = next.get(experiment.workflow) ?? options.firstRunNumbers?.[experiment.workflow] ?? 1;
          next.set(experiment.workflow, runNumber + 1);
          runs.push({
            id: formatRunId(experiment.workflow, runNumber),
            workflow: experiment.workflow,
            runNumber,
            experiment: index,
            anomaly: anomaly,
            anomalousWorkers: anomaly === 'normal' ? [] : rng.sample(names, count),
          });
        }
      }
    }
  });
  return finishPlan({
    seed: options.seed,
    workers: config.infrastructure.workers,
    workflows: config.workflows,
    runs,
  });
}

/**
 * Refuses a plan of more than `CAMPAIGN_LIMITS.runs` runs before any is made: plans live in memory, and planning is
 * one synchronous loop, which the bound keeps short enough for signals to be handled at once.
 * @throws ProteusError PROTEUS_CONTROLLER_TOO_MANY_RUNS
 */
export function assertRunCount(runs: number, where: string): void {
  if (runs <= CAMPAIGN_LIMITS.runs) return;
  throw new ProteusError(
    'PROTEUS_CONTROLLER_TOO_MANY_RUNS',
    `${where}: the plan would hold ${runs} runs, more than the limit of ${CAMPAIGN_LIMITS.runs}. Split it into smaller campaigns.`,
    { details: { runs, limit: CAMPAIGN_LIMITS.runs } },
  );
}

/** `<workflow>-runNNNN` (four digits at least, as in Flow-Bench). */
export function formatRunId(workflow: string, runNumber: number): string {
  return `${workflow}-run${String(runNumber).padStart(4, '0')}`;
}

/** Adds `version` and the content fingerprint `id` (sha256 of the canonical JSON, 16 hex digits). */
export function finishPlan(body: Omit<CampaignPlan, 'id' | 'version'>): CampaignPlan {
  const content = { version: 1 as const, ...body };
  const id = createHash('sha256').update(canonicalJson(content)).digest('hex').slice(0, 16);
  return { version: 1, id, ...body };
}

/** JSON with object keys sorted, so equal values always hash equally. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) => {
    if (item === null || typeof item !== 'object' || Array.isArray(item)) return item;
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(item).sort()) sorted[key] = (item as Record<string, unknown>)[key];
    return sorted;
  });
}
