import type { CommandResult, CommandRunner, RunCommandOptions } from '@proteus-wf/core';
import { createLocalRunner } from './local-runner.js';
import { createNetnsRunner } from './netns-runner.js';
import { createSshRunner, type SshRunnerOptions } from './ssh-runner.js';
import { parseTarget } from './targets.js';

/** Options of {@link runnerForTarget}: the default deadline and the ssh settings of `ssh:` targets. */
export interface RunnerForTargetOptions {
  /** Deadline of a command that passes no `timeoutMs`, in ms (default: the chosen runner's, 30 s local, 60 s ssh). */
  timeoutMs?: number;
  /** Extra ssh settings (bastion, key, known hosts) for `ssh:` targets. */
  ssh?: Omit<SshRunnerOptions, 'host' | 'user' | 'port'>;
}

/**
 * The {@link CommandRunner} that reaches a target string: `local` and `cgroup:` run here, `docker:` runs the
 * docker CLI here, `netns:` through `ip netns exec`, `ssh:` through the system ssh.
 * @example const runner = runnerForTarget('netns:w1')
 * @throws ProteusError PROTEUS_INJECTOR_TARGET_INVALID when the target string is malformed
 */
export function runnerForTarget(target: string, options: RunnerForTargetOptions = {}): CommandRunner {
  const parsed = parseTarget(target);
  const timeout = options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs };
  switch (parsed.kind) {
    case 'netns':
      return createNetnsRunner(parsed.name, timeout);
    case 'ssh':
      return createSshRunner({ ...options.ssh, ...timeout, ...parsed });
    default: {
      const local = createLocalRunner(timeout);
      return {
        target,
        run: (file: string, args: readonly string[], runOptions?: RunCommandOptions): Promise<CommandResult> =>
          local.run(file, args, runOptions),
      };
    }
  }
}
