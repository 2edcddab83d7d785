import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { type CommandRunner, isProteusError } from '@proteus-wf/core';
import type { SshRunnerFactory, SshRunnerOptions } from '@proteus-wf/injector';
import { createTempDir, type FakeChameleon, startFakeChameleon } from '@proteus-wf/test-utils';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type ChameleonTestbedOptions,
  createChameleonTestbed,
  parseChameleonTopology,
  waitForTcp,
} from '../src/index.js';

const CREDENTIAL_ID = 'app-cred-1234';
const SECRET = 'app-secret-9a8b7c6d5e4f';
const POOL_PASSWORD = 'pool-password-0a1b2c3d';
const topology = parseChameleonTopology({
  name: 'px-chi',
  chameleon: { site: 'CHI@UC', nodeType: 'compute_cascadelake_r', count: 3, image: 'CC-Ubuntu22.04', hours: 6 },
});

let chi: FakeChameleon;
let sshd: Server;
let sshPort: number;
let dir: { path: string; dispose: () => Promise<void> };
const errors: unknown[] = [];

/** Records commands for the bare-metal hosts the fake "boots" (they cannot be reached from tests). */
function recordingFactory(
  workers: string[],
  failOn?: RegExp,
): { factory: SshRunnerFactory; commands: Array<{ target: SshRunnerOptions; line: string; input?: string }> } {
  const commands: Array<{ target: SshRunnerOptions; line: string; input?: string }> = [];
  const factory: SshRunnerFactory = (target) => ({
    target: `ssh:${target.user}@${target.host}`,
    async run(file, args, options = {}) {
      const line = [file, ...args].join(' ');
      commands.push({ target, line, ...(options.input ? { input: options.input } : {}) });
      if (failOn?.test(line)) return { exitCode: 1, stdout: '', stderr: 'step failed', durationMs: 1 };
      const stdout = file === 'condor_status' ? workers.map((w) => `${w} Idle`).join('\n') : '';
      return { exitCode: 0, stdout, stderr: '', durationMs: 1 };
    },
  });
  return { factory, commands };
}

beforeEach(async () => {
  chi = await startFakeChameleon({ applicationCredentialId: CREDENTIAL_ID, applicationCredentialSecret: SECRET });
  sshd = createServer((socket) => socket.end());
  await new Promise<void>((resolve) => sshd.listen(0, '127.0.0.1', resolve));
  sshPort = (sshd.address() as AddressInfo).port;
  dir = await createTempDir('proteus-chi-');
});
afterEach(async () => {
  await chi.close();
  await new Promise((resolve) => sshd.close(resolve));
  await dir.dispose();
});

function options(overrides: Partial<ChameleonTestbedOptions> = {}): ChameleonTestbedOptions {
  return {
    topology,
    credentials: { authUrl: chi.authUrl, applicationCredentialId: CREDENTIAL_ID, applicationCredentialSecret: SECRET },
    stateFile: join(dir.path, 'state.json'),
    poolPassword: POOL_PASSWORD,
    runnerFactory: recordingFactory(['px-chi-1', 'px-chi-2']).factory,
    seed: 3,
    retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 5 },
    pollIntervalMs: 1,
    leaseTimeoutMs: 2_000,
    serverTimeoutMs: 2_000,
    sshTimeoutMs: 500,
    sshPollMs: 10,
    sshPort,
    requestTimeoutMs: 2_000,
    stabilizePollMs: 1,
    stabilizeTimeoutMs: 500,
    ...overrides,
  };
}

async function expectFailure(promise: Promise<unknown>, code: string): Promise<Error> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  errors.push(error);
  expect(isProteusError(error), String(error)).toBe(true);
  expect((error as { code: string }).code).toBe(code);
  return error as Error;
}

function expectNothingLeft(): void {
  const live = chi.liveResources();
  expect(live.leases).toEqual([]);
  expect(live.servers).toEqual([]);
  expect(live.floatingIps).toEqual([]);
}

