import { ProteusError } from '@proteus-wf/core';
import type { Argv } from 'yargs';
import yargs from 'yargs';
import type { CliIo } from './cli-io.js';

type Register = (cli: Argv, io: CliIo) => Argv;

/** Topics of the `proteus` binary, each in `src/commands/<topic>.ts`. Loaded lazily so `--help` stays fast. */
const commands: Array<() => Promise<Register>> = [
  async () => (await import('./commands/version.js')).registerVersionCommands,
  async () => (await import('./commands/dataset.js')).registerDatasetCommands,
  async () => (await import('./commands/train.js')).registerTrainCommands,
  async () => (await import('./commands/inject.js')).registerInjectCommands,
  async () => (await import('./commands/testbed.js')).registerTestbedCommands,
  async () => (await import('./commands/experiment.js')).registerExperimentCommands,
  async () => (await import('./commands/al.js')).registerAlCommands,
  async () => (await import('./commands/watch.js')).registerWatchCommands,
];

/** Builds the yargs program for `argv`; `runCli` executes it. */
export async function createProgram(argv: string[], io: CliIo): Promise<Argv> {
  let cli = yargs(argv)
    .scriptName('proteus')
    .usage('$0 <command> [options]\n\nFind performance anomalies in scientific workflow executions.')
    .strict()
    .strictCommands()
    .demandCommand(1, 'Name a command; see `proteus --help`.')
    .recommendCommands()
    .wrap(Math.min(120, process.stdout.columns ?? 100))
    .help()
    .version(false)
    .exitProcess(false)
    .fail((message, error) => {
      // Handlers' own errors pass through; yargs' validation messages become usage errors (exit 1).
      throw error ?? new ProteusError('PROTEUS_CLI_USAGE', message);
    });
  for (const load of commands) cli = (await load())(cli, io);
  return cli;
}
