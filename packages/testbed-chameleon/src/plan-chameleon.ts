import { describeStep, type PoolNode, planPoolDeployment } from '@proteus-wf/injector';
import { formatBlazarTime } from './chameleon-api.js';
import { type ChameleonTopology, serverNamesOf } from './topology.js';

/** One API call a provision would make, as a dry run shows it. */
export interface PlannedApiCall {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  url: string;
  purpose: string;
}

/** What `proteus testbed chameleon plan --dry-run` prints: no network, no credentials. */
export interface ChameleonPlan {
  testbed: 'chameleon';
  name: string;
  site: string;
  lease: { nodeType: string; count: number; hours: number; resourceProperties: string };
  servers: Array<{ name: string; role: 'submit' | 'worker'; image: string }>;
  apiCalls: PlannedApiCall[];
  deployment: Array<{ node: string; step: string; command: string }>;
}

/**
 * The calls and commands `provision` would run for this topology, computed offline (a dry run). Endpoints come from
 * the Keystone catalog at run time, so they appear as `<reservation>`, `<compute>`, `<network>`, `<image>`.
 * @example const plan = planChameleonTestbed(topology, { authUrl: 'https://chi.uc.chameleoncloud.org:5000/v3' })
 */
export function planChameleonTestbed(
  topology: ChameleonTopology,
  options: { authUrl?: string; now?: Date; centralManager?: { name: string; address: string } } = {},
): ChameleonPlan {
  const spec = topology.chameleon;
  const names = serverNamesOf(topology);
  const end = new Date((options.now ?? new Date()).getTime() + spec.hours * 3_600_000);
  const node = (name: string): PoolNode => ({
    name,
    address: `<floating-ip:${name}>`,
    cores: spec.cores,
    memoryMb: spec.ram * 1024,
  });
  const submit = options.centralManager
    ? { ...options.centralManager, cores: 0, memoryMb: 0 }
    : node(names[0] as string);
  const workers = (options.centralManager ? names : names.slice(1)).map(node);
  const steps = planPoolDeployment({ submit, workers }).filter((s) => !options.centralManager || s.role !== 'submit');
  const auth = options.authUrl ?? '$OS_AUTH_URL';
  return {
    testbed: 'chameleon',
    name: topology.name,
    site: spec.site,
    lease: {
      nodeType: spec.nodeType,
      count: spec.count,
      hours: spec.hours,
      resourceProperties: JSON.stringify(['==', '$node_type', spec.nodeType]),
    },
    servers: names.map((name) => ({
      name,
      role: !options.centralManager && name === names[0] ? 'submit' : 'worker',
      image: spec.image,
    })),
    apiCalls: [
      {
        method: 'POST',
        url: `${auth}/auth/tokens`,
        purpose: 'application-credential token (X-Subject-Token) and the service catalog',
      },
      {
        method: 'GET',
        url: '<reservation>/leases',
        purpose: `find a lease named "${topology.name}" (never create twice)`,
      },
      {
        method: 'POST',
        url: '<reservation>/leases',
        purpose: `lease ${spec.count} x physical:host ${spec.nodeType} from now to ${formatBlazarTime(end)} UTC${spec.floatingIps === 'reserve' ? `, ${spec.count} x virtual:floatingip` : ''}${spec.stitch ? `, network ${spec.stitch.network ?? `${topology.name}-stitch`} (stitch_provider fabric)` : ''}`,
      },
      { method: 'GET', url: '<reservation>/leases/<lease_id>', purpose: 'poll until ACTIVE (ERROR fails)' },
      { method: 'GET', url: `<image>/v2/images?name=${spec.image}`, purpose: 'image id' },
      { method: 'GET', url: '<compute>/flavors', purpose: `flavor id of "${spec.flavor}"` },
      { method: 'GET', url: `<network>/v2.0/networks?name=${spec.network}`, purpose: 'network id' },
      ...names.flatMap((name): PlannedApiCall[] => [
        { method: 'GET', url: `<compute>/servers?name=^${name}$`, purpose: `find server ${name}` },
        {
          method: 'POST',
          url: '<compute>/servers',
          purpose: `boot ${name} with scheduler hint reservation=<reservation_id>`,
        },
      ]),
      {
        method: 'GET',
        url: '<compute>/servers/<server_id>',
        purpose: 'poll BUILD -> ACTIVE (ERROR fails with the fault)',
      },
      {
        method: 'POST',
        url: '<network>/v2.0/floatingips',
        purpose: `one floating IP per server on "${spec.externalNetwork}"`,
      },
      { method: 'PUT', url: '<network>/v2.0/floatingips/<fip_id>', purpose: 'attach it to the server port' },
    ],
    deployment: steps.map((step) => ({ node: step.node, step: step.id, command: describeStep(step) })),
  };
}
