import { ProteusError } from '@proteus-wf/core';
import type { Argv } from 'yargs';
import yargs from 'yargs';
import type { CliIo } from './cli-io.js';
import { readCliVersion } from './cli-version.js';

type Register = (cli: Argv, io: CliIo) => Argv;

/**
 * A top-level command: its name and one-line description (all `proteus --help` needs) and the module that registers
 * it with its options and handler. Only the module of the command being run is imported, so `--help` and
 * `--version` never load onnxruntime, Arrow or the report renderer.
 */
export interface Topic {
  command: string;
  describe: string;
  load: () => Promise<Register>;
}

const loadTrain = async () => (await import('./commands/train.js')).registerTrainCommands;

/** Topics of the `proteus` binary, each in `src/commands/<topic>.ts`, in the order of `proteus --help`. */
export const TOPICS: readonly Topic[] = [
  {
    command: 'version',
    describe: 'Print the versions of proteus and its runtime',
    load: async () => (await import('./commands/version.js')).registerVersionCommands,
  },
  {
    command: 'dataset',
    describe: 'Inspect datasets and convert them into feature files',
    load: async () => (await import('./commands/dataset.js')).registerDatasetCommands,
  },
  {
    command: 'train',
    describe:
      'Train a GCN/MLP classifier or the self-supervised (ssl) detector on one workflow and report test metrics',
    load: loadTrain,
  },
  {
    command: 'evaluate',
    describe: 'Measure a saved model (gcn, mlp or ssl) on a whole labelled dataset',
    load: loadTrain,
  },
  {
    command: 'score',
    describe: 'Score the jobs (node-level or ssl model) or runs (graph-level model) of new traces',
    load: loadTrain,
  },
  {
    command: 'inject',
    describe: 'Inject CPU, disk and network anomalies into workers, and undo them',
    load: async () => (await import('./commands/inject.js')).registerInjectCommands,
  },
  {
    command: 'testbed',
    describe: 'Provision, inspect and release FABRIC slices and Chameleon leases; recover crashed local testbeds',
    load: async () => (await import('./commands/testbed.js')).registerTestbedCommands,
  },
  {
    command: 'experiment',
    describe: 'Plan and run anomaly-injection campaigns that produce labelled traces',
    load: async () => (await import('./commands/experiment.js')).registerExperimentCommands,
  },
  {
    command: 'al',
    describe: 'Active learning: choose the next experiments from the model uncertainty',
    load: async () => (await import('./commands/al.js')).registerAlCommands,
  },
  {
    command: 'watch <submit-dir>',
    describe: 'Follow a running Pegasus workflow and score each job as it finishes',
    load: async () => (await import('./commands/watch.js')).registerWatchCommands,
  },
];

const helpCommands = new WeakMap<object, string>();
const runningCommands = new WeakMap<Argv, string[]>();

/**
 * The `--help` command line that documents the command an error came from (`proteus train --help`): the command
 * yargs was validating, else the one whose handler `program` was running; `proteus --help` otherwise.
 * @example helpCommandFor(error, program) // 'proteus dataset inspect --help'
 */
export function helpCommandFor(error: unknown, program?: Argv): string {
  const known = typeof error === 'object' && error !== null ? helpCommands.get(error) : undefined;
  if (known) return known;
  const running = program ? runningCommands.get(program) : undefined;
  return `${['proteus', ...(running ?? [])].join(' ')} --help`;
}

/**
 * Builds the yargs program for `argv`; `runCli` executes it. Only the module of the command named in `argv` is
 * loaded; every other command is listed by name and description.
 * @example const program = await createProgram(['--help'], io)
 */
