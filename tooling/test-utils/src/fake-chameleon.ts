import { randomBytes } from 'node:crypto';
import { type FakeHttpServer, type FakeReply, type FakeRequest, startFakeHttpServer } from './fake-fabric.js';

export interface FakeChameleonOptions {
  applicationCredentialId: string;
  applicationCredentialSecret: string;
  region?: string;
  /** Free hosts per node type. */
  hosts?: Record<string, number>;
  /** GET polls a lease spends PENDING/STARTING before its outcome. */
  leasePolls?: number;
  leaseOutcome?: 'ACTIVE' | 'ERROR';
  /** GET polls a server spends in BUILD. */
  buildPolls?: number;
  serverOutcome?: 'ACTIVE' | 'ERROR';
  serverFault?: string;
  tokenLifetimeMs?: number;
  /** Address handed out for floating IPs (tests point it at a loopback listener). */
  floatingIpAddress?: string;
  /** Image names; a name given twice makes two images of that name (an ambiguous lookup). */
  images?: string[];
  /** Refuse `POST /v2.0/floatingips` (409): addresses must be reserved through Blazar (`virtual:floatingip`). */
  requireFloatingIpReservation?: boolean;
  /** `provider:segmentation_id` of the next reserved network (a Chameleon VLAN; FABRIC's facility port uses it). */
  nextSegmentationId?: number;
}

export interface FakeLease {
  id: string;
  name: string;
  status: string;
  start_date: string;
  end_date: string;
  reservations: Array<{
    id: string;
    resource_type: string;
    status: string;
    min?: number;
    max?: number;
    amount?: number;
    network_id?: string;
    network_name?: string;
    resource_properties?: string;
  }>;
  polls: number;
  nodeType: string;
}

export interface FakeNetwork {
  id: string;
  name: string;
  'provider:segmentation_id'?: number;
  'provider:physical_network'?: string;
  'router:external': boolean;
  /** The lease reservation that created it, if any. */
  reservation?: string;
}

export interface FakeSubnet {
  id: string;
  name: string;
  network_id: string;
  cidr: string;
  gateway_ip: string | null;
  ip_version: 4;
}

export interface FakeRouter {
  id: string;
  name: string;
  external_gateway_info: { network_id: string } | null;
  routes: Array<{ destination: string; nexthop: string }>;
  /** Subnets with an interface on this router. */
  subnets: string[];
}

export interface FakePort {
  id: string;
  device_id: string;
  network_id: string;
  fixed_ips: Array<{ subnet_id?: string; ip_address?: string }>;
}

export interface FakeServer {
  id: string;
  name: string;
  status: string;
  polls: number;
  reservation: string;
  fault?: { code: number; message: string };
}

export interface FakeFloatingIp {
  id: string;
  floating_ip_address: string;
  floating_network_id: string;
  description: string;
  port_id: string | null;
  tags: string[];
}

/** A fake Chameleon site: Keystone, Blazar, Nova, Neutron and Glance behind one loopback server. */
export interface FakeChameleon extends FakeHttpServer {
  authUrl: string;
  options: Required<FakeChameleonOptions>;
  leases: FakeLease[];
  servers: FakeServer[];
  floatingIps: FakeFloatingIp[];
  networks: FakeNetwork[];
  subnets: FakeSubnet[];
  routers: FakeRouter[];
  ports: FakePort[];
  /** Every mutating Neutron/Blazar/Nova call in order (`DELETE /network/v2.0/routers/<id>`), for teardown order. */
  mutations: string[];
  /** Tokens issued so far (secrets). */
  issuedTokens: string[];
  authentications: number;
  /** Every server create request body, for asserting the scheduler hint. */
  serverRequests: Array<Record<string, unknown>>;
  /** Every lease create request body, as sent. */
  leaseRequests: Array<Record<string, unknown>>;
  expireTokens(): void;
  /** Resources that still exist: leases not deleted, servers not deleted, floating IPs, and networks, subnets and routers made for a lease. */
  liveResources(): {
    leases: FakeLease[];
    servers: FakeServer[];
    floatingIps: FakeFloatingIp[];
    networks: FakeNetwork[];
    subnets: FakeSubnet[];
    routers: FakeRouter[];
  };
}

