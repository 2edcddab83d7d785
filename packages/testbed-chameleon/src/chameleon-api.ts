import {
  type HttpClient,
  type HttpRequest,
  type HttpResponse,
  httpBodyOf,
  httpStatusOf,
  type LongOperationOptions,
  ProteusError,
  reportProgress,
  sleep,
  throwIfAborted,
} from '@proteus-wf/core';
import type { KeystoneSession } from './keystone-session.js';

/** A Blazar lease as Proteus reads it. */
export interface LeaseInfo {
  id: string;
  name: string;
  status: string;
  endDate?: string;
  /** Reservation id of the `physical:host` reservation (the Nova scheduler hint). */
  hostReservationId?: string;
  /** Reservation id of the `virtual:floatingip` reservation; its addresses carry the tag `reservation:<id>`. */
  floatingIpReservationId?: string;
  /** Reservation id of the `network` reservation (the FABRIC-stitchable VLAN network). */
  networkReservationId?: string;
}

/** What {@link ChameleonApi.createLease} reserves besides the hosts. */
export interface LeaseExtras {
  /** Reserve this many floating IPs of `externalNetworkId` through Blazar (sites that require it). */
  floatingIps?: { externalNetworkId: string; amount: number };
  /** Reserve a VLAN network named `name` on `physicalNetwork`, stitchable to FABRIC when `stitchProvider` is set. */
  network?: { name: string; physicalNetwork: string; stitchProvider?: 'fabric' };
}

/** A Nova server as Proteus reads it. */
export interface ServerInfo {
  id: string;
  name: string;
  status: string;
  fault?: string;
}

/** A Neutron floating IP as Proteus reads it. */
export interface FloatingIpInfo {
  id: string;
  /** The public IPv4 address (`floating_ip_address`). */
  address: string;
  /** The Neutron port it is attached to; absent while unattached. */
  portId?: string;
}

/** How a `ChameleonApi.waitFor*` call polls: interval, deadline, cancellation and progress (ratio: elapsed/timeout). */
export interface WaitOptions extends LongOperationOptions {
  /** Pause between two polls, in ms. */
  pollIntervalMs: number;
  /** Give up with PROTEUS_CHAMELEON_WAIT_TIMEOUT after this many ms. */
  timeoutMs: number;
}

