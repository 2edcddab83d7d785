import { readFile } from 'node:fs/promises';
import { ProteusError } from '@proteus-wf/core';
import { z } from 'zod';

const NAME = /^[A-Za-z][\w-]{0,62}$/;
const nameSchema = z.string().regex(NAME, 'use a letter then letters, digits, "_" or "-" (at most 63)');

const nicSchema = z
  .object({
    name: nameSchema,
    model: z.enum(['NIC_Basic', 'NIC_ConnectX_5', 'NIC_ConnectX_6']),
  })
  .strict();

// Bounds: FABRIC's largest VM (64 cores, 384 GB RAM, 4 TB disk; fablib's flavor table).
const nodeSchema = z
  .object({
    name: nameSchema,
    cores: z.number().int().positive().max(64).default(2),
    /** GB */
    ram: z.number().int().positive().max(384).default(8),
    /** GB */
    disk: z.number().int().positive().max(4000).default(10),
    image: z.string().min(1).default('default_ubuntu_22'),
    site: z.string().min(1).optional(),
    role: z.enum(['submit', 'data', 'worker', 'router']).optional(),
    /** Login on the image; derived from the image name when absent. */
    user: z.string().min(1).optional(),
    /** Pin to one worker host of the site (`Labels.instance_parent`). */
    host: z.string().min(1).optional(),
    /** Address the pool uses to reach this node (e.g. 192.168.104.100); the management IP when absent. */
    address: z.string().min(1).optional(),
    nics: z.array(nicSchema).max(8).default([]),
  })
  .strict();

const networkSchema = z
  .object({
    name: nameSchema,
    type: z
      .enum(['L2Bridge', 'L2STS', 'L2PTP', 'FABNetv4', 'FABNetv6', 'FABNetv4Ext', 'FABNetv6Ext', 'L3VPN'])
      .optional(),
    /** Interface names `<node>-<nic>-p<N>`, or facility port names. */
    interfaces: z.array(z.string().min(1)).min(1).max(64),
  })
  .strict();

const facilityPortSchema = z
  .object({
    name: nameSchema,
    site: z.string().min(1),
    vlan: z.number().int().min(1).max(4094),
  })
  .strict();

const fabricSchema = z
  .object({
    site: z.string().min(1),
    nodes: z.array(nodeSchema).min(1).max(64),
    networks: z.array(networkSchema).default([]),
    facilityPorts: z.array(facilityPortSchema).default([]),
    /** Slice lifetime in hours (the orchestrator's default is 24). */
    hours: z
      .number()
      .int()
      .positive()
      .max(24 * 14)
      .default(24),
  })
  .strict()
  .superRefine((fabric, ctx) => {
    const names = new Set<string>();
    fabric.nodes.forEach((node, i) => {
      if (names.has(node.name))
        ctx.addIssue({ code: 'custom', path: ['nodes', i, 'name'], message: `duplicate node "${node.name}"` });
      names.add(node.name);
    });
    const ports = new Map<string, string>();
    for (const node of fabric.nodes) {
      for (const nic of node.nics) {
        const count = nic.model === 'NIC_Basic' ? 1 : 2;
        for (let p = 1; p <= count; p++) ports.set(`${node.name}-${nic.name}-p${p}`, node.site ?? fabric.site);
      }
    }
    for (const port of fabric.facilityPorts) ports.set(port.name, port.site);
    fabric.networks.forEach((network, i) => {
      network.interfaces.forEach((name, j) => {
        if (!ports.has(name)) {
          ctx.addIssue({
            code: 'custom',
            path: ['networks', i, 'interfaces', j],
            message: `unknown interface "${name}" (known: ${[...ports.keys()].join(', ') || 'none; add nics to a node'})`,
          });
        }
      });
    });
    const submits = fabric.nodes.filter((n) => n.role === 'submit');
    if (submits.length > 1) {
      ctx.addIssue({
        code: 'custom',
        path: ['nodes'],
        message: `only one node may have role "submit" (got ${submits.length})`,
      });
    }
  });

const topologySchema = z
  .object({
    name: nameSchema,
    fabric: fabricSchema,
    chameleon: z.unknown().optional(),
  })
  .strict();

/** The FABRIC part of a Proteus topology file (RAM and disk in GB). */
export type FabricTopology = z.infer<typeof topologySchema>;
/** One VM of a validated topology's `fabric.nodes`, with defaults applied (2 cores, 8 GB RAM, 10 GB disk). */
export type FabricNodeSpec = FabricTopology['fabric']['nodes'][number];

/**
 * Validates a topology object (the `name` and `fabric` sections; `chameleon` is ignored here).
 * @example const topology = parseFabricTopology({ name: 'px', fabric: { site: 'STAR', nodes: [{ name: 'submit' }] } })
 * @throws ProteusError PROTEUS_FABRIC_TOPOLOGY_INVALID listing every problem in `details.issues`
 */
export function parseFabricTopology(value: unknown, source = 'topology'): FabricTopology {
  const result = topologySchema.safeParse(value);
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
  throw new ProteusError(
    'PROTEUS_FABRIC_TOPOLOGY_INVALID',
    `testbed-fabric/parseFabricTopology: ${source} has ${issues.length} problem(s): ` +
      issues.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; '),
    { details: { source, issues } },
  );
}

/**
 * Reads and validates a topology JSON file.
 * @example const topology = await loadFabricTopology('topology.json')
 * @throws ProteusError PROTEUS_FABRIC_TOPOLOGY_UNREADABLE, PROTEUS_FABRIC_TOPOLOGY_INVALID
 */
export async function loadFabricTopology(path: string): Promise<FabricTopology> {
  let value: unknown;
  try {
    value = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new ProteusError(
      'PROTEUS_FABRIC_TOPOLOGY_UNREADABLE',
      `testbed-fabric/loadFabricTopology: cannot read ${path} as JSON (${(error as Error).message}).`,
      { cause: error },
    );
  }
  return parseFabricTopology(value, path);
}

/** Roles in the pool: `submit` and `data` by role or by name, routers left out, every other node a worker. */
export function assignFabricRoles(topology: FabricTopology): {
  submit: FabricNodeSpec;
  data?: FabricNodeSpec;
  workers: FabricNodeSpec[];
} {
  const nodes = topology.fabric.nodes;
  const submit =
    nodes.find((n) => n.role === 'submit') ??
    nodes.find((n) => n.role === undefined && n.name === 'submit') ??
    (nodes[0] as FabricNodeSpec);
  const data = nodes.find((n) => n !== submit && (n.role === 'data' || (n.role === undefined && n.name === 'data')));
  const workers = nodes.filter((n) => n !== submit && n !== data && (n.role === 'worker' || n.role === undefined));
  return data ? { submit, data, workers } : { submit, workers };
}

/** The login of a FABRIC image (`default_ubuntu_*` -> ubuntu, `default_rocky_*` -> rocky, ...). */
export function defaultUserOf(node: FabricNodeSpec): string {
  if (node.user) return node.user;
  const match = /^default_([a-z]+)/.exec(node.image);
  return match ? (match[1] as string) : 'ubuntu';
}
