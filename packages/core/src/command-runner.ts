/** The result of one command on a target. */
export interface CommandResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  durationMs: number;
}

/** Options of `CommandRunner.run`: a deadline, cancellation, standard input, and whether a failure throws. */
export interface RunCommandOptions {
  /** Every command has a deadline; implementations apply a default when this is absent. */
  timeoutMs?: number;
  signal?: AbortSignal;
  input?: string;
  /** Resolve with a non-zero `exitCode` instead of throwing. */
  allowFailure?: boolean;
}

/**
 * Runs a program with an argument array on some target (this machine, a network namespace, a host over SSH).
 * No implementation ever splices a user value into a shell string. Implementations live in `@proteus-wf/injector`.
 */
export interface CommandRunner {
  /** A stable description of the target, e.g. `local`, `netns:w1`, `ssh:cc@10.0.0.5`. */
  readonly target: string;
  run(file: string, args: readonly string[], options?: RunCommandOptions): Promise<CommandResult>;
}
