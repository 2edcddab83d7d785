import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from '@proteus-wf/core';

/*
 * The known_hosts file a testbed manages for its nodes (never the user's ~/.ssh/known_hosts), used with
 * `createSshRunner({ knownHostsFile, strictHostKeyChecking: 'accept-new' })`: the first contact records a key, every
 * later contact is checked, and the entries of an address are dropped when its node is created or released.
 */

/**
 * Drops every known_hosts line for these hosts (plain, `[host]` and `[host]:port` entries) and returns how many
 * went. Cloud addresses are reused by other tenants' machines, so the key recorded for a released node must not be
 * trusted for the next one (and must not block it either). A missing file is nothing to forget.
 * @example await forgetHostKeys('.proteus/fabric_known_hosts', ['10.0.0.5', '2001:db8::5']) // 2
 * @throws the file system's error when the file exists but cannot be read or rewritten
 */
export async function forgetHostKeys(knownHostsFile: string, hosts: readonly string[]): Promise<number> {
  const text = await readKnownHosts(knownHostsFile);
  if (text === undefined) return 0;
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

/**
 * The hosts that have a key recorded in a known_hosts file (plain, unhashed entries; `[host]:port` reads as `host`).
 * @example await listKnownHosts('.proteus/fabric_known_hosts') // ['10.0.0.5']
 * @throws the file system's error when the file exists but cannot be read
 */
export async function listKnownHosts(knownHostsFile: string): Promise<string[]> {
  const text = await readKnownHosts(knownHostsFile);
  if (text === undefined) return [];
  const hosts: string[] = [];
  for (const line of text.split('\n')) {
    const field = line.trim().split(/\s+/)[0];
    if (!field || field.startsWith('#') || field.startsWith('|')) continue;
    for (const entry of field.split(',')) hosts.push(entry.replace(/^\[(.*)\](:\d+)?$/, '$1'));
  }
  return hosts;
}

async function readKnownHosts(knownHostsFile: string): Promise<string | undefined> {
  try {
    return await readFile(knownHostsFile, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
