import { resolve } from 'node:path';
import { type ActiveModelKind, STRATEGIES, type StrategyName } from '@proteus-wf/active-learner';
import { type ProgressEvent, ProteusError } from '@proteus-wf/core';
import { type LiveLoopSummary, runLiveLoop } from '@proteus-wf/lab';
import type { Argv } from 'yargs';
import { type CliIo, formatTable, printResult } from '../cli-io.js';
import { readPackageVersions } from '../package-versions.js';
import {
  addLearningOptions,
  addTaskOptions,
  type LearningFlags,
  learningOptionsOf,
  type TaskFlags,
  taskOptionsOf,
} from './al-learning-options.js';

/** The flags of `proteus al run`. */
export interface AlRunFlags extends TaskFlags {
  testbed: 'local';
  /** Pegasus YAML 5.0 file of the workflow. */
  workflow: string;
  out: string;
  model: ActiveModelKind;
  strategy: StrategyName;
  compare: StrategyName[];
  iterations: number;
  perIteration: number;
  burnIn: number;
  reselectEvery: number;
  /** Optimizer steps per iteration of the fixed protocol (absent: train to convergence, or as `learning` says). */
  steps?: number;
  /** The protocol and stopping flags (default: converge, stop by stable predictions). */
  learning?: LearningFlags;
  costWeight: number;
  testRuns: number;
  calibrationRuns: number;
  anomalies: string[];
  workers: number;
  seed: number;
  resume: boolean;
}

const TESTBEDS = ['local'] as const;
const MODELS = ['gcn', 'ssl'] as const;
const DEFAULTS = {
  iterations: 4,
  perIteration: 2,
  burnIn: 1,
  reselectEvery: 4,
  testRuns: 4,
  calibrationRuns: 2,
  anomalies: 'cpu_1,hdd_1',
  workers: 2,
  seed: 0,
};
const WHERE = 'al run';

/**
 * Adds `run` to the `al` command: the live active-learning loop. `al.ts` calls it inside its `al` builder, because
 * yargs keeps only the last registration of a command name.
 * @example cli.command('al', '...', (al) => registerAlRunCommands(al.command('emulate', ...), io))
 */
