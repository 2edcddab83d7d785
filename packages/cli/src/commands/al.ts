// `proteus al ...`: active learning. `al emulate` replays Flow-Bench traces (the paper's emulation, §4.4); a live
// `al run` against a testbed registers beside it in `registerAlCommands`.
import { resolve } from 'node:path';
import {
  type EmulationSummary,
  emulateActiveLearning,
  STRATEGIES,
  type StrategyName,
} from '@proteus-wf/active-learner';
import { ProteusError } from '@proteus-wf/core';
import { loadFlowBench } from '@proteus-wf/features';
import type { Argv } from 'yargs';
import { type CliIo, formatTable, printResult } from '../cli-io.js';
import { createProgressReporter } from '../progress-reporter.js';
import {
  addLearningOptions,
  addTaskOptions,
  type LearningFlags,
  learningOptionsOf,
  type TaskFlags,
  taskOptionsOf,
} from './al-learning-options.js';
import { registerAlRunCommands } from './al-run.js';

interface EmulateArgs extends LearningFlags, TaskFlags {
  dataset: string;
  adjacency?: string;
  model: 'gcn' | 'ssl';
  strategy: StrategyName;
  compare?: StrategyName[];
  ablation: boolean;
  standard: boolean;
  iterations: number;
  perIteration: number;
  burnIn: number;
  reselectEvery: number;
  seeds: number;
  targetGap: number;
  fullPoolSteps?: number;
  costWeight: number;
  normalize: 'node' | 'none';
  runSelection: 'random' | 'uncertain';
  typeScore: 'labelled' | 'pool';
  runReduce: 'mean' | 'max' | 'top';
  classWeights: 'none' | 'balanced';
  validationFraction: number;
  out?: string;
  resume: boolean;
  json: boolean;
}

/**
 * The contract of `proteus al emulate --json`: curves as { mean, std } per metric, and the experiment counts of
 * issue 14: the full-pool model, runs and testbed-seconds to target and the stop point per strategy, and each
 * strategy against random paired by seed (means with 95% t-intervals).
 */
export function emulateOutput(summary: EmulationSummary) {
  const metricsOf = (label: string) => summary.metrics?.find((m) => m.strategy === label);
  return {
    workflow: summary.workflow,
    model: summary.model,
    settings: summary.settings,
    ...(summary.fullPool ? { fullPool: { rocAuc: summary.fullPool.rocAuc, runs: summary.fullPool.runs } } : {}),
    ...(summary.fullPool && summary.settings.targetGap !== undefined
      ? { target: summary.fullPool.rocAuc - summary.settings.targetGap }
      : {}),
    strategies: summary.strategies.map((s) => {
      const m = metricsOf(s.label);
      return {
        strategy: s.strategy,
        label: s.label,
        terms: s.terms,
        aulc: s.aulc,
        aulcStd: s.aulcStd,
        curve: s.curve,
        final: s.final,
        ...(m
          ? {
              runsToTarget: {
                mean: m.runsToTarget.mean,
                perSeed: m.runsToTarget.perSeed,
                reached: m.runsToTarget.reached,
              },
              secondsToTarget: { mean: m.secondsToTarget.mean },
              aulc16: m.aulc.mean,
              worstSeedRocAuc: m.worstSeedRocAuc,
              swing: m.swing,
              stopped: { runs: m.stopped.runs, rocAuc: m.stopped.rocAuc, atTarget: m.stopped.atTarget },
            }
          : {}),
      };
    }),
    ...(summary.comparisons
      ? {
          comparisons: summary.comparisons.map((c) => ({
            strategy: c.strategy,
            baseline: c.baseline,
            runsToTargetRatio: c.runsToTargetRatio,
            secondsToTargetRatio: c.secondsToTargetRatio,
            aulcGain: c.aulcGain,
          })),
        }
      : {}),
    ...(summary.comparison ? { comparison: summary.comparison } : {}),
  };
}

