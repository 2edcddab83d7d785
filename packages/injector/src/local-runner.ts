import type { CommandResult, CommandRunner, RunCommandOptions } from '@proteus-wf/core';
import { ProteusError } from '@proteus-wf/core';
import { execa } from 'execa';

/** Options of {@link createLocalRunner}: default deadline, working folder, environment and reported target. */
export interface LocalRunnerOptions {
  /** Deadline of a command that passes no `timeoutMs` (default 30 s). */
  timeoutMs?: number;
  /** Working folder of every command (default: the process's). */
  cwd?: string;
  /** Extra environment variables, merged over the process's. */
  env?: Record<string, string>;
  /** The `target` string this runner reports (default `local`). */
  target?: string;
}

const DEFAULTS = { timeoutMs: 30_000 };

/**
 * A {@link CommandRunner} for this machine: execa with an argument array, never a shell.
 * @example const result = await createLocalRunner().run('tc', ['-V'], { timeoutMs: 5000 })
 * @throws ProteusError (from `run`) PROTEUS_INJECTOR_COMMAND_FAILED, PROTEUS_INJECTOR_COMMAND_TIMEOUT,
 *   PROTEUS_INJECTOR_COMMAND_NOT_FOUND, PROTEUS_CORE_ABORTED
 */
export function createLocalRunner(options: LocalRunnerOptions = {}): CommandRunner {
  const target = options.target ?? 'local';
  const defaultTimeoutMs = options.timeoutMs ?? DEFAULTS.timeoutMs;
  return {
    target,
    async run(file: string, args: readonly string[], runOptions: RunCommandOptions = {}): Promise<CommandResult> {
      const timeoutMs = runOptions.timeoutMs ?? defaultTimeoutMs;
      const where = `injector/${target}`;
      const command = [file, ...args].join(' ');
      if (runOptions.signal?.aborted) {
        throw new ProteusError('PROTEUS_CORE_ABORTED', `${where}: aborted before running ${command}`, {
          cause: runOptions.signal.reason,
        });
      }
      const started = performance.now();
      const result = await execa(file, [...args], {
        reject: false,
        timeout: timeoutMs,
        ...(runOptions.signal ? { cancelSignal: runOptions.signal } : {}),
        ...(runOptions.input === undefined ? { stdin: 'ignore' as const } : { input: runOptions.input }),
        ...(options.cwd ? { cwd: options.cwd } : {}),
        ...(options.env ? { env: options.env } : {}),
        forceKillAfterDelay: 2000,
        stripFinalNewline: false,
      });
      const durationMs = performance.now() - started;
      const stdout = typeof result.stdout === 'string' ? result.stdout : '';
      const stderr = typeof result.stderr === 'string' ? result.stderr : '';
      if (result.isCanceled) {
        throw new ProteusError('PROTEUS_CORE_ABORTED', `${where}: aborted while running ${command}`, {
          cause: runOptions.signal?.reason,
        });
      }
      if (result.timedOut) {
        throw new ProteusError(
          'PROTEUS_INJECTOR_COMMAND_TIMEOUT',
          `${where}: ${command} did not finish within ${timeoutMs} ms. Raise timeoutMs if the target is slow.`,
          { details: { target, file, args, timeoutMs } },
        );
      }
      const spawnCode = (result as { code?: string }).code;
      if (result.exitCode === undefined && spawnCode === 'ENOENT') {
        throw new ProteusError(
          'PROTEUS_INJECTOR_COMMAND_NOT_FOUND',
          `${where}: program "${file}" not found on PATH. Install it (e.g. apt-get install iproute2 nftables stress-ng).`,
          { details: { target, file } },
        );
      }
      const exitCode = result.exitCode ?? (result.signal ? 128 : 1);
      if (exitCode !== 0 && !runOptions.allowFailure) {
        throw commandFailed(where, target, file, args, exitCode, stderr, result.cause);
      }
      return { exitCode, stdout, stderr, durationMs };
    },
  };
}

/** The error of a command that exited non-zero; `details.stderr` carries what it said. */
export function commandFailed(
  where: string,
  target: string,
  file: string,
  args: readonly string[],
  exitCode: number,
  stderr: string,
  cause?: unknown,
): ProteusError {
  const said = stderr.trim().split('\n').slice(-3).join(' | ');
  return new ProteusError(
    'PROTEUS_INJECTOR_COMMAND_FAILED',
    `${where}: ${[file, ...args].join(' ')} exited with ${exitCode}${said ? `: ${said}` : ''}`,
    { details: { target, file, args: [...args], exitCode, stderr }, ...(cause === undefined ? {} : { cause }) },
  );
}
