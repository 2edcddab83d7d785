import type { CommandResult, CommandRunner, RunCommandOptions } from '@proteus-wf/core';
import { ProteusError } from '@proteus-wf/core';
import { createLocalRunner, type LocalRunnerOptions } from './local-runner.js';
import { NETNS_NAME } from './targets.js';

/**
 * A {@link CommandRunner} that runs each command inside a named network namespace (`ip netns exec <name>`).
 * @example await createNetnsRunner('w1').run('tc', ['qdisc', 'show'])
 * @throws ProteusError PROTEUS_INJECTOR_TARGET_INVALID when `name` is not a valid namespace name
 */
export function createNetnsRunner(name: string, options: Omit<LocalRunnerOptions, 'target'> = {}): CommandRunner {
  if (!NETNS_NAME.test(name)) {
    throw new ProteusError(
      'PROTEUS_INJECTOR_TARGET_INVALID',
      `injector/createNetnsRunner: namespace name must be 1-64 letters, digits, _ . -, not starting with "-" (got ${JSON.stringify(name)})`,
    );
  }
  const target = `netns:${name}`;
  const local = createLocalRunner({ ...options, target });
  return {
    target,
    run(file: string, args: readonly string[], runOptions?: RunCommandOptions): Promise<CommandResult> {
      return local.run('ip', ['netns', 'exec', name, file, ...args], runOptions);
    },
  };
}