function renderTable(output: ReturnType<typeof emulateOutput>): string {
  const f = (m: { mean: number; std: number }) => `${m.mean.toFixed(3)} ± ${m.std.toFixed(3)}`;
  const n = (value: number | null | undefined, digits = 1) =>
    value === null || value === undefined ? '—' : value.toFixed(digits);
  const rows: (string | number)[][] = [
    ['strategy', 'AULC', 'final ROC-AUC', 'runs to target', 'seconds to target', 'stopped at (runs, ROC-AUC)'],
  ];
  for (const s of output.strategies)
    rows.push([
      s.label,
      s.aulc.toFixed(3),
      f(s.final.rocAuc),
      s.runsToTarget
        ? `${n(s.runsToTarget.mean)} (${s.runsToTarget.reached}/${s.runsToTarget.perSeed.length} seeds)`
        : '—',
      s.secondsToTarget ? n(s.secondsToTarget.mean, 0) : '—',
      s.stopped ? `${n(s.stopped.runs)}, ${n(s.stopped.rocAuc, 3)}` : '—',
    ]);
  const task = output.settings.task;
  const what = task ? `, ${task.level}-level ${task.labels}, ROC-AUC = ${task.metric}` : '';
  let text = `${output.workflow} (${output.model}${what}, ${output.settings.training ?? 'fixed'})\n${formatTable(rows)}`;
  if (output.fullPool && output.target !== undefined)
    text += `\nfull-pool model: ROC-AUC ${output.fullPool.rocAuc.toFixed(3)} on ${output.fullPool.runs} runs; target ${output.target.toFixed(3)}`;
  if (output.settings.stopping) text += `\nstopping rule: ${output.settings.stopping}`;
  for (const c of output.comparisons ?? []) {
    const ci = (m: { mean: number | null; ci95: [number, number] | null }, digits: number) =>
      m.mean === null
        ? '—'
        : `${m.mean.toFixed(digits)}${m.ci95 ? ` [${m.ci95[0].toFixed(digits)}, ${m.ci95[1].toFixed(digits)}]` : ''}`;
    text += `\n${c.strategy} vs ${c.baseline}: runs-to-target ratio ${ci(c.runsToTargetRatio, 2)} (${c.runsToTargetRatio.seeds} seeds), AULC gain ${ci(c.aulcGain, 3)}`;
  }
  return text;
}

