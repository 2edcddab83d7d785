import { readFile } from 'node:fs/promises';
import { ProteusError } from '@proteus-wf/core';
import { z } from 'zod';

const NAME = /^[A-Za-z][\w-]{0,62}$/;

const CIDR = /^(?:\d{1,3}\.){3}\d{1,3}\/(?:[89]|[12]\d|30)$/;
const IPV4 = /^(?:\d{1,3}\.){3}\d{1,3}$/;

const subnetSchema = z
  .object({
    name: z.string().regex(NAME, 'use a letter then letters, digits, "_" or "-" (at most 63)'),
    cidr: z.string().regex(CIDR, 'an IPv4 CIDR such as 192.168.100.0/24'),
    gateway: z.string().regex(IPV4, 'an IPv4 address').optional(),
    /** Extra routes of this subnet's router, e.g. the FABRIC side `192.168.104.0/24` via the FABRIC router. */
    routes: z
      .array(
        z
          .object({
            destination: z.string().regex(CIDR, 'an IPv4 CIDR'),
            nexthop: z.string().regex(IPV4, 'an IPv4 address'),
          })
          .strict(),
      )
      .max(32)
      .default([]),
  })
  .strict();

/** The Poseidon-X stitch: a Blazar-reserved VLAN network a FABRIC facility port can reach, with subnets and routers. */
const stitchSchema = z
  .object({
    /** Name of the reserved network (default `<name>-stitch`). */
    network: z.string().regex(NAME, 'use a letter then letters, digits, "_" or "-" (at most 63)').optional(),
    /** Blazar `$physical_network` of the stitchable VLANs (default `physnet1`, python-chi's). */
    physicalNetwork: z.string().min(1).max(64).default('physnet1'),
    subnets: z.array(subnetSchema).min(1).max(8),
  })
  .strict();

const chameleonSchema = z
  .object({
    /** Site name as in the catalog region, e.g. `CHI@UC`. */
    site: z.string().min(1).max(64),
    /** Blazar `$node_type`, e.g. `compute_cascadelake_r`. */
    nodeType: z.string().min(1).max(128),
    count: z.number().int().positive().max(64),
    /** Glance image name, e.g. `CC-Ubuntu22.04`. */
    image: z.string().min(1).max(255),
    /** Lease length in hours (1 to 168, Chameleon's 7-day limit). */
    hours: z
      .number()
      .min(1, 'leases are at least 1 hour')
      .max(24 * 7),
    /** Cores and memory (GB) of one node of `nodeType`; used for the pool's NUM_CPUS/MEMORY. */
    cores: z.number().int().positive().max(512).default(48),
    ram: z.number().int().positive().max(8192).default(192),
    network: z.string().min(1).default('sharednet1'),
    externalNetwork: z.string().min(1).default('public'),
    flavor: z.string().min(1).default('baremetal'),
    /** Nova key pair holding your public key. */
    keyName: z.string().min(1).optional(),
    /** Login on the image. */
    user: z.string().min(1).max(32).default('cc'),
    /** `reserve`: floating IPs come from a Blazar `virtual:floatingip` reservation (sites that require it). */
    floatingIps: z.enum(['allocate', 'reserve']).default('allocate'),
    /** Reserve a FABRIC-stitchable network and put the servers on its subnets (Poseidon-X, testbeds.md §1.1). */
    stitch: stitchSchema.optional(),
  })
  .strict();

const topologySchema = z
  .object({
    name: z.string().regex(NAME, 'use a letter then letters, digits, "_" or "-" (at most 63)'),
    chameleon: chameleonSchema,
    fabric: z.unknown().optional(),
  })
  .strict();

/** The Chameleon part of a Proteus topology file (RAM in GB). */
export type ChameleonTopology = z.infer<typeof topologySchema>;

/**
 * Validates a topology object (the `name` and `chameleon` sections; `fabric` is ignored here).
 * @example const topology = parseChameleonTopology({ name: 'px', chameleon: { site: 'CHI@UC', nodeType: 'compute_cascadelake_r', count: 2, image: 'CC-Ubuntu22.04', hours: 6 } })
 * @throws ProteusError PROTEUS_CHAMELEON_TOPOLOGY_INVALID listing every problem in `details.issues`
 */
export function parseChameleonTopology(value: unknown, source = 'topology'): ChameleonTopology {
  const result = topologySchema.safeParse(value);
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
  throw new ProteusError(
    'PROTEUS_CHAMELEON_TOPOLOGY_INVALID',
    `testbed-chameleon/parseChameleonTopology: ${source} has ${issues.length} problem(s): ` +
      issues.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; '),
    { details: { source, issues } },
  );
}

/**
 * Reads and validates a topology JSON file.
 * @example const topology = await loadChameleonTopology('topology.json')
 * @throws ProteusError PROTEUS_CHAMELEON_TOPOLOGY_UNREADABLE, PROTEUS_CHAMELEON_TOPOLOGY_INVALID
 */
export async function loadChameleonTopology(path: string): Promise<ChameleonTopology> {
  let value: unknown;
  try {
    value = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new ProteusError(
      'PROTEUS_CHAMELEON_TOPOLOGY_UNREADABLE',
      `testbed-chameleon/loadChameleonTopology: cannot read ${path} as JSON (${(error as Error).message}).`,
      { cause: error },
    );
  }
  return parseChameleonTopology(value, path);
}

/** Server names of the lease: `<name>-<index>`. */
export function serverNamesOf(topology: ChameleonTopology): string[] {
  return Array.from({ length: topology.chameleon.count }, (_, i) => `${topology.name}-${i}`);
}
