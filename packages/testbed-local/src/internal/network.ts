import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';

/** The network of a testbed: a bridge on the host, and per worker a namespace joined to it by a veth pair. */
export interface TestbedNetwork {
  bridge: string;
  /** The host's address on the bridge: where the data node listens. */
  hostAddress: string;
  workers: Array<{ worker: string; netns: string; address: string; hostVeth: string }>;
}

/** What was created, in order, so that release undoes exactly that. */
export interface NetworkTracker {
  bridges: string[];
  links: string[];
  namespaces: string[];
}

/** Says what is missing to build namespaces here (empty when everything is present). */
export function probeNetwork(): string[] {
  const missing: string[] = [];
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    missing.push(`root (running as uid ${process.getuid()}); network namespaces need CAP_SYS_ADMIN and CAP_NET_ADMIN`);
  }
  if (!hasBinary('ip')) missing.push('the `ip` binary (Debian: apt-get install iproute2)');
  if (!hasBinary('nsenter')) missing.push('the `nsenter` binary (Debian: apt-get install util-linux)');
  return missing;
}

/** Namespace name of a worker; it is also the injector target `netns:<name>`. */
export function netnsName(testbedId: string, worker: string): string {
  return `proteus-${testbedId}-${worker}`;
}

/**
 * Creates the bridge, one namespace per worker with `eth0` addressed on a /24 the host does not use yet, and
 * loopback up. Interface names are derived from a hash of the testbed id (the kernel allows 15 characters).
 */
export function createNetwork(testbedId: string, workers: readonly string[], tracker: NetworkTracker): TestbedNetwork {
  const tag = networkTag(testbedId);
  const subnet = pickSubnet(Number.parseInt(tag, 16));
  const bridge = `ptb${tag}`;
  const hostAddress = `${subnet}.1`;
  ip(['link', 'add', bridge, 'type', 'bridge']);
  tracker.bridges.push(bridge);
  ip(['addr', 'add', `${hostAddress}/24`, 'dev', bridge]);
  ip(['link', 'set', bridge, 'up']);
  const network: TestbedNetwork = { bridge, hostAddress, workers: [] };
  workers.forEach((worker, i) => {
    const netns = netnsName(testbedId, worker);
    const hostVeth = `pt${tag}h${i}`;
    const peer = `pt${tag}n${i}`;
    const address = `${subnet}.${i + 2}`;
    ip(['netns', 'add', netns]);
    tracker.namespaces.push(netns);
    ip(['link', 'add', hostVeth, 'type', 'veth', 'peer', 'name', peer]);
    tracker.links.push(hostVeth);
    ip(['link', 'set', hostVeth, 'master', bridge]);
    ip(['link', 'set', hostVeth, 'up']);
    ip(['link', 'set', peer, 'netns', netns]);
    ip(['-n', netns, 'link', 'set', peer, 'name', 'eth0']);
    ip(['-n', netns, 'addr', 'add', `${address}/24`, 'dev', 'eth0']);
    ip(['-n', netns, 'link', 'set', 'eth0', 'up']);
    ip(['-n', netns, 'link', 'set', 'lo', 'up']);
    network.workers.push({ worker, netns, address, hostVeth });
  });
  return network;
}

/** Deletes what `createNetwork` made (namespaces first: that removes their veth ends). Synchronous for exit paths. */
export function removeNetwork(tracker: NetworkTracker): string[] {
  const problems: string[] = [];
  for (const netns of tracker.namespaces.splice(0).reverse()) {
    if (!existsSync(`/run/netns/${netns}`)) continue;
    try {
      ip(['netns', 'del', netns]);
    } catch (error) {
      problems.push(`netns ${netns}: ${(error as Error).message}`);
    }
  }
  for (const link of [...tracker.links.splice(0).reverse(), ...tracker.bridges.splice(0).reverse()]) {
    if (!linkExists(link)) continue;
    try {
      ip(['link', 'del', link]);
    } catch (error) {
      // A veth disappears with its peer's namespace, possibly between the check and the delete.
      if (linkExists(link)) problems.push(`link ${link}: ${(error as Error).message}`);
    }
  }
  return problems;
}

/** The 6 hex digits in a testbed's link names: bridge `ptb<tag>`, host veths `pt<tag>h<i>`, peers `pt<tag>n<i>`. */
export function networkTag(testbedId: string): string {
  return createHash('sha1').update(testbedId).digest('hex').slice(0, 6);
}

/** The testbed's namespaces under /run/netns and links in the host namespace that exist now. */
export function findNetwork(testbedId: string): NetworkTracker {
  const tag = networkTag(testbedId);
  const list = (folder: string): string[] => {
    try {
      return readdirSync(folder);
    } catch {
      return [];
    }
  };
  const namespaces = list('/run/netns').filter((name) => name.startsWith(`proteus-${testbedId}-`));
  const links = list('/sys/class/net');
  return {
    namespaces,
    links: links.filter((name) => new RegExp(`^pt${tag}[hn]\\d+$`).test(name)),
    bridges: links.filter((name) => name === `ptb${tag}`),
  };
}

/** True when a network interface of that name exists in the host namespace. */
export function linkExists(name: string): boolean {
  return existsSync(`/sys/class/net/${name}`);
}

function pickSubnet(seed: number): string {
  const used = ip(['-o', '-4', 'addr', 'show']);
  for (let i = 0; i < 2000; i++) {
    const value = (seed + i * 7919) % (40 * 256);
    const subnet = `10.${210 + Math.floor(value / 256)}.${value % 256}`;
    if (!used.includes(` ${subnet}.`)) return subnet;
  }
  throw new Error('no free 10.210-249.x.0/24 subnet for the testbed bridge');
}

function ip(args: string[]): string {
  try {
    return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 10_000 });
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new Error(`ip ${args.join(' ')} failed: ${stderr.trim() || (error as Error).message}`, { cause: error });
  }
}

function hasBinary(name: string): boolean {
  const path = process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin';
  return [...path.split(':'), '/usr/sbin', '/sbin'].some((folder) => folder && existsSync(`${folder}/${name}`));
}
