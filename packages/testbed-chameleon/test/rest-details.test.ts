import type { AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { createHttpClient, createRedactor, createRng, isProteusError } from '@proteus-wf/core';
import { createTempDir, type FakeChameleon, startFakeChameleon } from '@proteus-wf/test-utils';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type ChameleonTestbedOptions,
  createChameleonApi,
  createChameleonTestbed,
  createKeystoneSession,
  parseChameleonTopology,
} from '../src/index.js';

// Chameleon REST details checked against python-chi f691d6a and the OpenStack API references (issue 13 item 13).
const ID = 'app-cred-rest';
const SECRET = 'app-secret-rest-5f4e3d2c';
let chi: FakeChameleon;
let sshd: Server;
let dir: { path: string; dispose: () => Promise<void> };

beforeEach(async () => {
  dir = await createTempDir('proteus-chi-rest-');
  sshd = createServer((socket) => socket.end());
  await new Promise<void>((resolve) => sshd.listen(0, '127.0.0.1', resolve));
});
afterEach(async () => {
  await chi?.close();
  await new Promise((resolve) => sshd.close(resolve));
  await dir.dispose();
});

async function start(options: Partial<Parameters<typeof startFakeChameleon>[0]> = {}): Promise<void> {
  chi = await startFakeChameleon({ applicationCredentialId: ID, applicationCredentialSecret: SECRET, ...options });
}

function testbedOptions(chameleon: Record<string, unknown> = {}, authUrl = chi.authUrl): ChameleonTestbedOptions {
  return {
    topology: parseChameleonTopology({
      name: 'px-rest',
      chameleon: {
        site: 'CHI@UC',
        nodeType: 'compute_cascadelake_r',
        count: 2,
        image: 'CC-Ubuntu22.04',
        hours: 6,
        ...chameleon,
      },
    }),
    credentials: { authUrl, applicationCredentialId: ID, applicationCredentialSecret: SECRET },
    stateFile: join(dir.path, 'state.json'),
    deploy: false,
    seed: 5,
    retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 2 },
    pollIntervalMs: 1,
    leaseTimeoutMs: 2_000,
    serverTimeoutMs: 2_000,
    sshTimeoutMs: 500,
    sshPollMs: 10,
    sshPort: (sshd.address() as AddressInfo).port,
    requestTimeoutMs: 2_000,
  };
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  return promise.then(
    () => 'ok',
    (error: unknown) => (isProteusError(error) ? error.code : String(error)),
  );
}

function expectNothingLeft(): void {
  expect(chi.liveResources()).toMatchObject({
    leases: [],
    servers: [],
    floatingIps: [],
    networks: [],
    subnets: [],
    routers: [],
  });
}

