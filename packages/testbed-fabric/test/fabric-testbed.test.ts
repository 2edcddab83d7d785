import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isProteusError } from '@proteus-wf/core';
import { createLocalRunner } from '@proteus-wf/injector';
import { createTempDir, type FakeFabric, repoRoot, startFakeFabric } from '@proteus-wf/test-utils';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createFabricTestbed, type FabricTestbedOptions, parseFabricTopology } from '../src/index.js';
import { createRecordingRunnerFactory } from './helpers.js';

/** The submit node is this machine: real child processes with stand-in Pegasus programs first on PATH. */
const submitNode = (bin: string) => createLocalRunner({ env: { PATH: `${bin}:${process.env.PATH}` } });

const REFRESH = 'refresh-secret-0f9e8d7c6b5a';
const POOL_PASSWORD = 'pool-password-5e4d3c2b1a';
const topology = parseFabricTopology({
  name: 'px-test',
  fabric: {
    site: 'STAR',
    nodes: [
      { name: 'submit', cores: 16, ram: 32, disk: 100, image: 'default_ubuntu_22' },
      { name: 'data', cores: 16, ram: 32, disk: 500, image: 'default_ubuntu_22' },
      { name: 'worker1', cores: 8, ram: 16, disk: 50, image: 'default_rocky_9' },
    ],
  },
});

let fabric: FakeFabric;
let dir: { path: string; dispose: () => Promise<void> };
const errors: unknown[] = [];

beforeEach(async () => {
  fabric = await startFakeFabric({ refreshToken: REFRESH });
  dir = await createTempDir('proteus-fabric-');
});
afterEach(async () => {
  await fabric.close();
  await dir.dispose();
});