export function registerAlRunCommands(al: Argv, io: CliIo): Argv {
  return al.command(
    'run',
    'Run the live active-learning loop: queries become experiments on a testbed, their traces update the model',
    (y) =>
      addTaskOptions(addLearningOptions(y))
        .option('testbed', { choices: TESTBEDS, default: 'local' as const, describe: 'Where the workflows run' })
        .option('workflow', { type: 'string', demandOption: true, describe: 'Pegasus YAML 5.0 workflow to run' })
        .option('out', {
          type: 'string',
          demandOption: true,
          describe: 'Output folder: report.html, summary.json, checkpoints/, traces/',
        })
        .option('model', {
          choices: MODELS,
          default: 'gcn' as const,
          describe: 'Supervised GCN or self-supervised SSL',
        })
        .option('strategy', { choices: STRATEGIES, default: 'gradient' as const, describe: 'Query strategy' })
        .option('compare', {
          type: 'array',
          string: true,
          choices: STRATEGIES,
          default: [] as string[],
          describe: 'Baseline strategies run on the same test set (e.g. random)',
        })
        .option('iterations', { type: 'number', default: DEFAULTS.iterations, describe: 'Iterations K (≥ 2)' })
        .option('per-iteration', { type: 'number', default: DEFAULTS.perIteration, describe: 'Runs per iteration' })
        .option('burn-in', { type: 'number', default: DEFAULTS.burnIn, describe: 'Iterations that query at random' })
        .option('reselect-every', {
          type: 'number',
          default: DEFAULTS.reselectEvery,
          describe: 'Query at random every n-th iteration after burn-in (0 = never)',
        })
        .option('cost-weight', {
          type: 'number',
          default: 0,
          describe: 'Cost-aware weighting exponent on expected runtime (0 = off)',
        })
        .option('test-runs', {
          type: 'number',
          default: DEFAULTS.testRuns,
          describe: 'Held-out test runs with random anomalies',
        })
        .option('calibration-runs', {
          type: 'number',
          default: DEFAULTS.calibrationRuns,
          describe: 'Runs that only fit the feature scaler',
        })
        .option('anomalies', {
          type: 'string',
          default: DEFAULTS.anomalies,
          describe: 'Comma-separated anomalies the learner may request (dataset names: cpu_K, hdd_K, loss_K)',
        })
        .option('workers', { type: 'number', default: DEFAULTS.workers, describe: 'Workers of the local testbed' })
        .option('seed', { type: 'number', default: DEFAULTS.seed, describe: 'Seed of every random choice' })
        .option('resume', { type: 'boolean', default: false, describe: 'Continue an interrupted loop in --out' })
        .option('json', { type: 'boolean', default: false, describe: 'Print one JSON object' }),
    async (argv) => {
      const summary = await runAlRun(
        {
          testbed: argv.testbed,
          workflow: argv.workflow,
          out: argv.out,
          model: argv.model,
          ...(argv.task === undefined ? {} : { task: argv.task }),
          ...(argv.labels === undefined ? {} : { labels: argv.labels }),
          ...(argv.generation === undefined ? {} : { generation: argv.generation as 1 | 2 }),
          strategy: argv.strategy,
          compare: argv.compare as StrategyName[],
          iterations: argv.iterations,
          perIteration: argv['per-iteration'],
          burnIn: argv['burn-in'],
          reselectEvery: argv['reselect-every'],
          ...(argv.steps === undefined ? {} : { steps: argv.steps }),
          learning: {
            ...(argv.protocol === undefined ? {} : { protocol: argv.protocol }),
            ...(argv.steps === undefined ? {} : { steps: argv.steps }),
            ...(argv['max-steps'] === undefined ? {} : { maxSteps: argv['max-steps'] }),
            ...(argv.patience === undefined ? {} : { patience: argv.patience }),
            stop: argv.stop,
            ...(argv['stop-agreement'] === undefined ? {} : { stopAgreement: argv['stop-agreement'] }),
            ...(argv['stop-window'] === undefined ? {} : { stopWindow: argv['stop-window'] }),
            ...(argv['stop-min-runs'] === undefined ? {} : { stopMinRuns: argv['stop-min-runs'] }),
          },
          costWeight: argv['cost-weight'],
          testRuns: argv['test-runs'],
          calibrationRuns: argv['calibration-runs'],
          anomalies: argv.anomalies
            .split(',')
            .map((name) => name.trim())
            .filter(Boolean),
          workers: argv.workers,
          seed: argv.seed,
          resume: argv.resume,
        },
        io,
        { json: argv.json },
      );
      printResult(io, summary, { json: argv.json, table: renderSummary });
    },
  );
}

/**
 * `proteus al run`: checks the flags, then runs `@proteus-wf/lab`'s `runLiveLoop` with its progress rendered on
 * `io.stderr`.
 * @throws ProteusError PROTEUS_CLI_USAGE for bad counts, and the codes of `runLiveLoop`
 */
async function runAlRun(options: AlRunFlags, io: CliIo, display: { json?: boolean } = {}): Promise<LiveLoopSummary> {
  checkCounts(options);
  const task = taskOptionsOf(options, WHERE);
  const progress = createProgressPrinter(io, options.iterations, display.json === true);
  return runLiveLoop({
    workflow: resolve(io.cwd, options.workflow),
    out: resolve(io.cwd, options.out),
    model: options.model,
    task,
    strategy: options.strategy,
    compare: options.compare,
    iterations: options.iterations,
    perIteration: options.perIteration,
    burnIn: options.burnIn,
    reselectEvery: options.reselectEvery,
    ...learningOptionsOf(
      options.learning ?? {
        stop: 'stable-predictions',
        ...(options.steps === undefined ? {} : { steps: options.steps }),
      },
    ),
    costWeight: options.costWeight,
    testRuns: options.testRuns,
    calibrationRuns: options.calibrationRuns,
    anomalies: options.anomalies,
    workers: options.workers,
    seed: options.seed,
    resume: options.resume,
    reproduce: { command: commandLineOf(options), versions: await readPackageVersions() },
    ...(io.signal ? { signal: io.signal } : {}),
    onProgress: progress.onProgress,
  }).finally(progress.done);
}