describe('Chameleon REST details', () => {
  it('throws PROTEUS_CHAMELEON_AMBIGUOUS_IMAGE when two images share the name, and boots nothing', async () => {
    await start({ images: ['CC-Ubuntu22.04', 'CC-Ubuntu22.04'] });
    expect(await codeOf(createChameleonTestbed(testbedOptions()).provision())).toBe(
      'PROTEUS_CHAMELEON_AMBIGUOUS_IMAGE',
    );
    expect(chi.serverRequests).toEqual([]);
    expectNothingLeft();
  });

  it('discovers the v3 endpoint when OS_AUTH_URL lacks /v3, and names the problem when nothing answers there', async () => {
    await start();
    const testbed = createChameleonTestbed(testbedOptions({}, chi.authUrl.replace(/\/v3$/, '')));
    await testbed.provision();
    expect(chi.requests).toContain('GET /identity');
    await testbed.release();
    const nowhere = createChameleonTestbed(testbedOptions({}, `${chi.url}/nothing-here`));
    expect(await codeOf(nowhere.provision())).toBe('PROTEUS_CHAMELEON_AUTH_URL_INVALID');
    expectNothingLeft();
  });

  it('reserves floating IPs through Blazar where the site requires it, and gives them back with the lease', async () => {
    await start({ requireFloatingIpReservation: true });
    const allocate = createChameleonTestbed(testbedOptions());
    expect(await codeOf(allocate.provision())).toBe('PROTEUS_CHAMELEON_HTTP_STATUS');
    expectNothingLeft();

    const testbed = createChameleonTestbed({
      ...testbedOptions({ floatingIps: 'reserve' }),
      stateFile: join(dir.path, 'b.json'),
    });
    await testbed.provision();
    const reservations = chi.leaseRequests.at(-1)?.reservations as Array<Record<string, unknown>>;
    expect(reservations[1]).toEqual({ resource_type: 'virtual:floatingip', network_id: 'net-public', amount: 2 });
    expect(chi.floatingIps).toHaveLength(2);
    expect(chi.floatingIps.every((f) => f.tags[0]?.startsWith('reservation:') && f.port_id)).toBe(true);
    await testbed.release();
    expectNothingLeft();
  });

  it('tries every port of a server when associating a floating IP (python-chi associate_floating_ip)', async () => {
    await start();
    chi.networks.push({ id: 'net-isolated', name: 'isolated', 'router:external': false });
    const redactor = createRedactor();
    const http = createHttpClient({ scope: { prefix: 'CHAMELEON', where: 'test' }, rng: createRng(1), redactor });
    const api = createChameleonApi(
      createKeystoneSession({ authUrl: chi.authUrl, credentialId: ID, credentialSecret: SECRET, http, redactor }),
      http,
    );
    const serverId = await api.createServer({
      name: 'two-nics',
      imageId: 'img-0',
      flavorId: 'flavor-bm',
      networks: [{ networkId: 'net-isolated' }, { networkId: 'net-sharednet1' }],
      reservationId: 'resv-x',
    });
    const fip = await api.createFloatingIp('net-public', 'two-nics');
    await api.attachFloatingIp(fip.id, serverId);
    const routablePort = chi.ports.find((p) => p.device_id === serverId && p.network_id === 'net-sharednet1');
    expect(chi.floatingIps[0]?.port_id).toBe(routablePort?.id);
  });

  it('builds the Poseidon-X stitch (VLAN network, subnets, routers, routes) and tears it down in the documented order', async () => {
    await start({ nextSegmentationId: 3308 });
    const testbed = createChameleonTestbed(
      testbedOptions({
        stitch: {
          subnets: [
            {
              name: 'normal',
              cidr: '192.168.100.0/24',
              gateway: '192.168.100.1',
              routes: [{ destination: '192.168.104.0/24', nexthop: '192.168.100.250' }],
            },
            {
              name: 'anomalous',
              cidr: '192.168.101.0/24',
              gateway: '192.168.101.1',
              routes: [{ destination: '192.168.104.0/24', nexthop: '192.168.101.250' }],
            },
          ],
        },
      }),
    );
    await testbed.provision();
    const network = chi.leaseRequests[0]?.reservations as Array<Record<string, unknown>>;
    expect(network[1]).toEqual({
      resource_type: 'network',
      network_name: 'px-rest-stitch',
      network_description: '',
      resource_properties: JSON.stringify([
        'and',
        ['==', '$physical_network', 'physnet1'],
        ['==', '$stitch_provider', 'fabric'],
      ]),
      network_properties: '',
    });
    expect(await testbed.stitchVlan()).toBe(3308);
    expect(chi.subnets.map((s) => s.cidr)).toEqual(['192.168.100.0/24', '192.168.101.0/24']);
    expect(chi.routers.map((r) => [r.external_gateway_info?.network_id, r.subnets.length, r.routes.length])).toEqual([
      ['net-public', 1, 1],
      ['net-public', 1, 1],
    ]);
    const stitched = chi.networks.find((n) => n.name === 'px-rest-stitch');
    expect(chi.serverRequests.map((r) => (r.server as { networks: unknown }).networks)).toEqual([
      [
        { uuid: stitched?.id, fixed_ip: '192.168.100.10' },
        { uuid: stitched?.id, fixed_ip: '192.168.101.10' },
      ],
      [
        { uuid: stitched?.id, fixed_ip: '192.168.100.11' },
        { uuid: stitched?.id, fixed_ip: '192.168.101.11' },
      ],
    ]);

    chi.mutations.length = 0;
    await testbed.release();
    const order = chi.mutations.map(
      (m) => m.split(' ').slice(0, 2).join(' ') + (m.includes('_') ? ` ${m.split(' ').at(-1)}` : ''),
    );
    const first = (what: string) => order.findIndex((m) => m.startsWith(what));
    const last = (what: string) => order.length - 1 - [...order].reverse().findIndex((m) => m.startsWith(what));
    expect(last('DELETE server')).toBeLessThan(first('PUT router remove_extraroutes'));
    expect(last('PUT router remove_extraroutes')).toBeLessThan(first('PUT router remove_router_interface'));
    expect(last('PUT router remove_router_interface')).toBeLessThan(first('DELETE router'));
    expect(last('DELETE router')).toBeLessThan(first('DELETE subnet'));
    expect(last('DELETE subnet')).toBeLessThan(first('DELETE network'));
    expect(last('DELETE network')).toBeLessThan(first('DELETE lease'));
    expectNothingLeft();
  });

  it('stitchVlan() reserves the lease before provision (the FABRIC slice needs the VLAN first); provision reuses it', async () => {
    await start({ nextSegmentationId: 3411 });
    const testbed = createChameleonTestbed(
      testbedOptions({ stitch: { subnets: [{ name: 'normal', cidr: '192.168.100.0/24' }] } }),
    );
    expect(await testbed.stitchVlan()).toBe(3411);
    expect(chi.servers).toEqual([]);
    await testbed.provision();
    expect(chi.leaseRequests).toHaveLength(1);
    expect(await testbed.stitchVlan()).toBe(3411);
    await testbed.release();
    expectNothingLeft();
    const plain = createChameleonTestbed({ ...testbedOptions(), stateFile: join(dir.path, 'plain.json') });
    expect(await plain.stitchVlan()).toBeUndefined();
  });

  it('throws PROTEUS_CHAMELEON_INVALID_OPTIONS for a poll of 0, -1 or NaN and timers past 2^31-1 ms', async () => {
    await start();
    for (const [name, value] of [
      ['pollIntervalMs', 0],
      ['pollIntervalMs', -1],
      ['pollIntervalMs', Number.NaN],
      ['requestTimeoutMs', 2 ** 31],
      ['workflowTimeoutMs', Number.POSITIVE_INFINITY],
    ] as const) {
      expect(() => createChameleonTestbed({ ...testbedOptions(), [name]: value }), `${name}=${value}`).toThrow(
        expect.objectContaining({ code: 'PROTEUS_CHAMELEON_INVALID_OPTIONS' }),
      );
    }
  });
});