/** Registers `proteus al emulate` and the live `proteus al run` (al-run.ts). */
export function registerAlCommands(cli: Argv, io: CliIo): Argv {
  return cli.command('al', 'Active learning: choose the next experiments from the model uncertainty', (al) =>
    registerAlRunCommands(al, io)
      .command(
        'emulate',
        'Emulate active learning over a Flow-Bench dataset: learning curves vs samples, checkpoints, report.html',
        (y) =>
          addTaskOptions(addLearningOptions(y))
            .option('dataset', {
              type: 'string',
              demandOption: true,
              describe: 'A Flow-Bench zip or folder (gen-2), or an exogeni-2020 zip (gen-1, label folders)',
            })
            .option('adjacency', {
              type: 'string',
              describe: 'Adjacency JSON (default: adjacency_list_dags/<workflow>.json beside the dataset)',
            })
            .option('model', {
              choices: ['gcn', 'ssl'] as const,
              default: 'gcn' as const,
              describe: 'Supervised GCN or self-supervised detector',
            })
            .option('strategy', {
              choices: STRATEGIES,
              default: 'gradient' as StrategyName,
              describe: 'Query strategy',
            })
            .option('compare', {
              choices: STRATEGIES,
              type: 'array',
              describe: 'Baselines run with the same seeds (e.g. random)',
            })
            .option('ablation', {
              type: 'boolean',
              default: false,
              describe: 'Also run the strategy without the third term of Eq. 6',
            })
            .option('standard', {
              type: 'boolean',
              default: false,
              describe:
                "Also run the paper's standard-learning baseline: random queries with the plain loss (no terms 2-3)",
            })
            .option('iterations', { type: 'number', default: 10, describe: 'Iterations K' })
            .option('per-iteration', { type: 'number', default: 2, describe: 'Runs requested per iteration' })
            .option('burn-in', { type: 'number', default: 1, describe: 'Iterations that query at random first' })
            .option('reselect-every', {
              type: 'number',
              default: 4,
              describe: 'Query at random every n-th iteration after burn-in (0 = never)',
            })
            .option('seeds', { type: 'number', default: 5, describe: 'Seeds 0..S-1 (split, init, draws)' })
            .option('cost-weight', {
              type: 'number',
              default: 0,
              describe: 'Cost-aware weighting exponent on expected runtime (0 = off)',
            })
            .option('normalize', {
              choices: ['node', 'none'] as const,
              default: 'node' as const,
              describe: "Divide job uncertainties by their DAG node's mean before ranking (node) or not (none)",
            })
            .option('run-selection', {
              choices: ['random', 'uncertain'] as const,
              default: 'random' as const,
              describe: 'Which pool runs of a queried type are replayed: any (random) or the most uncertain ones',
            })
            .option('type-score', {
              choices: ['labelled', 'pool'] as const,
              default: 'labelled' as const,
              describe: 'Rank anomaly types by the labelled runs (the paper) or by their unlabelled pool runs',
            })
            .option('run-reduce', {
              choices: ['mean', 'max', 'top'] as const,
              default: 'top' as const,
              describe: "How job uncertainties become a pool run's (top = mean of its top tenth)",
            })
            .option('class-weights', {
              choices: ['none', 'balanced'] as const,
              default: 'balanced' as const,
              describe: 'GCN loss class weights from the labelled jobs (same for every entry)',
            })
            .option('validation-fraction', {
              type: 'number',
              default: 0,
              describe: 'Tune without the test set: evaluate on this share of the pool, set aside (0 = test set)',
            })
            .option('out', {
              type: 'string',
              describe: 'Folder for summary.json, report.html, checkpoints and request files',
            })
            .option('resume', { type: 'boolean', default: false, describe: 'Continue from the checkpoints in --out' })
            .option('target-gap', {
              type: 'number',
              default: 0.01,
              describe: "Target ROC-AUC = the full-pool model's minus this gap (runs and seconds to target)",
            })
            .option('full-pool-steps', {
              type: 'number',
              describe: 'Most optimizer steps of the full-pool model that sets the target (default 400)',
            })
            .option('json', { type: 'boolean', default: false, describe: 'Print one JSON object' })
            .check((argv) => {
              if (argv.resume && !argv.out)
                throw new ProteusError(
                  'PROTEUS_CLI_USAGE',
                  'al emulate: --resume needs --out (the folder with the checkpoints)',
                );
              taskOptionsOf(argv as unknown as EmulateArgs, 'al emulate');
              return true;
            }),
        async (argv) => {
          const args = argv as unknown as EmulateArgs;
          const onProgress = createProgressReporter(io);
          const task = taskOptionsOf(args, 'al emulate');
          const dataset = await loadFlowBench(resolve(io.cwd, args.dataset), {
            ...(args.adjacency ? { adjacency: resolve(io.cwd, args.adjacency) } : {}),
            ...(args.generation ? { generation: args.generation } : {}),
            signal: io.signal,
            onProgress,
          });
          const summary = await emulateActiveLearning(dataset, {
            model: args.model,
            task,
            strategy: args.strategy,
            ...(args.compare ? { compare: args.compare } : {}),
            ablation: args.ablation,
            standard: args.standard,
            iterations: args.iterations,
            perIteration: args.perIteration,
            burnIn: args.burnIn,
            reselectEvery: args.reselectEvery,
            ...learningOptionsOf(args),
            targetGap: args.targetGap,
            ...(args.fullPoolSteps === undefined ? {} : { fullPoolSteps: args.fullPoolSteps }),
            seeds: args.seeds,
            costWeight: args.costWeight,
            normalize: args.normalize,
            runSelection: args.runSelection,
            typeScore: args.typeScore,
            runReduce: args.runReduce,
            classWeights: args.classWeights,
            ...(args.validationFraction > 0 ? { validationFraction: args.validationFraction } : {}),
            ...(args.out ? { out: resolve(io.cwd, args.out) } : {}),
            resume: args.resume,
            signal: io.signal,
            onProgress,
          });
          printResult(io, emulateOutput(summary), { json: args.json, table: renderTable });
        },
      )
      .demandCommand(1, 'Name an al command; see `proteus al --help`.'),
  );
}