describe('createChameleonTestbed', () => {
  it('leases hosts, boots servers with the reservation hint, attaches floating IPs, deploys and releases everything', async () => {
    const recorded = recordingFactory(['px-chi-1', 'px-chi-2']);
    const testbed = createChameleonTestbed(options({ runnerFactory: recorded.factory }));
    const deployment = await testbed.provision();

    const lease = chi.leases[0];
    expect(lease?.status).toBe('ACTIVE');
    expect(JSON.parse(lease?.reservations[0]?.resource_properties ?? '')).toEqual([
      '==',
      '$node_type',
      'compute_cascadelake_r',
    ]);
    expect(chi.serverRequests).toHaveLength(3);
    for (const request of chi.serverRequests) {
      expect(request['os:scheduler_hints']).toEqual({ reservation: lease?.reservations[0]?.id });
      expect(request.server).toMatchObject({
        flavorRef: 'flavor-bm',
        imageRef: 'img-0',
        networks: [{ uuid: 'net-sharednet1' }],
      });
    }
    expect(chi.floatingIps.every((f) => chi.ports.some((p) => p.id === f.port_id))).toBe(true);
    // Blazar's own "now", not a client clock rounded to the minute (python-chi's now + 1 min workaround).
    expect(chi.leaseRequests[0]?.start_date).toBe('now');
    expect(deployment.submitNode).toEqual({ name: 'px-chi-0', target: 'ssh:cc@127.0.0.1' });
    expect(deployment.workers.map((w) => w.name)).toEqual(['px-chi-1', 'px-chi-2']);
    expect(deployment.workers[0]).toMatchObject({ cores: 48, memoryMb: 192 * 1024, site: 'CHI@UC' });
    expect(recorded.commands.some((c) => c.line.includes('--execute 127.0.0.1'))).toBe(true);
    expect(
      recorded.commands.every(
        (c) => c.target.strictHostKeyChecking === 'accept-new' && c.target.proxyJump === undefined,
      ),
    ).toBe(true);
    expect(recorded.commands.filter((c) => c.input === POOL_PASSWORD)).toHaveLength(3);

    const state = await readFile(join(dir.path, 'state.json'), 'utf8');
    expect(JSON.parse(state).resources).toHaveLength(7);
    expect(state).not.toContain(SECRET);

    const status = await testbed.status();
    expect(status?.lease.status).toBe('ACTIVE');
    expect(status?.servers.map((s) => s.status)).toEqual(['ACTIVE', 'ACTIVE', 'ACTIVE']);

    await testbed.extend(new Date(Date.UTC(2030, 4, 6, 7, 8)));
    expect(chi.leases[0]?.end_date).toBe('2030-05-06 07:08');

    await testbed.release();
    expectNothingLeft();
    expect(JSON.parse(await readFile(join(dir.path, 'state.json'), 'utf8')).resources).toEqual([]);
  });

  it('refuses a job placement with PROTEUS_CHAMELEON_PLACEMENT_UNSUPPORTED before it touches the testbed', async () => {
    const testbed = createChameleonTestbed(options());
    expect(testbed.supportsPlacement).toBe(false);
    const placement = { jobs: ['individuals_ID0000001'], enter: async () => {}, leave: async () => {} };
    await expectFailure(
      testbed.runWorkflow('workflow.yml', { runId: 'run0001', workDir: 'work', placement }),
      'PROTEUS_CHAMELEON_PLACEMENT_UNSUPPORTED',
    );
  });

  it('throws PROTEUS_CHAMELEON_NO_HOSTS for 409 "not enough hosts available" and creates nothing', async () => {
    chi.options.hosts.compute_cascadelake_r = 2;
    const error = await expectFailure(createChameleonTestbed(options()).provision(), 'PROTEUS_CHAMELEON_NO_HOSTS');
    expect(error.message).toContain('compute_cascadelake_r');
    expect(chi.requests.filter((r) => r === 'POST /reservation/v1/leases')).toHaveLength(1);
    expectNothingLeft();
  });

  it('throws PROTEUS_CHAMELEON_SERVER_FAILED with the Nova fault and releases servers and lease', async () => {
    chi.options.serverOutcome = 'ERROR';
    const error = await expectFailure(createChameleonTestbed(options()).provision(), 'PROTEUS_CHAMELEON_SERVER_FAILED');
    expect(error.message).toContain('Failure prepping block device');
    expectNothingLeft();
  });

  it('throws PROTEUS_CHAMELEON_LEASE_FAILED when the lease ends in ERROR', async () => {
    chi.options.leaseOutcome = 'ERROR';
    await expectFailure(createChameleonTestbed(options()).provision(), 'PROTEUS_CHAMELEON_LEASE_FAILED');
    expectNothingLeft();
  });

  it('re-authenticates when the Keystone token expires, and before expires_at', async () => {
    chi.options.tokenLifetimeMs = 60 * 60_000;
    const testbed = createChameleonTestbed(options({ deploy: false }));
    await testbed.provision();
    chi.expireTokens();
    expect((await testbed.status())?.lease.status).toBe('ACTIVE');
    expect(chi.authentications).toBe(2);
    await testbed.release();
    expectNothingLeft();

    // Tokens that expire within the refresh margin are renewed before use, without a 401.
    chi.options.tokenLifetimeMs = 1_000;
    const short = createChameleonTestbed(options({ deploy: false, stateFile: join(dir.path, 'short.json') }));
    const before = chi.authentications;
    await short.provision();
    expect(chi.authentications - before).toBeGreaterThan(2);
    expect(chi.requests.filter((r) => r.startsWith('GET')).length).toBeGreaterThan(0);
    await short.release();
    expectNothingLeft();
  });

  it('throws PROTEUS_CHAMELEON_AUTH_FAILED for a wrong application credential', async () => {
    const opts = options();
    opts.credentials = { ...opts.credentials, applicationCredentialSecret: 'wrong-secret-123' };
    await expectFailure(createChameleonTestbed(opts).provision(), 'PROTEUS_CHAMELEON_AUTH_FAILED');
    expectNothingLeft();
  });

  it('retries GETs on 502/503 and never repeats a server create that got a 500', async () => {
    chi.inject({ method: 'GET', path: /^\/reservation\/v1\/leases\//, status: 503, times: 2 });
    chi.inject({ method: 'POST', path: /^\/compute\/v2\.1\/servers$/, status: 500, times: 1 });
    await expectFailure(createChameleonTestbed(options()).provision(), 'PROTEUS_CHAMELEON_HTTP_STATUS');
    expect(chi.requests.filter((r) => r === 'POST /compute/v2.1/servers')).toHaveLength(1);
    expectNothingLeft();
  });

  it('finds by name a server whose create answer timed out, instead of booting a second one', async () => {
    chi.inject({ method: 'POST', path: /^\/compute\/v2\.1\/servers$/, delayMs: 300, process: true, times: 1 });
    const testbed = createChameleonTestbed(options({ deploy: false, requestTimeoutMs: 100 }));
    await testbed.provision();
    expect(chi.servers).toHaveLength(3);
    await testbed.release();
    expectNothingLeft();
  });

  it('throws PROTEUS_CHAMELEON_SSH_TIMEOUT when port 22 never opens, and releases everything', async () => {
    await new Promise((resolve) => sshd.close(resolve));
    await expectFailure(
      createChameleonTestbed(options({ sshTimeoutMs: 60 })).provision(),
      'PROTEUS_CHAMELEON_SSH_TIMEOUT',
    );
    expectNothingLeft();
    sshd = createServer();
    await new Promise<void>((resolve) => sshd.listen(0, '127.0.0.1', resolve));
  });

  it('releases everything when aborted while servers build', async () => {
    chi.options.buildPolls = 100_000;
    const controller = new AbortController();
    const provisioning = createChameleonTestbed(options({ pollIntervalMs: 5, serverTimeoutMs: 60_000 })).provision({
      signal: controller.signal,
    });
    // Abort once the servers exist and are building, like a SIGTERM in the middle of the long wait.
    while (chi.servers.length < 3) await new Promise((resolve) => setTimeout(resolve, 5));
    controller.abort(new Error('SIGTERM'));
    await expectFailure(provisioning, 'PROTEUS_CORE_ABORTED');
    expect(chi.servers).toHaveLength(3);
    expectNothingLeft();
  });

  it('joins an external central manager (the FABRIC submit node) and runs no submit steps itself', async () => {
    const recorded = recordingFactory(['px-chi-0', 'px-chi-1', 'px-chi-2']);
    const submitLines: string[] = [];
    const submitRunner: CommandRunner = {
      target: 'ssh:ubuntu@10.30.1.10',
      async run(file, args) {
        submitLines.push([file, ...args].join(' '));
        return { exitCode: 0, stdout: 'px-chi-0 Idle\npx-chi-1 Idle\npx-chi-2 Idle\n', stderr: '', durationMs: 1 };
      },
    };
    const testbed = createChameleonTestbed(
      options({
        runnerFactory: recorded.factory,
        centralManager: { name: 'submit', address: '192.168.104.100', runner: submitRunner },
      }),
    );
    const deployment = await testbed.provision();
    expect(deployment.workers).toHaveLength(3);
    expect(deployment.submitNode).toEqual({ name: 'submit', target: 'ssh:ubuntu@10.30.1.10' });
    expect(recorded.commands.some((c) => c.line.includes('--execute 192.168.104.100'))).toBe(true);
    expect(recorded.commands.some((c) => c.line.includes('--central-manager'))).toBe(false);
    expect(submitLines).toEqual(['condor_status -af UtsnameNodename Activity']);
    await testbed.release();
    expectNothingLeft();
  });

  it('never lets a secret reach an error message or details (redaction)', async () => {
    chi.inject({
      method: 'GET',
      path: /^\/image\/v2\/images$/,
      status: 400,
      body: { echo: `${SECRET} ${POOL_PASSWORD}` },
      times: 1,
    });
    await expectFailure(createChameleonTestbed(options()).provision(), 'PROTEUS_CHAMELEON_HTTP_STATUS');
    const secrets = [SECRET, POOL_PASSWORD, ...chi.issuedTokens];
    expect(errors.length).toBeGreaterThan(5);
    for (const error of errors) {
      const text = `${(error as Error).message}\n${JSON.stringify((error as { details?: unknown }).details ?? null)}\n${String((error as Error).cause ?? '')}`;
      for (const secret of secrets) expect(text).not.toContain(secret);
    }
  });
});

describe('waitForTcp', () => {
  it('resolves once a loopback listener accepts and throws PROTEUS_CHAMELEON_SSH_TIMEOUT otherwise', async () => {
    await waitForTcp('127.0.0.1', sshPort, { timeoutMs: 500, intervalMs: 10 });
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    await expectFailure(
      waitForTcp('127.0.0.1', port, { timeoutMs: 50, intervalMs: 10 }),
      'PROTEUS_CHAMELEON_SSH_TIMEOUT',
    );
  });
});