/** The Blazar, Nova, Neutron and Glance calls of testbeds.md §3.2–3.3. */
export interface ChameleonApi {
  findLeases(name: string, signal?: AbortSignal): Promise<LeaseInfo[]>;
  /** `start: 'now'` lets Blazar start the lease at once (no client clock, no minute rounding). */
  createLease(input: {
    name: string;
    nodeType: string;
    count: number;
    start: Date | 'now';
    end: Date;
    extras?: LeaseExtras;
    signal?: AbortSignal;
  }): Promise<LeaseInfo>;
  getLease(id: string, signal?: AbortSignal): Promise<LeaseInfo | undefined>;
  extendLease(id: string, end: Date, signal?: AbortSignal): Promise<void>;
  deleteLease(id: string, signal?: AbortSignal): Promise<void>;
  waitForLease(id: string, options: WaitOptions): Promise<LeaseInfo>;
  /** The id of the one image with this exact name; two or more is PROTEUS_CHAMELEON_AMBIGUOUS_IMAGE. */
  findImage(name: string, signal?: AbortSignal): Promise<string>;
  findFlavor(name: string, signal?: AbortSignal): Promise<string>;
  findNetwork(name: string, signal?: AbortSignal): Promise<{ id: string; segmentationId?: number }>;
  findServers(name: string, signal?: AbortSignal): Promise<ServerInfo[]>;
  createServer(input: {
    name: string;
    imageId: string;
    flavorId: string;
    /** One NIC per entry, in order; `fixedIp` pins its address (Poseidon-X: .10+i on each subnet). */
    networks: Array<{ networkId: string; fixedIp?: string }>;
    reservationId: string;
    keyName?: string;
    signal?: AbortSignal;
  }): Promise<string>;
  getServer(id: string, signal?: AbortSignal): Promise<ServerInfo | undefined>;
  deleteServer(id: string, signal?: AbortSignal): Promise<void>;
  waitForServer(id: string, options: WaitOptions): Promise<ServerInfo>;
  waitForServerGone(id: string, options: WaitOptions): Promise<void>;
  findFloatingIps(description: string, signal?: AbortSignal): Promise<FloatingIpInfo[]>;
  /** The floating IPs a Blazar `virtual:floatingip` reservation holds (tag `reservation:<id>`). */
  findReservedFloatingIps(reservationId: string, signal?: AbortSignal): Promise<FloatingIpInfo[]>;
  createFloatingIp(externalNetworkId: string, description: string, signal?: AbortSignal): Promise<FloatingIpInfo>;
  /** Associates the address with the first of the server's ports that the external network can reach. */
  attachFloatingIp(floatingIpId: string, serverId: string, signal?: AbortSignal): Promise<void>;
  /** Detaches an address (reserved addresses go back to their reservation, not deleted). */
  detachFloatingIp(floatingIpId: string, signal?: AbortSignal): Promise<void>;
  deleteFloatingIp(id: string, signal?: AbortSignal): Promise<void>;
  /** Deletes a network (a reserved one before its lease, as Poseidon-X's teardown does); gone counts as deleted. */
  deleteNetwork(id: string, signal?: AbortSignal): Promise<void>;
  findSubnet(name: string, networkId: string, signal?: AbortSignal): Promise<string | undefined>;
  createSubnet(
    input: { name: string; networkId: string; cidr: string; gateway?: string },
    signal?: AbortSignal,
  ): Promise<string>;
  deleteSubnet(id: string, signal?: AbortSignal): Promise<void>;
  findRouter(name: string, signal?: AbortSignal): Promise<string | undefined>;
  /** A router whose gateway is the external network (`external_gateway_info`). */
  createRouter(name: string, externalNetworkId: string, signal?: AbortSignal): Promise<string>;
  deleteRouter(id: string, signal?: AbortSignal): Promise<void>;
  addRouterInterface(routerId: string, subnetId: string, signal?: AbortSignal): Promise<void>;
  removeRouterInterface(routerId: string, subnetId: string, signal?: AbortSignal): Promise<void>;
  addExtraRoutes(routerId: string, routes: ExtraRoute[], signal?: AbortSignal): Promise<void>;
  removeExtraRoutes(routerId: string, routes: ExtraRoute[], signal?: AbortSignal): Promise<void>;
}

/** A static route of a Neutron router (`add_extraroutes`). */
export interface ExtraRoute {
  destination: string;
  nexthop: string;
}

const NO_HOSTS = /not enough .*available/i;

/**
 * Creates the OpenStack client over a Keystone session. Calls carry `X-Auth-Token`; a 401 re-authenticates once.
 * @example const api = createChameleonApi(session, http); await api.findLeases('px')
 * @throws ProteusError PROTEUS_CHAMELEON_NO_HOSTS, PROTEUS_CHAMELEON_LEASE_FAILED, PROTEUS_CHAMELEON_SERVER_FAILED,
 * PROTEUS_CHAMELEON_NOT_FOUND, PROTEUS_CHAMELEON_WAIT_TIMEOUT
 */
