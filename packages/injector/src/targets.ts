import { ProteusError } from '@proteus-wf/core';

/** A parsed injector target string. */
export type Target =
  | { kind: 'local' }
  /** A cgroup path relative to every controller root, e.g. `proteus/<testbedId>/<worker>`. */
  | { kind: 'cgroup'; path: string }
  | { kind: 'netns'; name: string }
  | { kind: 'ssh'; host: string; user?: string; port?: number }
  | { kind: 'docker'; container: string };

/** A network namespace name: 1-64 letters, digits, _ . -, not starting with `-` (it would read as an option), not `.`/`..`. */
export const NETNS_NAME = /^(?!-)(?!\.{1,2}$)[A-Za-z0-9_.-]{1,64}$/;
/** A Linux interface name (at most 15 bytes), not starting with `-`. */
export const INTERFACE_NAME = /^(?!-)(?!\.{1,2}$)[\w.@-]{1,15}$/;
const SSH_USER = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/;
const SSH_HOST = /^(?:\[[0-9A-Fa-f:.%]+\]|[A-Za-z0-9][A-Za-z0-9_.-]{0,252}|[0-9A-Fa-f:.%]+)$/;
const CONTAINER = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

/**
 * Parses `local`, `cgroup:<path>`, `netns:<name>`, `ssh:[user@]host[:port]` or `docker:<container>`.
 * @example parseTarget('cgroup:proteus/tb1/worker-1') // { kind: 'cgroup', path: 'proteus/tb1/worker-1' }
 * @throws ProteusError PROTEUS_INJECTOR_TARGET_INVALID when the string is none of these
 */
export function parseTarget(target: string): Target {
  const fail = (why: string): never => {
    throw new ProteusError(
      'PROTEUS_INJECTOR_TARGET_INVALID',
      `injector/parseTarget: ${why} (got ${JSON.stringify(target)}). Use local, cgroup:<path>, netns:<name>, ssh:<user@host> or docker:<container>.`,
    );
  };
  if (target === 'local') return { kind: 'local' };
  const colon = target.indexOf(':');
  if (colon < 0) return fail('unknown target');
  const scheme = target.slice(0, colon);
  const rest = target.slice(colon + 1);
  switch (scheme) {
    case 'cgroup': {
      const path = rest.replace(/^\/+/, '').replace(/\/+$/, '');
      const segments = path.split('/');
      if (path === '' || segments.some((s) => s === '.' || s === '..' || !/^(?!-)[\w.:@-]{1,255}$/.test(s))) {
        return fail(
          'a cgroup path needs non-empty segments of letters, digits, _ . : @ - that do not start with "-", and no ".."',
        );
      }
      return { kind: 'cgroup', path };
    }
    case 'netns':
      if (!NETNS_NAME.test(rest))
        return fail('a netns name has 1-64 letters, digits, _ . - and does not start with "-"');
      return { kind: 'netns', name: rest };
    case 'docker':
      if (!CONTAINER.test(rest)) return fail('a container name starts with a letter or digit');
      return { kind: 'docker', container: rest };
    case 'ssh': {
      const at = rest.lastIndexOf('@');
      const user = at >= 0 ? rest.slice(0, at) : undefined;
      let host = at >= 0 ? rest.slice(at + 1) : rest;
      let port: number | undefined;
      const portMatch = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(host);
      if (portMatch) {
        host = portMatch[1]!;
        port = Number(portMatch[2]);
        if (port < 1 || port > 65535) return fail('an ssh port is 1-65535');
      }
      if (user !== undefined && !SSH_USER.test(user)) return fail('an ssh user has letters, digits, _ . - only');
      if (!SSH_HOST.test(host)) return fail('an ssh host is a name or an IP address and cannot start with "-"');
      return { kind: 'ssh', host, ...(user === undefined ? {} : { user }), ...(port === undefined ? {} : { port }) };
    }
    default:
      return fail(`unknown target scheme "${scheme}"`);
  }
}

/**
 * Formats a {@link Target} back into its string form.
 * @example formatTarget({ kind: 'netns', name: 'w1' }) // 'netns:w1'
 */
export function formatTarget(target: Target): string {
  switch (target.kind) {
    case 'local':
      return 'local';
    case 'cgroup':
      return `cgroup:${target.path}`;
    case 'netns':
      return `netns:${target.name}`;
    case 'docker':
      return `docker:${target.container}`;
    case 'ssh':
      return `ssh:${target.user ? `${target.user}@` : ''}${target.host}${target.port ? `:${target.port}` : ''}`;
  }
}
