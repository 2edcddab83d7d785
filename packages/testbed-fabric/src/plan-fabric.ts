import { describeStep, type PoolNode, planPoolDeployment } from '@proteus-wf/injector';
import { FABRIC_DEFAULTS } from './fabric-testbed.js';
import { buildFabricRequestGraph } from './request-graph.js';
import { assignFabricRoles, type FabricNodeSpec, type FabricTopology } from './topology.js';

/** One API call a provision would make, as a dry run shows it. */
export interface PlannedApiCall {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  url: string;
  purpose: string;
}

/** What `proteus testbed fabric plan --dry-run` prints: no network, no credentials. */
export interface FabricPlan {
  testbed: 'fabric';
  name: string;
  site: string;
  nodes: Array<{
    name: string;
    role: 'submit' | 'data' | 'worker' | 'router';
    site: string;
    cores: number;
    ramGb: number;
    diskGb: number;
    image: string;
  }>;
  networks: Array<{ name: string; type: string; interfaces: string[] }>;
  requestGraphBytes: number;
  apiCalls: PlannedApiCall[];
  deployment: Array<{ node: string; step: string; command: string }>;
}

/** Options of {@link planFabricTestbed}: the endpoints shown in the planned API calls and the request-graph seed. */
export interface PlanFabricOptions {
  /** Credential manager base URL in the planned calls (default `FABRIC_DEFAULTS.credmgrUrl`). */
  credmgrUrl?: string;
  /** Orchestrator base URL in the planned calls (default `FABRIC_DEFAULTS.orchestratorUrl`). */
  orchestratorUrl?: string;
  /** Seed of the request graph's node ids (default 0). */
  seed?: number;
}

/**
 * The calls and commands `provision` would run for this topology, computed offline (a dry run).
 * Addresses not known before the slice exists appear as `<mgmt-ip:node>`.
 * @example const plan = planFabricTestbed(topology); console.log(plan.apiCalls.length)
 */
export function planFabricTestbed(topology: FabricTopology, options: PlanFabricOptions = {}): FabricPlan {
  const credmgr = options.credmgrUrl ?? FABRIC_DEFAULTS.credmgrUrl;
  const orchestrator = options.orchestratorUrl ?? FABRIC_DEFAULTS.orchestratorUrl;
  const name = encodeURIComponent(topology.name);
  const roles = assignFabricRoles(topology);
  const roleOf = (node: FabricNodeSpec): FabricPlan['nodes'][number]['role'] =>
    node === roles.submit
      ? 'submit'
      : node === roles.data
        ? 'data'
        : roles.workers.includes(node)
          ? 'worker'
          : 'router';
  const graphml = buildFabricRequestGraph(topology, { seed: options.seed ?? 0 });
  const poolNode = (node: FabricNodeSpec): PoolNode => ({
    name: node.name,
    address: node.address ?? `<mgmt-ip:${node.name}>`,
    cores: node.cores,
    memoryMb: node.ram * 1024,
  });
  const steps = planPoolDeployment({
    submit: poolNode(roles.submit),
    ...(roles.data ? { data: poolNode(roles.data) } : {}),
    workers: roles.workers.map(poolNode),
  });
  return {
    testbed: 'fabric',
    name: topology.name,
    site: topology.fabric.site,
    nodes: topology.fabric.nodes.map((node) => ({
      name: node.name,
      role: roleOf(node),
      site: node.site ?? topology.fabric.site,
      cores: node.cores,
      ramGb: node.ram,
      diskGb: node.disk,
      image: node.image,
    })),
    networks: topology.fabric.networks.map((n) => ({ name: n.name, type: n.type ?? 'auto', interfaces: n.interfaces })),
    requestGraphBytes: Buffer.byteLength(graphml),
    apiCalls: [
      {
        method: 'POST',
        url: `${credmgr}/tokens/refresh?scope=all`,
        purpose: 'exchange the refresh token for an ID token (the new refresh token is saved first)',
      },
      {
        method: 'GET',
        url: `${orchestrator}/slices?name=${name}&exact_match=true`,
        purpose: 'find a slice of this name (never create twice)',
      },
      {
        method: 'POST',
        url: `${orchestrator}/slices/creates?name=${name}&lifetime=${topology.fabric.hours}`,
        purpose: `create the slice from the request graph (${topology.fabric.nodes.length} VMs)`,
      },
      {
        method: 'GET',
        url: `${orchestrator}/slices/<slice_id>?graph_format=NONE`,
        purpose: 'poll until StableOK (StableError fails with the sliver notices)',
      },
      { method: 'GET', url: `${orchestrator}/slivers?slice_id=<slice_id>`, purpose: 'read the management IPs' },
    ],
    deployment: steps.map((step) => ({ node: step.node, step: step.id, command: describeStep(step) })),
  };
}
