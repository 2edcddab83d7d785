import { execFile } from 'node:child_process';
import type { CommandResult, CommandRunner } from '@proteus-wf/core';
import type { RunnerFactory, SshTarget } from '../src/index.js';

/** Runs commands on this machine (a real child process), with extra folders in front of PATH. */
export function createLocalRunner(pathPrefix: string[] = []): CommandRunner {
  return {
    target: 'local',
    run(file, args, options = {}) {
      const started = Date.now();
      return new Promise<CommandResult>((resolve, reject) => {
        const child = execFile(
          file,
          [...args],
          {
            timeout: options.timeoutMs ?? 30_000,
            env: { ...process.env, PATH: [...pathPrefix, process.env.PATH].join(':') },
            ...(options.signal ? { signal: options.signal } : {}),
          },
          (error, stdout, stderr) => {
            const exitCode = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
            if (exitCode !== 0 && !options.allowFailure) reject(error);
            else resolve({ exitCode, stdout, stderr, durationMs: Date.now() - started });
          },
        );
        // A program that never reads stdin closes the pipe early; that is not an error.
        child.stdin?.on('error', () => undefined);
        child.stdin?.end(options.input ?? '');
      });
    },
  };
}

export interface RecordedCommand {
  target: SshTarget;
  file: string;
  args: string[];
  input?: string;
}

/**
 * Stands in for the SSH hosts that the loopback fakes "provision" (they cannot be reached from tests):
 * records each command, answers `condor_status` with the given worker names, fails steps matching `failOn`.
 */
export function createRecordingRunnerFactory(options: { workers: string[]; failOn?: RegExp }): {
  factory: RunnerFactory;
  commands: RecordedCommand[];
} {
  const commands: RecordedCommand[] = [];
  const factory: RunnerFactory = (target) => ({
    target: `ssh:${target.user}@${target.host}`,
    async run(file, args, runOptions = {}) {
      commands.push({ target, file, args: [...args], ...(runOptions.input ? { input: runOptions.input } : {}) });
      const line = [file, ...args].join(' ');
      if (options.failOn?.test(line)) {
        return {
          exitCode: 100,
          stdout: '',
          stderr: `E: Unable to locate package (${line.slice(0, 40)})`,
          durationMs: 1,
        };
      }
      if (file === 'condor_status') {
        return { exitCode: 0, stdout: options.workers.map((w) => `${w} Idle`).join('\n'), stderr: '', durationMs: 1 };
      }
      return { exitCode: 0, stdout: '', stderr: '', durationMs: 1 };
    },
  });
  return { factory, commands };
}