export async function createProgram(argv: string[], io: CliIo): Promise<Argv> {
  let cli = yargs(argv)
    .scriptName('proteus')
    .usage('$0 <command> [options]\n\nFind performance anomalies in scientific workflow executions.')
    .locale('en')
    .strict()
    .strictCommands()
    .demandCommand(1, 'no command given.')
    .recommendCommands()
    .wrap(Math.min(120, process.stdout.columns ?? 100))
    .help()
    .version('version', 'Show the version of proteus', readCliVersion())
    .alias('version', 'v')
    .exitProcess(false)
    .fail((message, error, usage) => {
      // Handlers' own errors pass through; yargs' validation messages become usage errors (exit 1).
      const words = usageWordsOf(usage);
      const firstArgument = words.findIndex((word) => !/^[a-z][\w-]*$/i.test(word));
      const path = firstArgument < 0 ? words : words.slice(0, firstArgument);
      const failure = error ?? new ProteusError('PROTEUS_CLI_USAGE', describeUsageProblem(message, argv, words));
      if (!error) helpCommands.set(failure, `${['proteus', ...path].join(' ')} --help`);
      throw failure;
    });
  // After validation, `_` holds the names of the command about to run (its positionals have their own keys).
  cli = cli.middleware((args) => {
    runningCommands.set(cli, args._.map(String));
  });
  const requested = argv.find((arg) => !arg.startsWith('-'));
  const wanted = TOPICS.find((topic) => topic.command.split(' ')[0] === requested);
  for (const topic of TOPICS) {
    if (wanted?.load === topic.load) continue;
    cli = cli.command(topic.command, topic.describe);
  }
  if (wanted) cli = (await wanted.load())(cli, io);
  return cli;
}

/**
 * The words after `$0` of the usage yargs shows for the command that failed: `['dataset', 'inspect', '<path>']` for
 * `$0 dataset inspect <path>`; empty at the top level.
 */
function usageWordsOf(usage: unknown): string[] {
  // NOTE: yargs hands its usage instance to `fail` (typed as the yargs instance); its `getUsage()` names the command.
  const getUsage = (usage as { getUsage?: () => Array<[string, string]> } | undefined)?.getUsage;
  if (typeof getUsage !== 'function') return [];
  const line = getUsage.call(usage)[0]?.[0]?.split('\n')[0] ?? '';
  const words = line.split(/\s+/).filter(Boolean);
  return words[0] === '$0' && words[1] !== '<command>' ? words.slice(1) : [];
}

/**
 * Rewrites yargs' validation messages in the words of a command line: an unknown `--foo-bar` is reported once, as
 * typed (not also as its camel-case twin `fooBar`), missing options and positionals by their flag or `<name>`.
 */
function describeUsageProblem(message: string, argv: readonly string[], usageWords: readonly string[]): string {
  const missing = /^Missing required arguments?: (.+)$/s.exec(message);
  if (missing?.[1]) {
    const flags = missing[1].split(', ').map((name) => (name.length === 1 ? `-${name}` : `--${name}`));
    return `missing required option${flags.length > 1 ? 's' : ''} ${flags.join(', ')}.`;
  }
  const positionals = /^Not enough non-option arguments: got (\d+), need at least (\d+)$/.exec(message);
  if (positionals) {
    const required = usageWords.filter((word) => word.startsWith('<'));
    const absent = required.slice(Number(positionals[1]));
    if (absent.length > 0) return `missing ${absent.join(' ')}.`;
  }
  if (message.startsWith('Did you mean')) {
    return `unknown command ${argv.find((arg) => !arg.startsWith('-'))}. ${message}`;
  }
  const unknown = /^Unknown arguments?: (.+)$/s.exec(message);
  if (!unknown?.[1]) return message;
  const names = unknown[1].split(', ');
  const camel = (name: string) => name.replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase());
  const typed = names.filter((name) => !names.some((other) => other !== name && camel(other) === name));
  const flagOf = (name: string) => {
    const dashed = name.length === 1 ? `-${name}` : `--${name}`;
    return argv.some((arg) => arg === dashed || arg.startsWith(`${dashed}=`) || arg === `--no-${name}`) ? dashed : null;
  };
  const flags = typed.map(flagOf).filter((flag): flag is string => flag !== null);
  const words = typed.filter((name) => flagOf(name) === null);
  const parts = [
    ...(flags.length ? [`unknown option${flags.length > 1 ? 's' : ''} ${flags.join(', ')}`] : []),
    ...(words.length ? [`unexpected argument${words.length > 1 ? 's' : ''} ${words.join(', ')}`] : []),
  ];
  return `${parts.join('; ')}.`;
}
