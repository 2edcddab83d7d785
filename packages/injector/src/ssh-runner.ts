import type { CommandResult, CommandRunner, RunCommandOptions } from '@proteus-wf/core';
import { ProteusError } from '@proteus-wf/core';
import { createLocalRunner } from './local-runner.js';

/** Options of {@link createSshRunner} and {@link buildSshArgs}: the host to reach and how ssh connects to it. */
export interface SshRunnerOptions {
  /** Host name or IP address (IPv6 may be bracketed). */
  host: string;
  /** Remote login user (default: ssh's own choice, from `~/.ssh/config` or the local user name). */
  user?: string;
  /** Remote ssh port, 1-65535 (default: ssh's own, usually 22). */
  port?: number;
  /** Bastion(s) for `ssh -J`: `[user@]host[:port]`, comma-separated for a chain. */
  proxyJump?: string;
  /** Private key for `ssh -i` (with `IdentitiesOnly=yes`); a path without spaces or quotes. */
  identityFile?: string;
  /**
   * Private key of the (single) bastion in `proxyJump`, when it differs from `identityFile` (FABRIC's bastion key):
   * the hop then runs as `ProxyCommand=ssh -i <key> -W %h:%p <bastion>`, as fablib connects.
   */
  proxyIdentityFile?: string;
  /** `UserKnownHostsFile` (default: ssh's own); a path without spaces or quotes. */
  knownHostsFile?: string;
  /** Default `yes`; `accept-new` trusts a host on first contact. */
  strictHostKeyChecking?: 'yes' | 'accept-new';
  /** ssh's own connection deadline (default 10 s). */
  connectTimeoutSec?: number;
  /** Deadline of a command that passes no `timeoutMs` (default 60 s). */
  timeoutMs?: number;
  /** The ssh program (default `ssh` on PATH). */
  sshPath?: string;
}

/**
 * Builds the CommandRunner of one node from its SSH settings. Testbeds default to {@link createSshRunner} and accept
 * another factory, so that tests can stand in for hosts that cannot be reached.
 * @example const runnerFactory: SshRunnerFactory = (target) => createSshRunner({ ...target, connectTimeoutSec: 5 });
 */
export type SshRunnerFactory = (options: SshRunnerOptions) => CommandRunner;

const DEFAULTS = { connectTimeoutSec: 10, timeoutMs: 60_000, strictHostKeyChecking: 'yes' as const };
const USER = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/;
const HOST = /^(?:\[[0-9A-Fa-f:.%]+\]|[A-Za-z0-9][A-Za-z0-9_.-]{0,252}|[0-9A-Fa-f:.%]+)$/;
const JUMP =
  /^(?:[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}@)?(?:\[[0-9A-Fa-f:.%]+\]|[A-Za-z0-9][A-Za-z0-9_.-]{0,252})(?::\d{1,5})?$/;
