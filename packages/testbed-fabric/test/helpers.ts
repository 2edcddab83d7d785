import type { SshRunnerFactory, SshRunnerOptions } from '@proteus-wf/injector';

export interface RecordedCommand {
  target: SshRunnerOptions;
  file: string;
  args: string[];
  input?: string;
}

/**
 * Stands in for the SSH hosts that the loopback fakes "provision" (they cannot be reached from tests):
 * records each command, answers `condor_status` with the given worker names, fails steps matching `failOn`.
 */
export function createRecordingRunnerFactory(options: { workers: string[]; failOn?: RegExp }): {
  factory: SshRunnerFactory;
  commands: RecordedCommand[];
} {
  const commands: RecordedCommand[] = [];
  const factory: SshRunnerFactory = (target) => ({
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
