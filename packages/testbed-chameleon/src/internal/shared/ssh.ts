import { readFile } from 'node:fs/promises';
import { type CommandRunner, ProteusError, writeFileAtomic } from '@proteus-wf/core';
import type { ErrorScope } from './http.js';

/** How to reach one node over SSH; the shape `createSshRunner` of `@proteus-wf/injector` takes. */
export interface SshTarget {
  host: string;
  user?: string;
  port?: number;
  /** `user@bastion[:port]` to jump through (FABRIC). */
  proxyJump?: string;
  identityFile?: string;
  /** The known_hosts file this testbed manages (never the user's ~/.ssh/known_hosts). */
  knownHostsFile?: string;
  /** `accept-new` records a key on first contact and refuses a changed one afterwards. */
  strictHostKeyChecking?: 'yes' | 'accept-new';
}

/** Builds a CommandRunner for a node; tests pass one that runs on loopback. */
export type RunnerFactory = (target: SshTarget) => CommandRunner;

type InjectorModule = { createSshRunner?: RunnerFactory };

/**
 * The default factory: `createSshRunner` from `@proteus-wf/injector`, loaded on first use so that planning and dry
 * runs never need it.
 */
export function createLazySshRunnerFactory(scope: ErrorScope): RunnerFactory {
  let loaded: Promise<RunnerFactory> | undefined;
  const load = (): Promise<RunnerFactory> => {
    loaded ??= (async () => {
      // A variable specifier keeps the dependency lazy (dry runs must not load SSH machinery).
      const specifier = '@proteus-wf/injector';
      const injector = (await import(specifier)) as InjectorModule;
      if (typeof injector.createSshRunner !== 'function') {
        throw new ProteusError(
          `PROTEUS_${scope.prefix}_SSH_UNAVAILABLE`,
          `${scope.where}: @proteus-wf/injector does not export createSshRunner; update @proteus-wf/injector or pass { runnerFactory }.`,
        );
      }
      return injector.createSshRunner;
    })();
    return loaded;
  };
  return (target) => {
    let runner: CommandRunner | undefined;
    return {
      target: `ssh:${target.user ? `${target.user}@` : ''}${target.host}`,
      async run(file, args, options) {
        runner ??= (await load())(target);
        return runner.run(file, args, options);
      },
    };
  };
}

/**
 * Drops every known_hosts line for these hosts. Cloud addresses are reused by other tenants' machines, so the
 * key recorded for a released node must not be trusted for the next one (and must not block it either).
 */
export async function forgetHostKeys(knownHostsFile: string, hosts: readonly string[]): Promise<number> {
  let text: string;
  try {
    text = await readFile(knownHostsFile, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw error;
  }
  const names = new Set<string>();
  for (const host of hosts) {
    names.add(host);
    names.add(`[${host}]`);
  }
  let removed = 0;
  const kept = text.split('\n').filter((line) => {
    const field = line.trim().split(/\s+/)[0] ?? '';
    const matches = field.split(',').some((entry) => names.has(entry) || names.has(entry.replace(/:\d+$/, '')));
    if (matches && line.trim() !== '') removed++;
    return !matches;
  });
  if (removed > 0) await writeFileAtomic(knownHostsFile, kept.join('\n'), { mode: 0o600 });
  return removed;
}

/** The hosts that have a key recorded in a known_hosts file (plain, unhashed entries). */
export async function listKnownHosts(knownHostsFile: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(knownHostsFile, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const hosts: string[] = [];
  for (const line of text.split('\n')) {
    const field = line.trim().split(/\s+/)[0];
    if (!field || field.startsWith('#') || field.startsWith('|')) continue;
    for (const entry of field.split(',')) hosts.push(entry.replace(/^\[(.*)\](:\d+)?$/, '$1'));
  }
  return hosts;
}
