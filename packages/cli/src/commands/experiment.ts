import { join, resolve } from 'node:path';
import {
  type CampaignConfig,
  type CampaignPlan,
  type CampaignResult,
  createController,
  loadCampaignConfig,
  planCampaign,
} from '@proteus-wf/controller';
import { type ProgressEvent, ProteusError } from '@proteus-wf/core';
import { createInjector } from '@proteus-wf/injector';
import { createLocalTestbed } from '@proteus-wf/testbed-local';
import type { Argv } from 'yargs';
import { type CliIo, formatTable, printResult } from '../cli-io.js';

const TESTBEDS = ['local'] as const;

interface PlanArgs {
  config: string;
  seed?: number;
  json: boolean;
}

interface RunArgs extends PlanArgs {
  testbed: (typeof TESTBEDS)[number];
  out: string;
  resume: boolean;
  ledger?: string;
}

interface RequestArgs extends Omit<RunArgs, 'resume'> {
  requests: string;
}

/**
 * `proteus experiment plan|run|request`: campaigns of workflow runs with injected anomalies, written as Flow-Bench
 * gen-2 traces (see `@proteus-wf/controller`).
 * @example proteus experiment run --config campaign.json --testbed local --out traces --json
 */
export function registerExperimentCommands(cli: Argv, io: CliIo): Argv {
  return cli.command(
    'experiment',
    'Plan and run anomaly-injection campaigns that produce labelled traces',
    (experiment) =>
      experiment
        .command(
          'plan',
          'Expand a campaign config into runs (with the seeded choice of anomalous workers)',
          (y) => withConfig(y),
          async (argv) => {
            const args = argv as unknown as PlanArgs;
            const { config, seed } = await readConfig(args, io);
            const plan = planCampaign(config, { seed });
            printResult(io, plan, { json: args.json, table: renderPlan });
          },
        )
        .command(
          'run',
          'Run a campaign on a testbed and write <out>/<workflow>/<workflow>-runNNNN.csv',
          (y) =>
            withTestbed(withConfig(y)).option('resume', {
              type: 'boolean',
              default: false,
              describe: 'Continue a campaign already started in --out (after a crash or Ctrl-C)',
            }),
          async (argv) => {
            const args = argv as unknown as RunArgs;
            const { config, seed } = await readConfig(args, io);
            const plan = planCampaign(config, { seed });
            const result = await withController(args, io, config, seed, (controller) =>
              controller.runCampaign(plan, {
                resume: args.resume,
                signal: io.signal,
                onProgress: progressPrinter(io),
              }),
            );
            printResult(io, result, { json: args.json, table: renderResult });
            throwIfRunsFailed(result, 'experiment run');
          },
        )
        .command(
          'request',
          'Run an experiment-request file from the active learner (the translation layer) and print the CSV paths',
          (y) =>
            withTestbed(withConfig(y)).option('requests', {
              type: 'string',
              demandOption: true,
              describe: 'JSON file { requests: [{ workflow, anomaly, level?, anomalousWorkers, runs, hints? }] }',
            }),
          async (argv) => {
            const args = argv as unknown as RequestArgs;
            const { config, seed } = await readConfig(args, io);
            const result = await withController(args, io, config, seed, (controller) =>
              controller.runRequests(resolve(io.cwd, args.requests), {
                config,
                signal: io.signal,
                onProgress: progressPrinter(io),
              }),
            );
            printResult(io, result, { json: args.json, table: renderResult });
            throwIfRunsFailed(result, 'experiment request');
          },
        )
        .demandCommand(1, 'Name an experiment command: plan, run or request.'),
  );
}

/**
 * Ends a campaign whose result was printed with exit code 3 when any of its runs failed (see `runCli`).
 * @throws ProteusError PROTEUS_CLI_RUNS_FAILED naming the failed runs and their first error
 */
