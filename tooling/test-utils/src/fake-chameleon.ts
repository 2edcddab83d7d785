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
  images?: string[];
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
    min: number;
    max: number;
    resource_properties: string;
  }>;
  polls: number;
  nodeType: string;
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
}

/** A fake Chameleon site: Keystone, Blazar, Nova, Neutron and Glance behind one loopback server. */
export interface FakeChameleon extends FakeHttpServer {
  authUrl: string;
  options: Required<FakeChameleonOptions>;
  leases: FakeLease[];
  servers: FakeServer[];
  floatingIps: FakeFloatingIp[];
  /** Tokens issued so far (secrets). */
  issuedTokens: string[];
  authentications: number;
  /** Every server create request body, for asserting the scheduler hint. */
  serverRequests: Array<Record<string, unknown>>;
  expireTokens(): void;
  /** Resources that still exist: leases not deleted, servers not deleted, floating IPs. */
  liveResources(): { leases: FakeLease[]; servers: FakeServer[]; floatingIps: FakeFloatingIp[] };
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
    ...options,
  };
  const tokens = new Map<string, number>();
  const leases: FakeLease[] = [];
  const servers: FakeServer[] = [];
  const floatingIps: FakeFloatingIp[] = [];
  const id = (prefix: string): string => `${prefix}-${randomBytes(6).toString('hex')}`;
  const networks = [
    { id: 'net-sharednet1', name: 'sharednet1', 'provider:segmentation_id': 3308, 'router:external': false },
    { id: 'net-public', name: 'public', 'router:external': true },
  ];
  const images = settings.images.map((name, i) => ({ id: `img-${i}`, name }));
  const error = (status: number, message: string): FakeReply => ({
    status,
    body: { error: { code: status, message } },
  });
  const used = (nodeType: string): number =>
    leases
      .filter((l) => l.nodeType === nodeType && !['TERMINATED', 'ERROR', 'DELETED'].includes(l.status))
      .reduce((total, l) => total + (l.reservations[0]?.min ?? 0), 0);
  const advanceLease = (lease: FakeLease): void => {
    lease.polls++;
    if (lease.status === 'PENDING' && lease.polls >= 1) lease.status = 'STARTING';
    if (lease.status === 'STARTING' && lease.polls > settings.leasePolls) {
      lease.status = settings.leaseOutcome;
      for (const r of lease.reservations) r.status = settings.leaseOutcome === 'ACTIVE' ? 'active' : 'error';
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
        const reservation = (body.reservations as Array<Record<string, unknown>>)[0] ?? {};
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
        if (
          !/^\d{4}-\d\d-\d\d \d\d:\d\d$/.test(String(body.start_date)) ||
          !/^\d{4}-\d\d-\d\d \d\d:\d\d$/.test(String(body.end_date))
        ) {
          return error(400, 'start_date and end_date must be "YYYY-MM-DD HH:MM"');
        }
        const lease: FakeLease = {
          id: id('lease'),
          name: String(body.name),
          status: 'PENDING',
          start_date: String(body.start_date),
          end_date: String(body.end_date),
          reservations: [
            {
              id: id('resv'),
              resource_type: 'physical:host',
              status: 'pending',
              min: count,
              max: count,
              resource_properties: String(reservation.resource_properties),
            },
          ],
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
        lease.status = 'DELETED';
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
        const created: FakeServer = {
          id: id('server'),
          name: String(spec.name),
          status: 'BUILD',
          polls: 0,
          reservation: String(hint ?? ''),
        };
        servers.push(created);
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
        for (const fip of floatingIps) if (fip.port_id === `port-${found.id}`) fip.port_id = null;
        return { status: 204 };
      }
    }
    // Neutron
    if (req.method === 'GET' && req.path === '/network/v2.0/networks') {
      return { status: 200, body: { networks: networks.filter((n) => n.name === req.query.get('name')) } };
    }
    if (req.method === 'GET' && req.path === '/network/v2.0/ports') {
      const device = req.query.get('device_id');
      const owner = servers.find((s) => s.id === device && s.status !== 'DELETED');
      return { status: 200, body: { ports: owner ? [{ id: `port-${owner.id}`, device_id: owner.id }] : [] } };
    }
    if (req.path === '/network/v2.0/floatingips') {
      if (req.method === 'GET') {
        const description = req.query.get('description');
        return {
          status: 200,
          body: { floatingips: floatingIps.filter((f) => !description || f.description === description) },
        };
      }
      if (req.method === 'POST') {
        const spec = req.json().floatingip as Record<string, unknown>;
        if (spec.floating_network_id !== 'net-public')
          return error(400, 'floating_network_id must be an external network');
        const fip: FakeFloatingIp = {
          id: id('fip'),
          floating_ip_address: settings.floatingIpAddress,
          floating_network_id: 'net-public',
          description: String(spec.description ?? ''),
          port_id: null,
        };
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
        const port = (req.json().floatingip as Record<string, unknown>).port_id;
        if (typeof port === 'string' && !servers.some((s) => `port-${s.id}` === port && s.status !== 'DELETED')) {
          return error(404, `Port ${port} could not be found`);
        }
        fip.port_id = typeof port === 'string' ? port : null;
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
    issuedTokens: [],
    authentications: 0,
    serverRequests: [],
    expireTokens() {
      for (const key of tokens.keys()) tokens.set(key, 0);
    },
    liveResources: () => ({
      leases: leases.filter((l) => l.status !== 'DELETED'),
      servers: servers.filter((s) => s.status !== 'DELETED'),
      floatingIps: [...floatingIps],
    }),
  };
  return fake;
}