/** The `proteus al run` command line that reruns these options (every flag spelled out, defaults included). */
export function commandLineOf(options: AlRunFlags): string {
  const quote = (value: string) => (/^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, "'\\''")}'`);
  const flags: Array<[string, string | number | undefined]> = [
    ['testbed', options.testbed],
    ['workflow', options.workflow],
    ['out', options.out],
    ['model', options.model],
    ...(options.task === undefined ? [] : [['task', options.task] as [string, string]]),
    ...(options.labels === undefined ? [] : [['labels', options.labels] as [string, string]]),
    ['strategy', options.strategy],
    ...options.compare.map((name): [string, string] => ['compare', name]),
    ['iterations', options.iterations],
    ['per-iteration', options.perIteration],
    ['burn-in', options.burnIn],
    ['reselect-every', options.reselectEvery],
    ...(options.steps === undefined ? [] : [['steps', options.steps] as [string, number]]),
    ...(options.learning?.stop === 'never' ? [['stop', 'never'] as [string, string]] : []),
    ['cost-weight', options.costWeight],
    ['test-runs', options.testRuns],
    ['calibration-runs', options.calibrationRuns],
    ['anomalies', options.anomalies.join(',')],
    ['workers', options.workers],
    ['seed', options.seed],
  ];
  return ['proteus', 'al', 'run', ...flags.map(([flag, value]) => `--${flag} ${quote(String(value))}`)].join(' ');
}

function checkCounts(options: AlRunFlags): void {
  const problems: string[] = [];
  const atLeast = (value: number, min: number, flag: string) => {
    if (!Number.isInteger(value) || value < min) problems.push(`--${flag} must be an integer ≥ ${min} (got ${value})`);
  };
  atLeast(options.iterations, 2, 'iterations');
  atLeast(options.perIteration, 1, 'per-iteration');
  atLeast(options.burnIn, 0, 'burn-in');
  atLeast(options.reselectEvery, 0, 'reselect-every');
  if (options.steps !== undefined) atLeast(options.steps, 1, 'steps');
  if (!(options.costWeight >= 0)) problems.push(`--cost-weight must be ≥ 0 (got ${options.costWeight})`);
  atLeast(options.testRuns, 2, 'test-runs');
  atLeast(options.calibrationRuns, 2, 'calibration-runs');
  atLeast(options.workers, 1, 'workers');
  if (!Number.isSafeInteger(options.seed)) problems.push(`--seed must be an integer (got ${options.seed})`);
  if (options.anomalies.length === 0) problems.push('--anomalies must name at least one anomaly (e.g. cpu_1,hdd_1)');
  if (options.generation === 1)
    problems.push(
      '--generation 1 (exogeni-2020 traces) applies to al emulate; a live testbed writes generation-2 traces: drop --generation',
    );
  if (options.labels === 'multiclass' && options.anomalies.length < 2)
    problems.push('--labels multiclass needs at least two --anomalies to tell apart (e.g. cpu_1,hdd_1)');
  if (problems.length > 0) {
    throw new ProteusError('PROTEUS_CLI_USAGE', `${WHERE}: ${problems.join('; ')}`, { details: { problems } });
  }
}