function options(
  overrides: Partial<FabricTestbedOptions> = {},
): FabricTestbedOptions & { recorded: ReturnType<typeof createRecordingRunnerFactory> } {
  const recorded = createRecordingRunnerFactory({ workers: ['worker1'] });
  return {
    topology,
    credentials: {
      tokenFile: join(dir.path, 'tokens.json'),
      refreshToken: REFRESH,
      projectId: 'proj-1',
      sshPublicKeys: ['ssh-ed25519 AAAAC3Nza test@proteus'],
      bastionUser: 'alice_0001',
    },
    credmgrUrl: fabric.credmgrUrl,
    orchestratorUrl: fabric.orchestratorUrl,
    stateFile: join(dir.path, 'state.json'),
    poolPassword: POOL_PASSWORD,
    runnerFactory: recorded.factory,
    seed: 7,
    retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 5 },
    pollIntervalMs: 1,
    sliceTimeoutMs: 5_000,
    requestTimeoutMs: 2_000,
    stabilizePollMs: 1,
    stabilizeTimeoutMs: 1_000,
    recorded,
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

describe('createFabricTestbed', () => {
  it('provisions a slice, persists the rotated refresh token (0600) first, deploys the pool and releases everything', async () => {
    const opts = options();
    const testbed = createFabricTestbed(opts);
    const progress: number[] = [];
    const deployment = await testbed.provision({ onProgress: (e) => progress.push(e.ratio) });

    expect(fabric.liveSlices()).toHaveLength(1);
    const tokenFile = JSON.parse(await readFile(opts.credentials.tokenFile, 'utf8'));
    expect(tokenFile.refresh_token).toBe(fabric.currentRefreshToken());
    expect(tokenFile.refresh_token).not.toBe(REFRESH);
    expect((await stat(opts.credentials.tokenFile)).mode & 0o777).toBe(0o600);

    expect(deployment.workers.map((w) => w.name)).toEqual(['worker1']);
    expect(deployment.workers[0]).toMatchObject({ cores: 8, memoryMb: 16 * 1024, site: 'STAR' });
    expect(deployment.workers[0]?.target).toMatch(/^ssh:rocky@10\.30\.1\.\d+$/);
    expect(deployment.submitNode?.name).toBe('submit');
    expect(deployment.resources.filter((r) => r.kind === 'slice')).toHaveLength(1);
    expect(progress.every((r) => r >= 0 && r <= 1)).toBe(true);

    const { commands } = opts.recorded;
    expect(commands.length).toBeGreaterThan(10);
    expect(commands.every((c) => c.target.proxyJump === 'alice_0001@bastion.fabric-testbed.net')).toBe(true);
    expect(commands.every((c) => c.target.strictHostKeyChecking === 'accept-new')).toBe(true);
    expect(new Set(commands.map((c) => c.target.knownHostsFile))).toEqual(
      new Set([join(dir.path, 'fabric_known_hosts')]),
    );
    const install = commands.find((c) => c.args.includes('--central-manager'));
    expect(install?.input).toBe(POOL_PASSWORD);
    expect(commands.some((c) => c.args.join(' ').includes(POOL_PASSWORD))).toBe(false);

    const state = JSON.parse(await readFile(opts.stateFile as string, 'utf8'));
    expect(state.resources.some((r: { kind: string }) => r.kind === 'slice')).toBe(true);
    expect(JSON.stringify(state)).not.toContain(REFRESH);

    expect(await testbed.provision()).toEqual(deployment);
    expect(fabric.slices).toHaveLength(1);

    await testbed.release();
    expect(fabric.liveSlices()).toHaveLength(0);
    expect(JSON.parse(await readFile(opts.stateFile as string, 'utf8')).resources).toEqual([]);
    await testbed.release();
  });

  it('refuses a job placement with PROTEUS_FABRIC_PLACEMENT_UNSUPPORTED before it touches the testbed', async () => {
    const testbed = createFabricTestbed(options());
    expect(testbed.supportsPlacement).toBe(false);
    const placement = { jobs: ['individuals_ID0000001'], enter: async () => {}, leave: async () => {} };
    await expectFailure(
      testbed.runWorkflow('workflow.yml', { runId: 'run0001', workDir: 'work', placement }),
      'PROTEUS_FABRIC_PLACEMENT_UNSUPPORTED',
    );
  });

  it('throws PROTEUS_FABRIC_SLICE_FAILED with the root-cause notice on StableError and deletes the slice', async () => {
    fabric.options.outcome = 'StableError';
    const error = await expectFailure(createFabricTestbed(options()).provision(), 'PROTEUS_FABRIC_SLICE_FAILED');
    expect(error.message).toContain('Insufficient resources');
    expect(error.message).not.toContain('Closing reservation due to failure');
    expect(fabric.liveSlices()).toHaveLength(0);
  });

  it('refreshes once and continues when the ID token expires mid-run', async () => {
    const testbed = createFabricTestbed(options({ deploy: false }));
    const provisioning = testbed.provision();
    await new Promise((resolve) => setTimeout(resolve, 5));
    fabric.expireIdTokens();
    await provisioning;
    expect(fabric.refreshes).toBeGreaterThanOrEqual(1);
    fabric.expireIdTokens();
    const status = await testbed.status();
    expect(status?.state).toBe('StableOK');
    expect(fabric.refreshes).toBeGreaterThanOrEqual(2);
    await testbed.release();
    expect(fabric.liveSlices()).toHaveLength(0);
  });

  it('throws PROTEUS_FABRIC_TOKEN_REJECTED for a refresh token the credential manager does not know', async () => {
    const opts = options();
    opts.credentials.refreshToken = 'refresh-stale-0000';
    await expectFailure(createFabricTestbed(opts).provision(), 'PROTEUS_FABRIC_TOKEN_REJECTED');
    expect(fabric.slices).toHaveLength(0);
  });

  it('reuses the persisted ID token on the next run, and refreshes with the persisted rotated token once it is refused', async () => {
    const first = createFabricTestbed(options({ deploy: false, stateFile: join(dir.path, 'a.json') }));
    await first.provision();
    await first.release();
    const second = createFabricTestbed(options({ deploy: false, stateFile: join(dir.path, 'b.json') }));
    await second.provision();
    expect(fabric.refreshes).toBe(1);
    fabric.expireIdTokens();
    // The environment's refresh token was retired by the first refresh: only the file's rotated one works.
    await second.release();
    expect(fabric.refreshes).toBe(2);
    expect(fabric.liveSlices()).toHaveLength(0);
  });

  it('retries idempotent calls on 503 and 429 with backoff', async () => {
    fabric.inject({ method: 'GET', path: /^\/orchestrator\/slices$/, status: 503, times: 2 });
    fabric.inject({ method: 'GET', path: /^\/orchestrator\/slivers$/, status: 429, times: 1 });
    const testbed = createFabricTestbed(options({ deploy: false }));
    await testbed.provision();
    expect(fabric.requests.filter((r) => r === 'GET /orchestrator/slices').length).toBeGreaterThanOrEqual(3);
    await testbed.release();
  });

  it('never repeats a create blindly: a 500 on create fails after one attempt and a name lookup', async () => {
    fabric.inject({ method: 'POST', path: /slices\/creates/, status: 500, times: 5 });
    const error = await expectFailure(createFabricTestbed(options()).provision(), 'PROTEUS_FABRIC_HTTP_STATUS');
    expect((error as { details?: { status?: number } }).details?.status).toBe(500);
    expect(fabric.requests.filter((r) => r.includes('creates'))).toHaveLength(1);
    expect(fabric.liveSlices()).toHaveLength(0);
  });

  it('finds by name a create whose answer timed out, instead of creating a second slice', async () => {
    fabric.inject({ method: 'POST', path: /slices\/creates/, delayMs: 400, process: true, times: 1 });
    const testbed = createFabricTestbed(options({ deploy: false, requestTimeoutMs: 100 }));
    await testbed.provision();
    expect(fabric.slices).toHaveLength(1);
    await testbed.release();
    expect(fabric.liveSlices()).toHaveLength(0);
  });

  it('reuses a slice of the same name left by an interrupted run', async () => {
    const first = createFabricTestbed(options({ deploy: false, stateFile: join(dir.path, 'a.json') }));
    await first.provision();
    const second = createFabricTestbed(options({ deploy: false, stateFile: join(dir.path, 'b.json') }));
    await second.provision();
    expect(fabric.slices).toHaveLength(1);
    await second.release();
    expect(fabric.liveSlices()).toHaveLength(0);
  });

  it('throws PROTEUS_FABRIC_SLICE_TIMEOUT and deletes the slice when it never stabilises', async () => {
    fabric.options.configuringPolls = 10_000;
    await expectFailure(
      createFabricTestbed(options({ sliceTimeoutMs: 50 })).provision(),
      'PROTEUS_FABRIC_SLICE_TIMEOUT',
    );
    expect(fabric.liveSlices()).toHaveLength(0);
  });

  it('throws PROTEUS_FABRIC_HTTP_TIMEOUT when the orchestrator hangs, and leaves nothing behind', async () => {
    fabric.inject({ method: 'GET', path: /^\/orchestrator\/slivers$/, delayMs: 300, times: 10 });
    await expectFailure(
      createFabricTestbed(options({ requestTimeoutMs: 50 })).provision(),
      'PROTEUS_FABRIC_HTTP_TIMEOUT',
    );
    expect(fabric.liveSlices()).toHaveLength(0);
  });

  it('releases the slice when aborted while waiting', async () => {
    fabric.options.configuringPolls = 10_000;
    const controller = new AbortController();
    const provisioning = createFabricTestbed(options({ pollIntervalMs: 5 })).provision({ signal: controller.signal });
    while (fabric.slices.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    controller.abort(new Error('SIGINT'));
    await expectFailure(provisioning, 'PROTEUS_CORE_ABORTED');
    expect(fabric.slices).toHaveLength(1);
    expect(fabric.liveSlices()).toHaveLength(0);
  });

  it('throws PROTEUS_FABRIC_DEPLOY_FAILED naming the step, and deletes the slice', async () => {
    const recorded = createRecordingRunnerFactory({ workers: ['worker1'], failOn: /stress-ng/ });
    const error = await expectFailure(
      createFabricTestbed(options({ runnerFactory: recorded.factory })).provision(),
      'PROTEUS_FABRIC_DEPLOY_FAILED',
    );
    expect(error.message).toContain('worker1:install-injector-backends');
    expect(fabric.liveSlices()).toHaveLength(0);
  });

  it('throws PROTEUS_FABRIC_POOL_UNSTABLE when a worker never joins the pool', async () => {
    const recorded = createRecordingRunnerFactory({ workers: [] });
    await expectFailure(
      createFabricTestbed(options({ runnerFactory: recorded.factory })).provision(),
      'PROTEUS_FABRIC_POOL_UNSTABLE',
    );
    expect(fabric.liveSlices()).toHaveLength(0);
  });

  it('renews the slice to the requested end date', async () => {
    const testbed = createFabricTestbed(options({ deploy: false }));
    await testbed.provision();
    await testbed.renew(new Date(Date.UTC(2031, 0, 2, 3, 4, 5)));
    expect(fabric.liveSlices()[0]?.leaseEndTime).toBe('2031-01-02 03:04:05 +0000');
    await testbed.release();
  });

  it('runs a workflow on the submit node: pegasus-plan --submit, polls jobstate.log, parses the job records', async () => {
    // The stand-in pegasus-plan lays out workflow-graph's fixture submit folder, then "finishes" DAGMan.
    const local = submitNode(join(repoRoot, 'packages/pegasus/test/fixtures/pegasus-bin'));
    const workflow = join(dir.path, 'diamond.yml');
    await writeFile(workflow, 'pegasus: "5.0"\nname: diamond\njobs: []\n');
    const testbed = createFabricTestbed(
      options({
        deploy: false,
        runnerFactory: () => local,
        remoteRunsDir: join(dir.path, 'remote'),
        workflowPollIntervalMs: 20,
      }),
    );
    await testbed.provision();
    const result = await testbed.runWorkflow(workflow, { runId: 'run-7', workDir: join(dir.path, 'work') });
    expect(result).toMatchObject({ runId: 'run-7', workflow: 'diamond', succeeded: true });
    // The job records themselves are checked where they are built: pegasus's runPegasusWorkflow tests.
    expect(result.jobs.map((j) => j.job).sort()).toEqual([
      'create_dir_diamond_0_local',
      'findrange_ID0000002',
      'findrange_ID0000003',
      'merge_analyze_ID0000004',
      'preprocess_ID0000001',
    ]);
    expect(await readFile(join(dir.path, 'work/submit/jobstate.log'), 'utf8')).toContain('DAGMAN_FINISHED');
    expect(await readFile(join(dir.path, 'remote/run-7/workflow.yml'), 'utf8')).toContain('name: diamond');
    await testbed.release();
  });

  it('throws PROTEUS_FABRIC_WORKFLOW_TIMEOUT and removes the run when DAGMan never finishes', async () => {
    const workflow = join(dir.path, 'w.yml');
    await writeFile(workflow, 'name: w\n');
    const local = submitNode(join(repoRoot, 'packages/pegasus/test/fixtures/pegasus-bin-stuck'));
    const testbed = createFabricTestbed(
      options({
        deploy: false,
        runnerFactory: () => local,
        remoteRunsDir: join(dir.path, 'remote'),
        workflowPollIntervalMs: 10,
        workflowTimeoutMs: 60,
      }),
    );
    await testbed.provision();
    await expectFailure(
      testbed.runWorkflow(workflow, { runId: 'r1', workDir: dir.path }),
      'PROTEUS_FABRIC_WORKFLOW_TIMEOUT',
    );
    // pegasus-remove got the run's submit folder.
    expect(await readFile(join(dir.path, 'remote/r1/submit/run/REMOVED'), 'utf8')).toBe('removed\n');
    await testbed.release();
  });

  it('never lets a secret reach an error message or details (redaction)', async () => {
    // Make the fake echo a secret in an error body: the client must mask it.
    fabric.inject({
      method: 'GET',
      path: /^\/orchestrator\/slices$/,
      status: 400,
      body: { echo: POOL_PASSWORD, refresh: REFRESH },
      times: 1,
    });
    await expectFailure(createFabricTestbed(options()).provision(), 'PROTEUS_FABRIC_HTTP_STATUS');
    const secrets = [REFRESH, POOL_PASSWORD, ...fabric.issuedTokens, fabric.currentRefreshToken()];
    expect(errors.length).toBeGreaterThan(5);
    for (const error of errors) {
      const text = `${(error as Error).message}\n${JSON.stringify((error as { details?: unknown }).details ?? null)}\n${String((error as Error).cause ?? '')}`;
      for (const secret of secrets) expect(text).not.toContain(secret);
    }
  });
});