function throwIfRunsFailed(result: CampaignResult, command: string): void {
  const failed = result.runs.filter((run) => run.status === 'failed');
  if (failed.length === 0) return;
  const first = failed[0]?.error;
  throw new ProteusError(
    'PROTEUS_CLI_RUNS_FAILED',
    `${command}: ${failed.length} of ${result.runs.length} runs failed (${failed.map((run) => run.id).join(', ')})${first ? `; first: ${first.code}: ${first.message}` : ''}. Fix the cause and rerun with --resume: done runs are kept, failed ones run again.`,
    { details: { failed: failed.map((run) => ({ id: run.id, error: run.error ?? null })) } },
  );
}

function withConfig(y: Argv): Argv {
  return y
    .option('config', {
      type: 'string',
      demandOption: true,
      describe: 'Campaign JSON: { infrastructure, experiments, workflows } (Poseidon-X field names)',
    })
    .option('seed', {
      type: 'number',
      describe: 'Seed of the anomalous-worker choice (default: the config seed, else 0)',
    })
    .option('json', { type: 'boolean', default: false, describe: 'Print one JSON object' });
}

function withTestbed(y: Argv): Argv {
  return y
    .option('testbed', { choices: TESTBEDS, default: 'local' as const, describe: 'Where the workflows run' })
    .option('out', { type: 'string', demandOption: true, describe: 'Output folder (traces, plans, experiment log)' })
    .option('ledger', { type: 'string', describe: 'Injector ledger (default: <out>/injector-ledger.jsonl)' });
}

async function readConfig(args: PlanArgs, io: CliIo): Promise<{ config: CampaignConfig; seed: number }> {
  const config = await loadCampaignConfig(resolve(io.cwd, args.config));
  const seed = args.seed ?? config.seed ?? 0;
  if (!Number.isSafeInteger(seed)) {
    throw new ProteusError('PROTEUS_CLI_USAGE', `experiment: --seed must be an integer, got ${String(args.seed)}`);
  }
  return { config, seed };
}

async function withController(
  args: Omit<RunArgs, 'resume'>,
  io: CliIo,
  config: CampaignConfig,
  seed: number,
  body: (controller: ReturnType<typeof createController>) => Promise<CampaignResult>,
): Promise<CampaignResult> {
  const outDir = resolve(io.cwd, args.out);
  const ledgerPath = args.ledger ? resolve(io.cwd, args.ledger) : join(outDir, 'injector-ledger.jsonl');
  await using testbed = createLocalTestbed({
    workers: config.infrastructure.workers.map((worker) => ({
      name: worker.name,
      cores: worker.cores,
      memoryMb: worker.memoryMb,
    })),
    workDir: join(outDir, '.testbed'),
    seed,
  });
  const injector = createInjector({ ledgerPath });
  const controller = createController({ testbed, injector, outDir, seed, ledgerPath });
  // `await` so the testbed is released after the campaign, not before.
  return await body(controller);
}

function progressPrinter(io: CliIo): (event: ProgressEvent) => void {
  let last = '';
  return (event) => {
    if (event.phase !== 'run' || !event.message || event.message === last) return;
    last = event.message;
    io.stderr(`[${Math.round(event.ratio * 100)}%] ${event.message}\n`);
  };
}

function renderPlan(plan: CampaignPlan): string {
  const rows: Array<Array<string | number>> = [['run', 'anomaly', 'anomalous workers']];
  for (const run of plan.runs) rows.push([run.id, run.anomaly, run.anomalousWorkers.join(' ') || '-']);
  return `plan ${plan.id} (seed ${plan.seed}, ${plan.runs.length} runs, ${plan.workers.length} workers)\n${formatTable(rows)}`;
}

function renderResult(result: CampaignResult): string {
  const rows: Array<Array<string | number>> = [['run', 'status', 'anomaly', 'jobs', 'anomalous jobs']];
  for (const run of result.runs) {
    rows.push([
      run.id,
      run.resumed ? `${run.status} (earlier)` : run.status,
      run.anomaly,
      run.jobs ?? '-',
      run.anomalousJobs ?? '-',
    ]);
  }
  return `${formatTable(rows)}\n\n${result.done} done, ${result.failed} failed; traces in ${result.outDir}`;
}