export function createChameleonApi(session: KeystoneSession, http: HttpClient): ChameleonApi {
  const call = async (
    service: string,
    path: string,
    request: Omit<HttpRequest, 'url' | 'headers'>,
  ): Promise<HttpResponse> => {
    const send = async (): Promise<HttpResponse> =>
      http.request({
        ...request,
        url: `${await session.endpoint(service, request.signal)}${path}`,
        headers: { 'x-auth-token': await session.token(request.signal) },
      });
    try {
      return await send();
    } catch (error) {
      if (httpStatusOf(error) !== 401) throw error;
      session.invalidate();
      return send();
    }
  };
  const get = (service: string, path: string, signal?: AbortSignal) =>
    call(service, path, { method: 'GET', idempotent: true, signal });
  const obj = (value: unknown): Record<string, unknown> =>
    typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
  const list = (body: unknown, key: string): Array<Record<string, unknown>> => {
    const items = obj(body)[key];
    return Array.isArray(items) ? items.map(obj) : [];
  };
  const toLease = (raw: Record<string, unknown>): LeaseInfo => {
    const reservations = Array.isArray(raw.reservations) ? raw.reservations.map(obj) : [];
    const idOf = (type: string): string | undefined => {
      const id = reservations.find((r) => r.resource_type === type)?.id;
      return typeof id === 'string' ? id : undefined;
    };
    const host = idOf('physical:host');
    const fips = idOf('virtual:floatingip');
    const network = idOf('network');
    return {
      id: String(raw.id ?? ''),
      name: String(raw.name ?? ''),
      status: String(raw.status ?? ''),
      ...(typeof raw.end_date === 'string' ? { endDate: raw.end_date } : {}),
      ...(host ? { hostReservationId: host } : {}),
      ...(fips ? { floatingIpReservationId: fips } : {}),
      ...(network ? { networkReservationId: network } : {}),
    };
  };
  const toServer = (raw: Record<string, unknown>): ServerInfo => {
    const fault = obj(raw.fault);
    return {
      id: String(raw.id ?? ''),
      name: String(raw.name ?? ''),
      status: String(raw.status ?? ''),
      ...(typeof fault.message === 'string'
        ? { fault: `${fault.message}${fault.code ? ` (code ${fault.code})` : ''}` }
        : {}),
    };
  };
  const ignore404 = async (work: Promise<unknown>): Promise<void> => {
    try {
      await work;
    } catch (error) {
      if (httpStatusOf(error) !== 404) throw error;
    }
  };
  const notFound = (what: string, name: string, hint: string): ProteusError =>
    new ProteusError('PROTEUS_CHAMELEON_NOT_FOUND', `testbed-chameleon: no ${what} named "${name}". ${hint}`, {
      details: { what, name },
    });
  const poll = async <T>(
    what: string,
    read: () => Promise<T>,
    decide: (value: T) => 'done' | 'wait',
    describe: (value: T) => string,
    options: WaitOptions,
  ): Promise<T> => {
    const started = Date.now();
    for (;;) {
      throwIfAborted(options.signal, `testbed-chameleon/wait ${what}`);
      const value = await read();
      if (decide(value) === 'done') return value;
      const elapsed = Date.now() - started;
      if (elapsed >= options.timeoutMs) {
        throw new ProteusError(
          'PROTEUS_CHAMELEON_WAIT_TIMEOUT',
          `testbed-chameleon: ${what} still ${describe(value)} after ${options.timeoutMs} ms. Raise the timeout or check the Chameleon dashboard.`,
          { details: { what, state: describe(value) } },
        );
      }
      reportProgress(options.onProgress, {
        phase: what.split(' ')[0] ?? what,
        ratio: elapsed / options.timeoutMs,
        message: describe(value),
      });
      await sleep(options.pollIntervalMs, { signal: options.signal, where: `testbed-chameleon/wait ${what}` });
    }
  };

  const api: ChameleonApi = {
    async findLeases(name, signal) {
      const response = await get('reservation', '/leases', signal);
      return list(response.body, 'leases')
        .map(toLease)
        .filter((lease) => lease.name === name);
    },
    async createLease({ name, nodeType, count, start, end, extras, signal }) {
      try {
        const response = await call('reservation', '/leases', {
          method: 'POST',
          json: {
            name,
            start_date: start === 'now' ? 'now' : formatBlazarTime(start),
            end_date: formatBlazarTime(end),
            reservations: leaseReservations(nodeType, count, extras),
            events: [],
          },
          idempotent: false,
          signal,
        });
        return toLease(obj(obj(response.body).lease));
      } catch (error) {
        const status = httpStatusOf(error);
        if ((status === 409 || status === 400 || status === 500) && NO_HOSTS.test(httpBodyOf(error))) {
          throw new ProteusError(
            'PROTEUS_CHAMELEON_NO_HOSTS',
            `testbed-chameleon/createLease: not enough "${nodeType}" hosts available for ${count} node(s) ` +
              `from ${start === 'now' ? 'now' : formatBlazarTime(start)} to ${formatBlazarTime(end)}. Lower chameleon.count, choose another nodeType ` +
              'or site, or check availability in the Chameleon host calendar.',
            { details: { nodeType, count, status }, cause: error },
          );
        }
        throw error;
      }
    },
    async getLease(id, signal) {
      try {
        return toLease(obj(obj((await get('reservation', `/leases/${encodeURIComponent(id)}`, signal)).body).lease));
      } catch (error) {
        if (httpStatusOf(error) === 404) return undefined;
        throw error;
      }
    },
    async extendLease(id, end, signal) {
      await call('reservation', `/leases/${encodeURIComponent(id)}`, {
        method: 'PUT',
        json: { end_date: formatBlazarTime(end) },
        idempotent: true,
        signal,
      });
    },
    async deleteLease(id, signal) {
      await ignore404(
        call('reservation', `/leases/${encodeURIComponent(id)}`, { method: 'DELETE', idempotent: true, signal }),
      );
    },
    async waitForLease(id, options) {
      const lease = await poll(
        `lease ${id}`,
        async () => (await api.getLease(id, options.signal)) ?? { id, name: '', status: 'DELETED' },
        (l) => (['ACTIVE', 'ERROR', 'TERMINATED', 'DELETED'].includes(l.status) ? 'done' : 'wait'),
        (l) => l.status,
        options,
      );
      if (lease.status !== 'ACTIVE') {
        throw new ProteusError(
          'PROTEUS_CHAMELEON_LEASE_FAILED',
          `testbed-chameleon/waitForLease: lease "${lease.name}" (${id}) ended ${lease.status} instead of ACTIVE. ` +
            'Check the lease events in the Chameleon dashboard.',
          { details: { leaseId: id, status: lease.status } },
        );
      }
      return lease;
    },
    async findImage(name, signal) {
      const images = list(
        (await get('image', `/v2/images?${new URLSearchParams({ name })}`, signal)).body,
        'images',
      ).filter((image) => image.name === name && typeof image.id === 'string');
      if (images.length > 1) {
        const ids = images.map((image) => String(image.id));
        throw new ProteusError(
          'PROTEUS_CHAMELEON_AMBIGUOUS_IMAGE',
          `testbed-chameleon/findImage: ${images.length} images are named "${name}" (${ids.join(', ')}); Proteus will not ` +
            'guess which one to boot. Set chameleon.image to one of these ids, or rename the images.',
          { details: { name, ids } },
        );
      }
      const id = images[0]?.id;
      if (typeof id !== 'string')
        throw notFound('image', name, 'List images with `openstack image list` and fix chameleon.image.');
      return id;
    },
    async findFlavor(name, signal) {
      const flavors = list((await get('compute', '/flavors', signal)).body, 'flavors');
      const id = flavors.find((f) => f.name === name)?.id;
      if (typeof id !== 'string') throw notFound('flavor', name, 'Bare metal uses the "baremetal" flavor.');
      return id;
    },
    async findNetwork(name, signal) {
      const networks = list(
        (await get('network', `/v2.0/networks?${new URLSearchParams({ name })}`, signal)).body,
        'networks',
      );
      const network = networks[0];
      if (!network || typeof network.id !== 'string')
        throw notFound('network', name, 'Fix chameleon.network (e.g. sharednet1).');
      const segment = network['provider:segmentation_id'];
      return typeof segment === 'number' ? { id: network.id, segmentationId: segment } : { id: network.id };
    },
    async findServers(name, signal) {
      // Nova's name filter is a regular expression: anchor it, then compare exactly.
      const query = new URLSearchParams({ name: `^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$` });
      const servers = list((await get('compute', `/servers?${query}`, signal)).body, 'servers');
      return servers.map(toServer).filter((s) => s.name === name);
    },
    async createServer({ name, imageId, flavorId, networks, reservationId, keyName, signal }) {
      const response = await call('compute', '/servers', {
        method: 'POST',
        json: {
          server: {
            name,
            imageRef: imageId,
            flavorRef: flavorId,
            networks: networks.map((n) => ({ uuid: n.networkId, ...(n.fixedIp ? { fixed_ip: n.fixedIp } : {}) })),
            min_count: 1,
            max_count: 1,
            ...(keyName ? { key_name: keyName } : {}),
          },
          'os:scheduler_hints': { reservation: reservationId },
        },
        idempotent: false,
        signal,
      });
      const id = obj(obj(response.body).server).id;
      if (typeof id !== 'string') {
        throw new ProteusError(
          'PROTEUS_CHAMELEON_SERVER_FAILED',
          `testbed-chameleon/createServer: Nova accepted "${name}" but returned no id.`,
        );
      }
      return id;
    },
    async getServer(id, signal) {
      try {
        return toServer(obj(obj((await get('compute', `/servers/${encodeURIComponent(id)}`, signal)).body).server));
      } catch (error) {
        if (httpStatusOf(error) === 404) return undefined;
        throw error;
      }
    },
    async deleteServer(id, signal) {
      await ignore404(
        call('compute', `/servers/${encodeURIComponent(id)}`, { method: 'DELETE', idempotent: true, signal }),
      );
    },
    async waitForServer(id, options) {
      const server = await poll(
        `server ${id}`,
        async () => (await api.getServer(id, options.signal)) ?? { id, name: '', status: 'DELETED' },
        (s) => (s.status === 'BUILD' ? 'wait' : 'done'),
        (s) => s.status,
        options,
      );
      if (server.status !== 'ACTIVE') {
        throw new ProteusError(
          'PROTEUS_CHAMELEON_SERVER_FAILED',
          `testbed-chameleon/waitForServer: server "${server.name}" (${id}) went ${server.status}` +
            `${server.fault ? `: ${server.fault}` : ''}. "No valid host" means the reservation is not active or exhausted.`,
          { details: { serverId: id, status: server.status, fault: server.fault } },
        );
      }
      return server;
    },
    async waitForServerGone(id, options) {
      await poll(
        `server ${id} deletion`,
        () => api.getServer(id, options.signal),
        (s) => (s === undefined || s.status === 'DELETED' ? 'done' : 'wait'),
        (s) => s?.status ?? 'DELETED',
        options,
      );
    },
    async findFloatingIps(description, signal) {
      const query = new URLSearchParams({ description });
      return list((await get('network', `/v2.0/floatingips?${query}`, signal)).body, 'floatingips')
        .filter((f) => f.description === description)
        .map((f) => ({
          id: String(f.id),
          address: String(f.floating_ip_address),
          ...(typeof f.port_id === 'string' ? { portId: f.port_id } : {}),
        }));
    },
    async createFloatingIp(externalNetworkId, description, signal) {
      const response = await call('network', '/v2.0/floatingips', {
        method: 'POST',
        json: { floatingip: { floating_network_id: externalNetworkId, description } },
        idempotent: false,
        signal,
      });
      const fip = obj(obj(response.body).floatingip);
      return { id: String(fip.id), address: String(fip.floating_ip_address) };
    },
    async findReservedFloatingIps(reservationId, signal) {
      const query = new URLSearchParams({ tags: `reservation:${reservationId}` });
      return list((await get('network', `/v2.0/floatingips?${query}`, signal)).body, 'floatingips')
        .filter((f) => Array.isArray(f.tags) && f.tags.includes(`reservation:${reservationId}`))
        .map((f) => ({
          id: String(f.id),
          address: String(f.floating_ip_address),
          ...(typeof f.port_id === 'string' ? { portId: f.port_id } : {}),
        }));
    },
    async attachFloatingIp(floatingIpId, serverId, signal) {
      const ports = list(
        (await get('network', `/v2.0/ports?${new URLSearchParams({ device_id: serverId })}`, signal)).body,
        'ports',
      )
        .map((p) => p.id)
        .filter((id): id is string => typeof id === 'string');
      // As python-chi's associate_floating_ip: a port on a network without a router to the external one is refused
      // (400/404/409), so each port is tried in turn.
      const refusals: string[] = [];
      for (const port of ports) {
        try {
          await call('network', `/v2.0/floatingips/${encodeURIComponent(floatingIpId)}`, {
            method: 'PUT',
            json: { floatingip: { port_id: port } },
            idempotent: true,
            signal,
          });
          return;
        } catch (error) {
          const status = httpStatusOf(error);
          if (status === undefined || status < 400 || status >= 500 || status === 401) throw error;
          refusals.push(`${port}: ${status} ${httpBodyOf(error).slice(0, 200)}`);
        }
      }
      throw new ProteusError(
        'PROTEUS_CHAMELEON_SERVER_FAILED',
        `testbed-chameleon/attachFloatingIp: no port of server ${serverId} can take floating IP ${floatingIpId} ` +
          `(${ports.length} port(s)${refusals.length ? `: ${refusals.join('; ')}` : ''}). Give the server a NIC on a ` +
          'network with a router to the public network.',
        { details: { serverId, floatingIpId, refusals } },
      );
    },
    async detachFloatingIp(id, signal) {
      await ignore404(
        call('network', `/v2.0/floatingips/${encodeURIComponent(id)}`, {
          method: 'PUT',
          json: { floatingip: { port_id: null } },
          idempotent: true,
          signal,
        }),
      );
    },
    async deleteNetwork(id, signal) {
      await ignore404(
        call('network', `/v2.0/networks/${encodeURIComponent(id)}`, { method: 'DELETE', idempotent: true, signal }),
      );
    },
    async findSubnet(name, networkId, signal) {
      const query = new URLSearchParams({ name, network_id: networkId });
      const found = list((await get('network', `/v2.0/subnets?${query}`, signal)).body, 'subnets').find(
        (sn) => sn.name === name && sn.network_id === networkId,
      );
      return typeof found?.id === 'string' ? found.id : undefined;
    },
    async createSubnet({ name, networkId, cidr, gateway }, signal) {
      const response = await call('network', '/v2.0/subnets', {
        method: 'POST',
        json: {
          subnet: { name, network_id: networkId, cidr, ip_version: 4, ...(gateway ? { gateway_ip: gateway } : {}) },
        },
        idempotent: false,
        signal,
      });
      return String(obj(obj(response.body).subnet).id);
    },
    async deleteSubnet(id, signal) {
      await ignore404(
        call('network', `/v2.0/subnets/${encodeURIComponent(id)}`, { method: 'DELETE', idempotent: true, signal }),
      );
    },
    async findRouter(name, signal) {
      const found = list(
        (await get('network', `/v2.0/routers?${new URLSearchParams({ name })}`, signal)).body,
        'routers',
      ).find((r) => r.name === name);
      return typeof found?.id === 'string' ? found.id : undefined;
    },
    async createRouter(name, externalNetworkId, signal) {
      const response = await call('network', '/v2.0/routers', {
        method: 'POST',
        json: { router: { name, external_gateway_info: { network_id: externalNetworkId } } },
        idempotent: false,
        signal,
      });
      return String(obj(obj(response.body).router).id);
    },
    async deleteRouter(id, signal) {
      await ignore404(
        call('network', `/v2.0/routers/${encodeURIComponent(id)}`, { method: 'DELETE', idempotent: true, signal }),
      );
    },
    async addRouterInterface(routerId, subnetId, signal) {
      await call('network', `/v2.0/routers/${encodeURIComponent(routerId)}/add_router_interface`, {
        method: 'PUT',
        json: { subnet_id: subnetId },
        idempotent: false,
        signal,
      });
    },
    async removeRouterInterface(routerId, subnetId, signal) {
      await ignore404(
        call('network', `/v2.0/routers/${encodeURIComponent(routerId)}/remove_router_interface`, {
          method: 'PUT',
          json: { subnet_id: subnetId },
          idempotent: true,
          signal,
        }),
      );
    },
    async addExtraRoutes(routerId, routes, signal) {
      await call('network', `/v2.0/routers/${encodeURIComponent(routerId)}/add_extraroutes`, {
        method: 'PUT',
        json: { router: { routes } },
        idempotent: true,
        signal,
      });
    },
    async removeExtraRoutes(routerId, routes, signal) {
      await ignore404(
        call('network', `/v2.0/routers/${encodeURIComponent(routerId)}/remove_extraroutes`, {
          method: 'PUT',
          json: { router: { routes } },
          idempotent: true,
          signal,
        }),
      );
    },
    async deleteFloatingIp(id, signal) {
      await ignore404(
        call('network', `/v2.0/floatingips/${encodeURIComponent(id)}`, { method: 'DELETE', idempotent: true, signal }),
      );
    },
  };
  return api;
}