/**
 * Starts the Chameleon fake. Leases go PENDING -> STARTING -> ACTIVE (or ERROR) and answer 409 "Not enough hosts
 * available" past the free hosts; servers go BUILD -> ACTIVE, or ERROR with a `fault` (also when the scheduler hint
 * names no active reservation: "No valid host was found").
 * @example const chi = await startFakeChameleon({ applicationCredentialId: 'id', applicationCredentialSecret: 's' })
 */
export async function startFakeChameleon(options: FakeChameleonOptions): Promise<FakeChameleon> {
  const settings: Required<FakeChameleonOptions> = {
    region: 'CHI@UC',
    hosts: { compute_cascadelake_r: 4 },
    leasePolls: 2,
    leaseOutcome: 'ACTIVE',
    buildPolls: 2,
    serverOutcome: 'ACTIVE',
    serverFault: 'Build of instance aborted: Failure prepping block device.',
    tokenLifetimeMs: 60 * 60_000,
    floatingIpAddress: '127.0.0.1',
    images: ['CC-Ubuntu22.04'],
    requireFloatingIpReservation: false,
    nextSegmentationId: 3308,
    ...options,
  };
  const tokens = new Map<string, number>();
  const leases: FakeLease[] = [];
  const servers: FakeServer[] = [];
  const floatingIps: FakeFloatingIp[] = [];
  const subnets: FakeSubnet[] = [];
  const routers: FakeRouter[] = [];
  const ports: FakePort[] = [];
  const mutations: string[] = [];
  const id = (prefix: string): string => `${prefix}-${randomBytes(6).toString('hex')}`;
  const networks: FakeNetwork[] = [
    { id: 'net-sharednet1', name: 'sharednet1', 'provider:segmentation_id': 3000, 'router:external': false },
    { id: 'net-public', name: 'public', 'router:external': true },
  ];
  let segmentationId = settings.nextSegmentationId;
  let addressCounter = 0;
  const newFloatingIp = (description: string, tags: string[]): FakeFloatingIp => ({
    id: id('fip'),
    floating_ip_address: settings.floatingIpAddress,
    floating_network_id: 'net-public',
    description,
    port_id: null,
    tags,
  });
  /** sharednet1 has a router to public; another network only when one of its subnets has a gatewayed router. */
  const routable = (port: FakePort): boolean =>
    port.network_id === 'net-sharednet1' ||
    port.fixed_ips.some((ip) =>
      routers.some(
        (r) => r.external_gateway_info?.network_id === 'net-public' && r.subnets.includes(ip.subnet_id ?? ''),
      ),
    );
  const images = settings.images.map((name, i) => ({ id: `img-${i}`, name, status: 'active' }));
  const error = (status: number, message: string): FakeReply => ({
    status,
    body: { error: { code: status, message } },
  });
  const used = (nodeType: string): number =>
    leases
      .filter((l) => l.nodeType === nodeType && !['TERMINATED', 'ERROR', 'DELETED'].includes(l.status))
      .reduce((total, l) => total + (l.reservations[0]?.min ?? 0), 0);
  /** Blazar starts a lease's reservations: reserved addresses appear tagged, a reserved network is created. */
  const startReservations = (lease: FakeLease): void => {
    for (const r of lease.reservations) {
      if (r.resource_type === 'virtual:floatingip') {
        for (let i = 0; i < (r.amount ?? 0); i++) floatingIps.push(newFloatingIp('', [`reservation:${r.id}`]));
      }
      if (r.resource_type === 'network') {
        const properties = JSON.parse(r.resource_properties ?? '[]') as unknown[];
        const physical = JSON.stringify(properties).match(/"\$physical_network","([^"]+)"/)?.[1] ?? 'physnet1';
        networks.push({
          id: id('net'),
          name: r.network_name ?? '',
          'provider:segmentation_id': segmentationId++,
          'provider:physical_network': physical,
          'router:external': false,
          reservation: r.id,
        });
      }
    }
  };
  const advanceLease = (lease: FakeLease): void => {
    lease.polls++;
    if (lease.status === 'PENDING' && lease.polls >= 1) lease.status = 'STARTING';
    if (lease.status === 'STARTING' && lease.polls > settings.leasePolls) {
      lease.status = settings.leaseOutcome;
      for (const r of lease.reservations) r.status = settings.leaseOutcome === 'ACTIVE' ? 'active' : 'error';
      if (lease.status === 'ACTIVE') startReservations(lease);
    }
  };
  const advanceServer = (server: FakeServer): void => {
    server.polls++;
    if (server.status !== 'BUILD' || server.polls <= settings.buildPolls) return;
    const lease = leases.find((l) => l.status === 'ACTIVE' && l.reservations.some((r) => r.id === server.reservation));
    if (!lease) {
      server.status = 'ERROR';
      server.fault = { code: 500, message: 'No valid host was found. There are not enough hosts available.' };
    } else if (settings.serverOutcome === 'ERROR') {
      server.status = 'ERROR';
      server.fault = { code: 500, message: settings.serverFault };
    } else server.status = 'ACTIVE';
  };

  const route = (req: FakeRequest): FakeReply | undefined => {
    if (req.method === 'GET' && (req.path === '/identity' || req.path === '/identity/')) {
      // Keystone's version discovery document (api-ref identity "Versions"): 300 Multiple Choices.
      return {
        status: 300,
        body: {
          versions: {
            values: [
              {
                id: 'v3.14',
                status: 'stable',
                updated: '2020-04-07T00:00:00Z',
                links: [{ rel: 'self', href: `${server.url}/identity/v3/` }],
                'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.identity-v3+json' }],
              },
            ],
          },
        },
      };
    }
    if (req.method === 'POST' && req.path === '/identity/v3/auth/tokens') {
      const identity = (req.json().auth as { identity?: Record<string, unknown> } | undefined)?.identity;
      const credential = identity?.application_credential as { id?: string; secret?: string } | undefined;
      if (
        credential?.id !== settings.applicationCredentialId ||
        credential?.secret !== settings.applicationCredentialSecret
      ) {
        return error(401, 'The request you have made requires authentication.');
      }
      fake.authentications++;
      const token = `gAAAA${randomBytes(16).toString('hex')}`;
      const expiresAt = Date.now() + settings.tokenLifetimeMs;
      tokens.set(token, expiresAt);
      fake.issuedTokens.push(token);
      const endpoint = (type: string, path: string) => ({
        type,
        endpoints: [
          { interface: 'public', region: settings.region, region_id: settings.region, url: `${server.url}${path}` },
        ],
      });
      return {
        status: 201,
        headers: { 'x-subject-token': token },
        body: {
          token: {
            methods: ['application_credential'],
            expires_at: new Date(expiresAt).toISOString(),
            catalog: [
              endpoint('identity', '/identity/v3'),
              endpoint('reservation', '/reservation/v1'),
              endpoint('compute', '/compute/v2.1'),
              endpoint('network', '/network'),
              endpoint('image', '/image'),
            ],
          },
        },
      };
    }
    const token = String(req.headers['x-auth-token'] ?? '');
    const expiry = tokens.get(token);
    if (expiry === undefined || expiry < Date.now())
      return error(401, 'The request you have made requires authentication.');

    // Blazar
    if (req.path === '/reservation/v1/leases') {
      if (req.method === 'GET') return { status: 200, body: { leases: leases.filter((l) => l.status !== 'DELETED') } };
      if (req.method === 'POST') {
        const body = req.json();
        fake.leaseRequests.push(body);
        const requested = (body.reservations as Array<Record<string, unknown>> | undefined) ?? [];
        const reservation = requested.find((r) => r.resource_type === 'physical:host') ?? {};
        const properties = JSON.parse(String(reservation.resource_properties ?? '[]')) as string[];
        const nodeType = properties[2] ?? '';
        const count = Number(reservation.min);
        const free = (settings.hosts[nodeType] ?? 0) - used(nodeType);
        if (count > free) {
          return error(
            409,
            `Not enough hosts available: requested ${count} ${nodeType}, ${free} free in the requested period`,
          );
        }
        // Blazar accepts "now" or "YYYY-MM-DD HH:MM" (api-ref leases.inc).
        if (
          !/^(?:now|\d{4}-\d\d-\d\d \d\d:\d\d)$/.test(String(body.start_date)) ||
          !/^\d{4}-\d\d-\d\d \d\d:\d\d$/.test(String(body.end_date))
        ) {
          return error(400, 'start_date must be "now" or "YYYY-MM-DD HH:MM", end_date "YYYY-MM-DD HH:MM"');
        }
        for (const r of requested) {
          if (r.resource_type === 'virtual:floatingip' && (r.network_id !== 'net-public' || !(Number(r.amount) > 0)))
            return error(400, 'virtual:floatingip needs network_id of an external network and amount >= 1');
          if (r.resource_type === 'network' && (typeof r.network_name !== 'string' || !r.network_name))
            return error(400, 'network reservation needs network_name');
        }
        const now = new Date().toISOString().slice(0, 16).replace('T', ' ');
        const lease: FakeLease = {
          id: id('lease'),
          name: String(body.name),
          status: 'PENDING',
          start_date: body.start_date === 'now' ? now : String(body.start_date),
          end_date: String(body.end_date),
          reservations: requested.map((r) => ({
            id: id('resv'),
            resource_type: String(r.resource_type),
            status: 'pending',
            ...(r.resource_type === 'physical:host'
              ? { min: count, max: count, resource_properties: String(r.resource_properties) }
              : {}),
            ...(r.resource_type === 'virtual:floatingip'
              ? { amount: Number(r.amount), network_id: String(r.network_id) }
              : {}),
            ...(r.resource_type === 'network'
              ? { network_name: String(r.network_name), resource_properties: String(r.resource_properties ?? '') }
              : {}),
          })),
          polls: 0,
          nodeType,
        };
        leases.push(lease);
        return { status: 201, body: { lease } };
      }
    }
    const leaseMatch = /^\/reservation\/v1\/leases\/([^/]+)$/.exec(req.path);
    if (leaseMatch) {
      const lease = leases.find((l) => l.id === leaseMatch[1] && l.status !== 'DELETED');
      if (!lease) return error(404, 'Lease not found');
      if (req.method === 'GET') {
        advanceLease(lease);
        return { status: 200, body: { lease } };
      }
      if (req.method === 'PUT') {
        lease.end_date = String(req.json().end_date);
        return { status: 200, body: { lease } };
      }
      if (req.method === 'DELETE') {
        // Blazar frees what the reservations held: reserved addresses and the reserved network.
        const ids = lease.reservations.map((r) => r.id);
        const held = networks.filter((n) => n.reservation && ids.includes(n.reservation));
        if (held.some((n) => subnets.some((sn) => sn.network_id === n.id)))
          return error(409, 'Unable to delete the reserved network: it still has subnets');
        lease.status = 'DELETED';
        mutations.push(`DELETE lease ${lease.id}`);
        for (let i = floatingIps.length - 1; i >= 0; i--) {
          if (floatingIps[i]?.tags.some((t) => ids.includes(t.slice('reservation:'.length)))) floatingIps.splice(i, 1);
        }
        for (let i = networks.length - 1; i >= 0; i--) {
          const network = networks[i] as FakeNetwork;
          if (network.reservation && ids.includes(network.reservation)) networks.splice(i, 1);
        }
        return { status: 204 };
      }
    }
    // Glance
    if (req.method === 'GET' && req.path === '/image/v2/images') {
      return { status: 200, body: { images: images.filter((i) => i.name === req.query.get('name')) } };
    }
    // Nova
    if (req.method === 'GET' && req.path === '/compute/v2.1/flavors') {
      return { status: 200, body: { flavors: [{ id: 'flavor-bm', name: 'baremetal' }] } };
    }
    if (req.path === '/compute/v2.1/servers') {
      if (req.method === 'GET') {
        const pattern = new RegExp(req.query.get('name') ?? '.*');
        return {
          status: 200,
          body: {
            servers: servers
              .filter((s) => s.status !== 'DELETED' && pattern.test(s.name))
              .map((s) => ({ id: s.id, name: s.name })),
          },
        };
      }
      if (req.method === 'POST') {
        const body = req.json();
        fake.serverRequests.push(body);
        const spec = body.server as Record<string, unknown>;
        const hint = (body['os:scheduler_hints'] as Record<string, unknown> | undefined)?.reservation;
        if (!images.some((i) => i.id === spec.imageRef))
          return error(400, `Image ${String(spec.imageRef)} could not be found.`);
        const nics = (spec.networks as Array<{ uuid?: string; fixed_ip?: string }> | undefined) ?? [];
        for (const nic of nics) {
          if (!networks.some((n) => n.id === nic.uuid))
            return error(400, `Network ${String(nic.uuid)} could not be found.`);
        }
        const created: FakeServer = {
          id: id('server'),
          name: String(spec.name),
          status: 'BUILD',
          polls: 0,
          reservation: String(hint ?? ''),
        };
        servers.push(created);
        mutations.push(`POST server ${created.id}`);
        for (const nic of nics) {
          const subnet = subnets.find((sn) => sn.network_id === nic.uuid);
          ports.push({
            id: id('port'),
            device_id: created.id,
            network_id: String(nic.uuid),
            fixed_ips: [
              {
                ...(subnet ? { subnet_id: subnet.id } : {}),
                ip_address: nic.fixed_ip ?? `10.${addressCounter >> 8}.${addressCounter++ & 255}.10`,
              },
            ],
          });
        }
        return { status: 202, body: { server: { id: created.id, links: [] } } };
      }
    }
    const serverMatch = /^\/compute\/v2\.1\/servers\/([^/]+)$/.exec(req.path);
    if (serverMatch) {
      const found = servers.find((s) => s.id === serverMatch[1] && s.status !== 'DELETED');
      if (!found) return error(404, `Instance ${serverMatch[1]} could not be found.`);
      if (req.method === 'GET') {
        advanceServer(found);
        return {
          status: 200,
          body: {
            server: {
              id: found.id,
              name: found.name,
              status: found.status,
              ...(found.fault ? { fault: found.fault } : {}),
            },
          },
        };
      }
      if (req.method === 'DELETE') {
        found.status = 'DELETED';
        mutations.push(`DELETE server ${found.id}`);
        const gone = ports.filter((p) => p.device_id === found.id).map((p) => p.id);
        for (const fip of floatingIps) if (fip.port_id && gone.includes(fip.port_id)) fip.port_id = null;
        for (let i = ports.length - 1; i >= 0; i--) if (gone.includes((ports[i] as FakePort).id)) ports.splice(i, 1);
        return { status: 204 };
      }
    }
    // Neutron
    if (req.method === 'GET' && req.path === '/network/v2.0/networks') {
      return { status: 200, body: { networks: networks.filter((n) => n.name === req.query.get('name')) } };
    }
    if (req.method === 'GET' && req.path === '/network/v2.0/ports') {
      const device = req.query.get('device_id');
      return { status: 200, body: { ports: ports.filter((p) => p.device_id === device) } };
    }
    if (req.path === '/network/v2.0/subnets' && req.method === 'POST') {
      const spec = req.json().subnet as Record<string, unknown>;
      if (!networks.some((n) => n.id === spec.network_id))
        return error(404, `Network ${String(spec.network_id)} not found`);
      if (!/^\d+\.\d+\.\d+\.\d+\/\d+$/.test(String(spec.cidr)) || spec.ip_version !== 4)
        return error(400, 'Invalid input for cidr or ip_version');
      const subnet: FakeSubnet = {
        id: id('subnet'),
        name: String(spec.name ?? ''),
        network_id: String(spec.network_id),
        cidr: String(spec.cidr),
        gateway_ip: typeof spec.gateway_ip === 'string' ? spec.gateway_ip : null,
        ip_version: 4,
      };
      subnets.push(subnet);
      mutations.push(`POST subnet ${subnet.id}`);
      return { status: 201, body: { subnet } };
    }
    if (req.method === 'GET' && req.path === '/network/v2.0/subnets') {
      const name = req.query.get('name');
      const network = req.query.get('network_id');
      return {
        status: 200,
        body: {
          subnets: subnets.filter((sn) => (!name || sn.name === name) && (!network || sn.network_id === network)),
        },
      };
    }
    const subnetMatch = /^\/network\/v2\.0\/subnets\/([^/]+)$/.exec(req.path);
    if (subnetMatch && req.method === 'DELETE') {
      const index = subnets.findIndex((sn) => sn.id === subnetMatch[1]);
      if (index < 0) return error(404, `Subnet ${subnetMatch[1]} could not be found`);
      if (routers.some((r) => r.subnets.includes(subnetMatch[1] as string)))
        return error(
          409,
          `Unable to complete operation on subnet ${subnetMatch[1]}: one or more ports have an IP allocation`,
        );
      subnets.splice(index, 1);
      mutations.push(`DELETE subnet ${subnetMatch[1]}`);
      return { status: 204 };
    }
    if (req.path === '/network/v2.0/routers' && req.method === 'POST') {
      const spec = req.json().router as Record<string, unknown>;
      const gateway = spec.external_gateway_info as { network_id?: string } | undefined;
      if (gateway && !networks.some((n) => n.id === gateway.network_id && n['router:external']))
        return error(400, 'external_gateway_info.network_id is not an external network');
      const router: FakeRouter = {
        id: id('router'),
        name: String(spec.name ?? ''),
        external_gateway_info: gateway?.network_id ? { network_id: gateway.network_id } : null,
        routes: [],
        subnets: [],
      };
      routers.push(router);
      mutations.push(`POST router ${router.id}`);
      return { status: 201, body: { router: { ...router, subnets: undefined } } };
    }
    if (req.method === 'GET' && req.path === '/network/v2.0/routers') {
      const name = req.query.get('name');
      return { status: 200, body: { routers: routers.filter((r) => !name || r.name === name) } };
    }
    const routerMatch =
      /^\/network\/v2\.0\/routers\/([^/]+)(?:\/(add_router_interface|remove_router_interface|add_extraroutes|remove_extraroutes))?$/.exec(
        req.path,
      );
    if (routerMatch) {
      const router = routers.find((r) => r.id === routerMatch[1]);
      if (!router) return error(404, `Router ${routerMatch[1]} could not be found`);
      const action = routerMatch[2];
      if (req.method === 'DELETE' && !action) {
        if (router.subnets.length > 0)
          return error(409, `Router ${router.id} still has ports. Remove the router interfaces first.`);
        routers.splice(routers.indexOf(router), 1);
        mutations.push(`DELETE router ${router.id}`);
        return { status: 204 };
      }
      if (req.method === 'PUT' && (action === 'add_router_interface' || action === 'remove_router_interface')) {
        const subnetId = String(req.json().subnet_id ?? '');
        if (!subnets.some((sn) => sn.id === subnetId)) return error(404, `Subnet ${subnetId} could not be found`);
        if (action === 'add_router_interface') router.subnets.push(subnetId);
        else if (router.routes.length > 0)
          return error(
            409,
            `Router interface for subnet ${subnetId} on router ${router.id} cannot be deleted, as it is required by one or more routes.`,
          );
        else router.subnets = router.subnets.filter((sn) => sn !== subnetId);
        mutations.push(`PUT router ${router.id} ${action}`);
        return { status: 200, body: { id: router.id, subnet_id: subnetId, port_id: id('port') } };
      }
      if (req.method === 'PUT' && (action === 'add_extraroutes' || action === 'remove_extraroutes')) {
        const routes = ((req.json().router as { routes?: unknown } | undefined)?.routes ?? []) as Array<{
          destination: string;
          nexthop: string;
        }>;
        if (
          !Array.isArray(routes) ||
          routes.some((r) => typeof r.destination !== 'string' || typeof r.nexthop !== 'string')
        )
          return error(400, 'routes must be a list of {destination, nexthop}');
        if (action === 'add_extraroutes') router.routes.push(...routes);
        else
          router.routes = router.routes.filter(
            (r) => !routes.some((x) => x.destination === r.destination && x.nexthop === r.nexthop),
          );
        mutations.push(`PUT router ${router.id} ${action}`);
        return { status: 200, body: { router: { id: router.id, routes: router.routes } } };
      }
    }
    const networkMatch = /^\/network\/v2\.0\/networks\/([^/]+)$/.exec(req.path);
    if (networkMatch && req.method === 'DELETE') {
      const index = networks.findIndex((n) => n.id === networkMatch[1]);
      if (index < 0) return error(404, `Network ${networkMatch[1]} could not be found`);
      if (subnets.some((sn) => sn.network_id === networkMatch[1]))
        return error(
          409,
          `Unable to complete operation on network ${networkMatch[1]}. There are one or more ports still in use on the network.`,
        );
      networks.splice(index, 1);
      mutations.push(`DELETE network ${networkMatch[1]}`);
      return { status: 204 };
    }
    if (req.path === '/network/v2.0/floatingips') {
      if (req.method === 'GET') {
        const description = req.query.get('description');
        const tags = req.query.get('tags');
        return {
          status: 200,
          body: {
            floatingips: floatingIps.filter(
              (f) => (!description || f.description === description) && (!tags || f.tags.includes(tags)),
            ),
          },
        };
      }
      if (req.method === 'POST') {
        if (settings.requireFloatingIpReservation)
          return error(409, 'Floating IPs on this site must be reserved through Blazar (virtual:floatingip).');
        const spec = req.json().floatingip as Record<string, unknown>;
        if (spec.floating_network_id !== 'net-public')
          return error(400, 'floating_network_id must be an external network');
        const fip = newFloatingIp(String(spec.description ?? ''), []);
        floatingIps.push(fip);
        return { status: 201, body: { floatingip: fip } };
      }
    }
    const fipMatch = /^\/network\/v2\.0\/floatingips\/([^/]+)$/.exec(req.path);
    if (fipMatch) {
      const index = floatingIps.findIndex((f) => f.id === fipMatch[1]);
      const fip = floatingIps[index];
      if (!fip) return error(404, `Floating IP ${fipMatch[1]} could not be found`);
      if (req.method === 'PUT') {
        const portId = (req.json().floatingip as Record<string, unknown>).port_id;
        const port = ports.find((p) => p.id === portId);
        if (typeof portId === 'string' && !port) return error(404, `Port ${portId} could not be found`);
        if (port && !routable(port)) {
          return error(
            400,
            `External network net-public is not reachable from subnet ${port.fixed_ips[0]?.subnet_id ?? port.network_id}. Therefore, cannot associate Port ${port.id} with a Floating IP.`,
          );
        }
        fip.port_id = port ? port.id : null;
        return { status: 200, body: { floatingip: fip } };
      }
      if (req.method === 'DELETE') {
        floatingIps.splice(index, 1);
        return { status: 204 };
      }
    }
    return undefined;
  };

  const server = await startFakeHttpServer(route);
  const fake: FakeChameleon = {
    ...server,
    authUrl: `${server.url}/identity/v3`,
    options: settings,
    leases,
    servers,
    floatingIps,
    networks,
    subnets,
    routers,
    ports,
    mutations,
    issuedTokens: [],
    authentications: 0,
    serverRequests: [],
    leaseRequests: [],
    expireTokens() {
      for (const key of tokens.keys()) tokens.set(key, 0);
    },
    liveResources: () => ({
      leases: leases.filter((l) => l.status !== 'DELETED'),
      servers: servers.filter((s) => s.status !== 'DELETED'),
      floatingIps: [...floatingIps],
      networks: networks.filter((n) => n.reservation !== undefined),
      subnets: [...subnets],
      routers: [...routers],
    }),
  };
  return fake;
}
