import { readFile } from 'node:fs/promises';
import { ProteusError } from '@proteus-wf/core';
import { z } from 'zod';

const NAME = /^[A-Za-z][\w-]{0,62}$/;

const chameleonSchema = z.object({
  /** Site name as in the catalog region, e.g. `CHI@UC`. */
  site: z.string().min(1),
  /** Blazar `$node_type`, e.g. `compute_cascadelake_r`. */
  nodeType: z.string().min(1),
  count: z.number().int().positive().max(64),
  /** Glance image name, e.g. `CC-Ubuntu22.04`. */
  image: z.string().min(1),
  /** Lease length in hours. */
  hours: z
    .number()
    .positive()
    .max(24 * 7),
  /** Cores and memory (GB) of one node of `nodeType`; used for the pool's NUM_CPUS/MEMORY. */
  cores: z.number().int().positive().default(48),
  ram: z.number().int().positive().default(192),
  network: z.string().min(1).default('sharednet1'),
  externalNetwork: z.string().min(1).default('public'),
  flavor: z.string().min(1).default('baremetal'),
  /** Nova key pair holding your public key. */
  keyName: z.string().min(1).optional(),
  /** Login on the image. */
  user: z.string().min(1).default('cc'),
});

const topologySchema = z.object({
  name: z.string().regex(NAME, 'use a letter then letters, digits, "_" or "-" (at most 63)'),
  chameleon: chameleonSchema,
  fabric: z.unknown().optional(),
});

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