/** The `reservations` of a lease request: the hosts, and the floating IPs and stitchable network when asked for. */
function leaseReservations(nodeType: string, count: number, extras: LeaseExtras = {}): Array<Record<string, unknown>> {
  const reservations: Array<Record<string, unknown>> = [
    {
      resource_type: 'physical:host',
      resource_properties: JSON.stringify(['==', '$node_type', nodeType]),
      hypervisor_properties: '',
      min: count,
      max: count,
    },
  ];
  if (extras.floatingIps) {
    reservations.push({
      resource_type: 'virtual:floatingip',
      network_id: extras.floatingIps.externalNetworkId,
      amount: extras.floatingIps.amount,
    });
  }
  if (extras.network) {
    const physical = ['==', '$physical_network', extras.network.physicalNetwork];
    const properties = extras.network.stitchProvider
      ? ['and', physical, ['==', '$stitch_provider', extras.network.stitchProvider]]
      : physical;
    reservations.push({
      resource_type: 'network',
      network_name: extras.network.name,
      network_description: '',
      resource_properties: JSON.stringify(properties),
      network_properties: '',
    });
  }
  return reservations;
}

/** Blazar's date format, `YYYY-MM-DD HH:MM` in UTC. */
export function formatBlazarTime(date: Date): string {
  return date.toISOString().slice(0, 16).replace('T', ' ');
}
