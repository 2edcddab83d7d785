import { join } from 'node:path';
import { isProteusError } from '@proteus-wf/core';
import { buildSshArgs } from '@proteus-wf/injector';
import { createTempDir, type FakeFabric, startFakeFabric } from '@proteus-wf/test-utils';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createFabricTestbed, type FabricTestbedOptions, parseFabricTopology } from '../src/index.js';
import { createRecordingRunnerFactory } from './helpers.js';

// FABRIC REST and SSH details checked against fabrictestbed 0dd1305 and fabrictestbed-extensions (issue 13 item 13).
const REFRESH = 'refresh-rest-details-0000';
const topology = parseFabricTopology({
  name: 'px-stitch',
  fabric: {
    site: 'STAR',
    nodes: [
      { name: 'submit', nics: [{ name: 'nic1', model: 'NIC_Basic' }] },
      { name: 'router1', role: 'router', nics: [{ name: 'cx5', model: 'NIC_ConnectX_5' }] },
    ],
    facilityPorts: [{ name: 'Chameleon-StarLight', site: 'STAR', vlan: 1 }],
    networks: [
      { name: 'chameleon', type: 'L2STS', interfaces: ['router1-cx5-p1', 'router1-cx5-p2', 'Chameleon-StarLight'] },
    ],
  },
});

let fabric: FakeFabric;
let dir: { path: string; dispose: () => Promise<void> };
beforeEach(async () => {
  fabric = await startFakeFabric({ refreshToken: REFRESH, configuringPolls: 1 });
  dir = await createTempDir('proteus-fabric-rest-');
});
afterEach(async () => {
  await fabric.close();
  await dir.dispose();
});

function options(overrides: Partial<FabricTestbedOptions> = {}): FabricTestbedOptions {
  return {
    topology,
    credentials: {
      tokenFile: join(dir.path, 'tokens.json'),
      refreshToken: REFRESH,
      sshPublicKeys: ['ssh-ed25519 AAAAC3Nza rest@proteus'],
      sshPrivateKeyFile: '/keys/slice_key',
      bastionKeyFile: '/keys/bastion_key',
      bastionUser: 'alice_0001',
    },
    credmgrUrl: fabric.credmgrUrl,
    orchestratorUrl: fabric.orchestratorUrl,
    stateFile: join(dir.path, 'state.json'),
    deploy: false,
    retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 2 },
    pollIntervalMs: 1,
    sliceTimeoutMs: 5_000,
    requestTimeoutMs: 2_000,
    ...overrides,
  };
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  return promise.then(
    () => 'ok',
    (error: unknown) => (isProteusError(error) ? error.code : String(error)),
  );
}

describe('FABRIC REST details', () => {
  it('puts the Chameleon segmentation id on the facility port (facilityPortVlans) and rejects an unknown port', async () => {
    const testbed = createFabricTestbed(options({ facilityPortVlans: { 'Chameleon-StarLight': 3308 } }));
    await testbed.provision();
    expect(fabric.slices[0]?.graphml).toContain('{&quot;vlan&quot;:&quot;3308&quot;}');
    await testbed.release();
    expect(() => createFabricTestbed(options({ facilityPortVlans: { 'Chameleon-TACC': 3308 } }))).toThrow(
      expect.objectContaining({ code: 'PROTEUS_FABRIC_INVALID_OPTIONS' }),
    );
  });

  it('reaches the VMs through the bastion with its own key (ProxyCommand ssh -i bastion key -W), as fablib does', async () => {
    const recorded = createRecordingRunnerFactory({ workers: [] });
    const testbed = createFabricTestbed(options({ runnerFactory: recorded.factory }));
    await testbed.provision();
    await testbed.runnerFor('submit').run('true', []);
    const target = recorded.commands[0]?.target;
    expect(target).toMatchObject({
      proxyJump: 'alice_0001@bastion.fabric-testbed.net',
      proxyIdentityFile: '/keys/bastion_key',
      identityFile: '/keys/slice_key',
    });
    const args = buildSshArgs(target as NonNullable<typeof target>, 'true', []);
    expect(args).not.toContain('-J');
    expect(args.join(' ')).toContain(
      'ProxyCommand=ssh -i /keys/bastion_key -o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=accept-new',
    );
    expect(args.join(' ')).toContain('-W %h:%p alice_0001@bastion.fabric-testbed.net');
    await testbed.release();
  });

  it('fails with the sliver notices on AllocatedError, and reports AllocatedOK (future start) without spinning', async () => {
    fabric.options.outcome = 'AllocatedError';
    expect(await codeOf(createFabricTestbed(options()).provision())).toBe('PROTEUS_FABRIC_SLICE_FAILED');
    expect(fabric.liveSlices()).toHaveLength(0);
    fabric.options.outcome = 'AllocatedOK';
    const testbed = createFabricTestbed(options({ stateFile: join(dir.path, 'b.json') }));
    expect(await codeOf(testbed.provision())).toBe('PROTEUS_FABRIC_SLICE_NOT_STARTED');
  });

  it('throws PROTEUS_FABRIC_INVALID_OPTIONS for a poll of 0, -1 or NaN and timers past 2^31-1 ms', async () => {
    for (const [name, value] of [
      ['pollIntervalMs', 0],
      ['pollIntervalMs', -1],
      ['pollIntervalMs', Number.NaN],
      ['requestTimeoutMs', 2 ** 31],
      ['workflowTimeoutMs', Number.POSITIVE_INFINITY],
    ] as const) {
      expect(() => createFabricTestbed(options({ [name]: value })), `${name}=${value}`).toThrow(
        expect.objectContaining({ code: 'PROTEUS_FABRIC_INVALID_OPTIONS' }),
      );
    }
  });
});
