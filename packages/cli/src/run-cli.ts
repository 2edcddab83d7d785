import { isProteusError, redactSecrets } from '@proteus-wf/core';
import type { Argv } from 'yargs';
import type { CliIo } from './cli-io.js';
import { createProgram, helpCommandFor } from './main.js';

const EXIT_RUNS_FAILED = 3;

/** What one in-process `proteus` invocation of {@link runCli} returned: its exit code and the output it captured. */
export interface CliOutcome {
  /**
   * `0` on success, `1` for a user error (`ProteusError`, bad arguments), `2` for an internal error, `3` when the
   * command printed its result but part of its work failed (`experiment run|request`: a run of the campaign failed).
   */
  exitCode: number;
  /** Everything written to stdout; empty when a custom `io.stdout` was given (the text went there instead). */
  stdout: string;
  /** Everything written to stderr; empty when a custom `io.stderr` was given (the text went there instead). */
  stderr: string;
}

/**
 * Runs `proteus` in-process. User errors (`ProteusError`, bad arguments) give exit code 1 and a one-line message
 * (with `--json`, `{ "error": { code, message } }` on stdout); anything else is a bug and exits 2 with the stack.
 * @example const { exitCode, stdout } = await runCli(['dataset', 'inspect', 'x.zip', '--json'])
 */
export async function runCli(argv: string[], io: Partial<CliIo> = {}): Promise<CliOutcome> {
  let stdout = '';
  let stderr = '';
  const full: CliIo = {
    stdout: io.stdout ?? ((text) => (stdout += text)),
    stderr: io.stderr ?? ((text) => (stderr += text)),
    isTTY: io.isTTY ?? false,
    cwd: io.cwd ?? process.cwd(),
    env: io.env ?? process.env,
    signal: io.signal ?? new AbortController().signal,
  };
  const json = argv.includes('--json');
  let program: Argv | undefined;
  try {
    program = await createProgram(argv, full);
    let helpText = '';
    await program.parseAsync(argv, {}, (_error, _argv, output) => {
      helpText = output;
    });
    if (helpText) full.stdout(`${helpText}\n`);
    return { exitCode: 0, stdout, stderr };
  } catch (error) {
    if (isProteusError(error, 'PROTEUS_CLI_RUNS_FAILED')) {
      // The result, with each failed run's error, is already on stdout: one JSON object with --json.
      full.stderr(`proteus: ${redactSecrets(error.message)}\n`);
      return { exitCode: EXIT_RUNS_FAILED, stdout, stderr };
    }
    // Errors may quote API answers: mask every secret recognised by its shape before it leaves the process.
    if (isProteusError(error)) {
      if (json)
        full.stdout(
          `${redactSecrets(JSON.stringify({ error: { code: error.code, message: error.message, details: error.details } }))}\n`,
        );
      const hint = error.code === 'PROTEUS_CLI_USAGE' ? `\nRun \`${helpCommandFor(error, program)}\` for usage.` : '';
      full.stderr(`proteus: ${redactSecrets(error.message)}${hint}\n`);
      return { exitCode: 1, stdout, stderr };
    }
    full.stderr(
      `proteus: internal error (please report it)\n${redactSecrets(error instanceof Error ? (error.stack ?? error.message) : String(error))}\n`,
    );
    return { exitCode: 2, stdout, stderr };
  }
}