const PLAIN_PATH = /^[^\s'"\\]+$/;

/**
 * Quotes one argument for a POSIX shell so that the shell passes it on unchanged: `'` … `'`, with every `'`
 * written as `'\''`. ssh joins the remote command's words with spaces and hands them to the remote login shell,
 * so every word goes through this.
 * @example quoteShellArgument("it's") // 'it'\''s'
 */
export function quoteShellArgument(value: string): string {
  return `'${value.replaceAll("'", "'\\''")}'`;
}

/**
 * The argument array of `ssh` for one remote command (exported so the plan can be shown and tested).
 * @example buildSshArgs({ host: 'node1', user: 'cc' }, 'tc', ['qdisc', 'show'])
 * @throws ProteusError PROTEUS_INJECTOR_TARGET_INVALID when a host, user, bastion or file option is malformed
 */
export function buildSshArgs(options: SshRunnerOptions, file: string, args: readonly string[]): string[] {
  validate(options);
  const ssh = [
    '-o',
    'BatchMode=yes',
    '-o',
    `ConnectTimeout=${options.connectTimeoutSec ?? DEFAULTS.connectTimeoutSec}`,
    '-o',
    `StrictHostKeyChecking=${options.strictHostKeyChecking ?? DEFAULTS.strictHostKeyChecking}`,
  ];
  if (options.knownHostsFile) ssh.push('-o', `UserKnownHostsFile=${options.knownHostsFile}`);
  if (options.identityFile) ssh.push('-i', options.identityFile, '-o', 'IdentitiesOnly=yes');
  if (options.port) ssh.push('-p', String(options.port));
  if (options.proxyJump && options.proxyIdentityFile) {
    const hop = [
      'ssh',
      '-i',
      options.proxyIdentityFile,
      '-o',
      'IdentitiesOnly=yes',
      '-o',
      'BatchMode=yes',
      '-o',
      `StrictHostKeyChecking=${options.strictHostKeyChecking ?? DEFAULTS.strictHostKeyChecking}`,
      ...(options.knownHostsFile ? ['-o', `UserKnownHostsFile=${options.knownHostsFile}`] : []),
      '-W',
      '%h:%p',
      ...jumpArgs(options.proxyJump),
    ];
    ssh.push('-o', `ProxyCommand=${hop.join(' ')}`);
  } else if (options.proxyJump) ssh.push('-J', options.proxyJump);
  const destination = options.user ? `${options.user}@${options.host.replace(/^\[|\]$/g, '')}` : options.host;
  ssh.push('--', destination, [file, ...args].map(quoteShellArgument).join(' '));
  return ssh;
}

/**
 * A {@link CommandRunner} for a remote host over the system `ssh` (key auth, `BatchMode`, ProxyJump for bastions).
 * Every remote word is shell-quoted; the remote login shell must be POSIX (sh, bash, dash, zsh).
 * @example const runner = createSshRunner({ host: '10.0.0.5', user: 'cc', proxyJump: 'cc@bastion.example.org' })
 * @throws ProteusError PROTEUS_INJECTOR_TARGET_INVALID for malformed options; `run` throws the local runner's codes,
 *   and ssh's own failure (exit 255) as PROTEUS_INJECTOR_COMMAND_FAILED
 */
export function createSshRunner(options: SshRunnerOptions): CommandRunner {
  validate(options);
  const target = `ssh:${options.user ? `${options.user}@` : ''}${options.host}${options.port ? `:${options.port}` : ''}`;
  const local = createLocalRunner({ target, timeoutMs: options.timeoutMs ?? DEFAULTS.timeoutMs });
  const sshPath = options.sshPath ?? 'ssh';
  return {
    target,
    run(file: string, args: readonly string[], runOptions?: RunCommandOptions): Promise<CommandResult> {
      return local.run(sshPath, buildSshArgs(options, file, args), runOptions);
    },
  };
}

/** `[user@]host[:port]` as ssh arguments: `-p port user@host` (host unbracketed). */
function jumpArgs(jump: string): string[] {
  const match = /^(?:(.+)@)?(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(jump);
  const host = (match?.[2] ?? jump).replace(/^\[|\]$/g, '');
  const destination = match?.[1] ? `${match[1]}@${host}` : host;
  return [...(match?.[3] ? ['-p', match[3]] : []), destination];
}

function validate(options: SshRunnerOptions): void {
  const problems: string[] = [];
  if (!HOST.test(options.host)) problems.push(`host ${JSON.stringify(options.host)} is not a host name or IP address`);
  if (options.user !== undefined && !USER.test(options.user)) problems.push(`user ${JSON.stringify(options.user)}`);
  if (options.port !== undefined && !(Number.isInteger(options.port) && options.port >= 1 && options.port <= 65535)) {
    problems.push(`port ${options.port} is not 1-65535`);
  }
  if (options.proxyJump !== undefined && !options.proxyJump.split(',').every((hop) => JUMP.test(hop))) {
    problems.push(`proxyJump ${JSON.stringify(options.proxyJump)} is not [user@]host[:port][,…]`);
  }
  if (options.proxyIdentityFile !== undefined && (!options.proxyJump || options.proxyJump.includes(','))) {
    problems.push('proxyIdentityFile needs a proxyJump of exactly one bastion');
  }
  for (const key of ['identityFile', 'knownHostsFile', 'proxyIdentityFile'] as const) {
    const value = options[key];
    if (value !== undefined && (!PLAIN_PATH.test(value) || value.startsWith('-'))) {
      problems.push(`${key} ${JSON.stringify(value)} must be a path without spaces or quotes`);
    }
  }
  const timeout = options.connectTimeoutSec;
  if (timeout !== undefined && !(Number.isInteger(timeout) && timeout > 0)) problems.push('connectTimeoutSec');
  if (problems.length > 0) {
    throw new ProteusError('PROTEUS_INJECTOR_TARGET_INVALID', `injector/createSshRunner: ${problems.join('; ')}`, {
      details: { problems },
    });
  }
}