function renderSummary(summary: LiveLoopSummary): string {
  const rows: Array<Array<string | number>> = [
    ['strategy', 'AULC', 'final ROC-AUC', 'final AP', 'final P@k', 'training runs'],
  ];
  for (const s of summary.strategies) {
    rows.push([
      s.label,
      s.aulc.toFixed(3),
      s.final.rocAuc.mean.toFixed(3),
      s.final.averagePrecision.mean.toFixed(3),
      s.final.precisionAtK.mean.toFixed(3),
      s.final.samples,
    ]);
  }
  const lines = [formatTable(rows), ''];
  lines.push('One seed: an anecdote, not a result; differences between strategies may be chance.');
  for (const warning of summary.warnings ?? []) lines.push(`WARNING: ${warning}`);
  for (const [strategy, why] of Object.entries(summary.live.stopped))
    lines.push(
      `${strategy}: ${why === 'budget' ? 'ran its whole budget (the stopping rule did not fire)' : `stopped: ${why}`}`,
    );
  if (summary.comparison?.meaningful === false) {
    lines.push(
      `${summary.settings.strategy} vs random: not compared, the anomalies did not measurably change the runs (noise).`,
    );
  } else if (summary.comparison) {
    const c = summary.comparison;
    lines.push(
      `${summary.settings.strategy} vs random on this seed (not a significance test): AULC ${c.aulcGain >= 0 ? '+' : ''}${(c.aulcGain * 100).toFixed(1)}%; random's final ROC-AUC ${c.target.toFixed(3)} ${c.samples === null ? `not reached within ${c.randomSamples} runs` : `reached after ${c.samples} of ${c.randomSamples} runs`}`,
    );
  }
  lines.push(
    `${summary.live.testRuns} held-out test runs (${summary.dataset.testJobs} jobs), ${summary.live.calibrationRuns} calibration runs, isolation ${summary.live.isolation}, ${summary.live.wallSeconds.toFixed(0)} s`,
    `traces: ${summary.live.traces}`,
    `report: ${summary.report}`,
  );
  return lines.join('\n');
}

interface ProgressPrinter {
  onProgress(event: ProgressEvent): void;
  done(): void;
}

/**
 * Renders the loop's progress on stderr: stages, each iteration's query, each run with its injected anomaly, and the
 * running jobs (a status line rewritten in place on a terminal, a line every few seconds otherwise).
 */
function createProgressPrinter(io: CliIo, iterations: number, quiet: boolean): ProgressPrinter {
  let status = false;
  let lastJobs = 0;
  const clear = () => {
    if (status) io.stderr('\r\x1b[K');
    status = false;
  };
  const line = (text: string) => {
    if (quiet && !io.isTTY) return;
    clear();
    io.stderr(`${text}\n`);
  };
  return {
    onProgress(event) {
      const data = (event.data ?? {}) as Record<string, unknown>;
      if (event.phase === 'setup') line(event.message ?? '');
      else if (event.phase === 'stage') line(`== ${event.message ?? ''}`);
      else if (event.phase === 'warning') line(`WARNING: ${event.message ?? ''}`);
      else if (event.phase === 'iteration') {
        const auc = typeof data.rocAuc === 'number' ? `, test ROC-AUC ${data.rocAuc.toFixed(3)}` : '';
        line(`[${String(data.strategy)}] ${event.message ?? ''} (${String(data.samples)} runs acquired${auc})`);
      } else if (event.phase === 'batch') {
        const iteration = /k(\d+)$/.exec(String(data.id ?? ''));
        const label = iteration ? `iteration ${Number(iteration[1])}/${iterations}` : String(data.batch);
        line(`[${String(data.backend)}] ${label}: request ${event.message?.replace(/^[^:]*: /, '') ?? ''}`);
      } else if (event.phase === 'experiment') {
        line(
          `  run ${String(data.run)}/${String(data.runs)} ${String(data.labRunId ?? data.runId)}: ${describeInjection(event)}`,
        );
      } else if (event.phase === 'jobs') {
        const text = `    jobs ${String(data.done)}/${String(data.total)} done, ${String(data.running)} running`;
        if (io.isTTY) {
          io.stderr(`\r\x1b[K${text}`);
          status = true;
        } else if (!quiet && Date.now() - lastJobs >= 5000) {
          lastJobs = Date.now();
          io.stderr(`${text}\n`);
        }
      }
    },
    done: clear,
  };
}

function describeInjection(event: ProgressEvent): string {
  const data = (event.data ?? {}) as Record<string, unknown>;
  const anomaly = String(data.anomaly ?? '');
  if (anomaly === 'normal') return 'normal (no anomaly)';
  const where = /\bon (.+)$/.exec(event.message ?? '');
  return `inject ${anomaly}${where ? ` on ${where[1]}` : ''}`;
}
