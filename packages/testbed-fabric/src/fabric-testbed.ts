import { dirname, join } from 'node:path';
import {
  type CommandRunner,
  createHttpClient,
  createRedactor,
  createRng,
  createTestbedLifecycle,
  DEFAULT_RETRY,
  type Deployment,
  type ErrorScope,
  type LongOperationOptions,
  ProteusError,
  type ResourceTracker,
  type RetryPolicy,
  reportProgress,
  type Testbed,
  throwIfAborted,
} from '@proteus-wf/core';
import {
  createSshRunner,
  forgetHostKeys,
  type PoolNode,
  type PoolPlanInput,
  planPoolDeployment,
  runDeploymentPlan,
  type SshRunnerFactory,
} from '@proteus-wf/injector';
import { createPoolWorkflowRunner } from '@proteus-wf/pegasus';
import { createFabricTokenStore } from './fabric-token-store.js';
import { createOrchestratorClient, type OrchestratorClient, type SliverInfo } from './orchestrator-client.js';
import { buildFabricRequestGraph } from './request-graph.js';
import { assignFabricRoles, defaultUserOf, type FabricNodeSpec, type FabricTopology } from './topology.js';

/** Defaults of the optional {@link FabricTestbedOptions} fields of the same names (durations in ms). */
export const FABRIC_DEFAULTS = {
  credmgrUrl: 'https://cm.fabric-testbed.net/credmgr',
  orchestratorUrl: 'https://orchestrator.fabric-testbed.net',
  bastionHost: 'bastion.fabric-testbed.net',
  pollIntervalMs: 10_000,
  sliceTimeoutMs: 30 * 60_000,
  requestTimeoutMs: 60_000,
  stabilizeTimeoutMs: 120_000,
  stabilizePollMs: 20_000,
  workflowPollIntervalMs: 15_000,
  workflowTimeoutMs: 12 * 60 * 60_000,
  remoteRunsDir: 'proteus/runs',
} as const;

const SCOPE: ErrorScope = { prefix: 'FABRIC', where: 'testbed-fabric' };

/** A FABRIC refresh token (and where it rotates), the slice SSH keys and the bastion account. */
export interface FabricCredentials {
  /** The rotating refresh token lives here (FABlib's `~/.tokens.json`). */
  tokenFile: string;
  /** Used when the token file does not exist yet (`FABRIC_REFRESH_TOKEN`). */
  refreshToken?: string;
  /** The FABRIC project the ID token is scoped to (`project_id`); the credential manager's default when absent. */
  projectId?: string;
  /** Public keys installed on every VM (the slice key). */
  sshPublicKeys: string[];
  /** Private slice key for SSH to the VMs. */
  sshPrivateKeyFile?: string;
  /** `FABRIC_BASTION_USERNAME`. */
  bastionUser: string;
  /**
   * `FABRIC_BASTION_KEY_LOCATION`: the bastion's own private key. The bastion only accepts this key, so the hop runs
   * as `ProxyCommand=ssh -i <bastion key> -W %h:%p <user>@<bastion>` (as fablib connects), the slice key then
   * authenticates to the VM. Without it, `ssh -J` offers the slice key to the bastion, which refuses it.
   */
  bastionKeyFile?: string;
}

/** Options of {@link createFabricTestbed}; every duration is in ms and defaults to {@link FABRIC_DEFAULTS}. */
export interface FabricTestbedOptions {
  /** The slice to create: site, nodes, NICs, networks, lifetime in hours. */
  topology: FabricTopology;
  credentials: FabricCredentials;
  /** Credential manager base URL (default `https://cm.fabric-testbed.net/credmgr`). */
  credmgrUrl?: string;
  /** Orchestrator base URL (default `https://orchestrator.fabric-testbed.net`). */
  orchestratorUrl?: string;
  /** The SSH bastion every VM is reached through (default `bastion.fabric-testbed.net`). */
  bastionHost?: string;
  /**
   * VLANs of facility ports known only at run time, by port name: Poseidon-X's `Chameleon-StarLight` port carries the
   * segmentation id of the Chameleon stitch network (`ChameleonTestbed.stitchVlan()`); overrides the topology's `vlan`.
   */
  facilityPortVlans?: Record<string, number>;
  /** Tracked resources, for `status` and `release` from another process; written with mode 0600, no secrets. */
  stateFile?: string;
  /** The known_hosts this testbed manages; beside the state file (or the token file) when absent. */
  knownHostsFile?: string;
  /** HTCondor pool password; required when `deploy` is true. */
  poolPassword?: string;
  /** Run the pool deployment after the slice is up (default true). */
  deploy?: boolean;
  /** Builds each node's runner; `createSshRunner` of `@proteus-wf/injector` when absent. */
  runnerFactory?: SshRunnerFactory;
  /** Seeds the retry jitter of API requests and the request graph's node ids (default: derived from the clock). */
  seed?: number;
  /** Retries of failed idempotent API requests (default `DEFAULT_RETRY` of `@proteus-wf/core`). */
  retry?: RetryPolicy;
  /** Pause between polls of the slice state (default 10 s). */
  pollIntervalMs?: number;
  /** How long the slice may take to reach StableOK (default 30 min). */
  sliceTimeoutMs?: number;
  /** Deadline of one API request (default 60 s). */
  requestTimeoutMs?: number;
  /** How long the workers may take to join the HTCondor pool after deployment; 0 skips the wait (default 2 min). */
  stabilizeTimeoutMs?: number;
  /** Pause between two `condor_status` checks while waiting for the pool (default 20 s). */
  stabilizePollMs?: number;
  /** Pause between two status polls of a running workflow (default 15 s). */
  workflowPollIntervalMs?: number;
  /** How long one workflow run may take (default 12 h). */
  workflowTimeoutMs?: number;
  /** Folder on the submit node, relative to the login home, with one subfolder per run (default `proteus/runs`). */
  remoteRunsDir?: string;
}

/** A FABRIC slice as a Proteus testbed. */
export interface FabricTestbed extends Testbed {
  /** Renew the slice so it ends at `endDate`. */
  renew(endDate: Date, options?: LongOperationOptions): Promise<void>;
  /** Slice and sliver states of the tracked slice (no slice: `undefined`). */
  status(options?: LongOperationOptions): Promise<FabricStatus | undefined>;
}

/** The live state of the tracked slice and its slivers, as `FabricTestbed.status` reads it from the orchestrator. */
export interface FabricStatus {
  sliceId: string;
  name: string;
  /** The orchestrator's slice state, e.g. `StableOK`, `StableError`, `Closing`. */
  state: string;
  /** When the slice expires, as the orchestrator writes it (`lease_end_time`). */
  leaseEndTime?: string;
  slivers: SliverInfo[];
}

/**
 * Creates the FABRIC testbed: `provision` creates (or finds by name) the slice of the topology, waits for StableOK,
 * records the management IPs, and deploys the HTCondor/Pegasus pool over SSH through the bastion.
 * @example
 * await using testbed = createFabricTestbed({ topology, credentials, poolPassword, stateFile: '.proteus/fabric.json' });
 * const deployment = await testbed.provision({ signal });
 * @throws ProteusError PROTEUS_FABRIC_SLICE_FAILED, PROTEUS_FABRIC_SLICE_TIMEOUT, PROTEUS_FABRIC_TOKEN_REJECTED,
 * PROTEUS_FABRIC_DEPLOY_FAILED, PROTEUS_FABRIC_UNKNOWN_WORKER, PROTEUS_FABRIC_NOT_PROVISIONED
 */
export function createFabricTestbed(options: FabricTestbedOptions): FabricTestbed {
  validateNumbers(options);
  const topology = withFacilityPortVlans(options.topology, options.facilityPortVlans);
  const redactor = createRedactor();
  redactor.add(options.credentials.refreshToken);
  redactor.add(options.poolPassword);
  const rng = createRng(options.seed ?? Date.now() % 2 ** 31);
  const http = createHttpClient({
    scope: SCOPE,
    rng: rng.fork(),
    redactor,
    retry: options.retry ?? DEFAULT_RETRY,
    timeoutMs: options.requestTimeoutMs ?? FABRIC_DEFAULTS.requestTimeoutMs,
  });
  const tokens = createFabricTokenStore({
    credmgrUrl: options.credmgrUrl ?? FABRIC_DEFAULTS.credmgrUrl,
    tokenFile: options.credentials.tokenFile,
    ...(options.credentials.refreshToken ? { refreshToken: options.credentials.refreshToken } : {}),
    ...(options.credentials.projectId ? { projectId: options.credentials.projectId } : {}),
    http,
    redactor,
  });
  const orchestrator: OrchestratorClient = createOrchestratorClient({
    url: options.orchestratorUrl ?? FABRIC_DEFAULTS.orchestratorUrl,
    tokens,
    http,
  });
  const knownHostsFile =
    options.knownHostsFile ?? join(dirname(options.stateFile ?? options.credentials.tokenFile), 'fabric_known_hosts');
  const runnerFactory = options.runnerFactory ?? createSshRunner;
  const bastion = `${options.credentials.bastionUser}@${options.bastionHost ?? FABRIC_DEFAULTS.bastionHost}`;
  const roles = assignFabricRoles(topology);
  const runners = new Map<string, CommandRunner>();
  const addresses = (t: ResourceTracker): Map<string, string> =>
    new Map(t.list('node').map((r) => [r.name ?? r.id, r.data?.mgmtIp ?? '']));

  const runnerFor = (name: string): CommandRunner => {
    const existing = runners.get(name);
    if (existing) return existing;
    const node = topology.fabric.nodes.find((n) => n.name === name);
    const tracker = lifecycle.openTracker();
    const host = tracker ? addresses(tracker).get(name) : undefined;
    if (!node || !host) {
      throw new ProteusError(
        'PROTEUS_FABRIC_UNKNOWN_WORKER',
        `testbed-fabric/runnerFor: no provisioned node "${name}" (nodes: ${topology.fabric.nodes.map((n) => n.name).join(', ')}). ` +
          'Call provision() first.',
      );
    }
    const runner = runnerFactory({
      host,
      user: defaultUserOf(node),
      proxyJump: bastion,
      ...(options.credentials.bastionKeyFile ? { proxyIdentityFile: options.credentials.bastionKeyFile } : {}),
      ...(options.credentials.sshPrivateKeyFile ? { identityFile: options.credentials.sshPrivateKeyFile } : {}),
      knownHostsFile,
      strictHostKeyChecking: 'accept-new',
    });
    runners.set(name, runner);
    return runner;
  };

  const releaseAll = async (t: ResourceTracker): Promise<void> => {
    const problems: unknown[] = [];
    const hosts = t
      .list('node')
      .map((r) => r.data?.mgmtIp)
      .filter((ip): ip is string => !!ip);
    for (const slice of t.list('slice')) {
      try {
        await orchestrator.deleteSlice(slice.id);
        await t.remove('slice', slice.id);
      } catch (error) {
        problems.push(error);
      }
    }
    if (problems.length === 0) {
      for (const node of t.list('node')) await t.remove('node', node.id);
      await forgetHostKeys(knownHostsFile, hosts);
      runners.clear();
      await t.setDeployment(undefined);
      return;
    }
    throw new ProteusError(
      'PROTEUS_FABRIC_RELEASE_FAILED',
      redactor.redact(
        `testbed-fabric/release: ${problems.length} slice(s) could not be deleted (${problems.map((p) => (p as Error).message).join('; ')}). ` +
          `They stay in ${options.stateFile ?? 'memory'}; run release again.`,
      ),
      { details: { remaining: t.list('slice') } },
    );
  };

  const lifecycle = createTestbedLifecycle({
    scope: SCOPE,
    testbed: 'fabric',
    name: topology.name,
    stateFile: options.stateFile,
    redactor,
    releaseAll,
  });

  const provisionOnce = async (run: LongOperationOptions): Promise<Deployment> => {
    const t = await lifecycle.tracker();
    if (t.state.deployment && t.list('slice').length > 0) return t.state.deployment;
    const where = 'testbed-fabric/provision';
    if (options.deploy !== false && !options.poolPassword) {
      throw new ProteusError(
        'PROTEUS_FABRIC_NO_POOL_PASSWORD',
        `${where}: deploying the HTCondor pool needs { poolPassword } (PROTEUS_POOL_PASSWORD in the CLI).`,
      );
    }
    throwIfAborted(run.signal, where);
    reportProgress(run.onProgress, { phase: 'slice', ratio: 0, message: 'looking up slice' });
    let sliceId = t.list('slice')[0]?.id;
    if (!sliceId) {
      // Never create blindly: a slice of this name may exist from an earlier, interrupted run.
      const existing = await orchestrator.findSlices(topology.name, run.signal);
      sliceId = existing[0]?.sliceId;
      if (!sliceId) {
        const graphml = buildFabricRequestGraph(topology, { seed: rng.int(0, 2 ** 31 - 1) });
        try {
          sliceId = await orchestrator.createSlice({
            name: topology.name,
            graphml,
            sshKeys: options.credentials.sshPublicKeys,
            lifetimeHours: topology.fabric.hours,
            signal: run.signal,
          });
        } catch (error) {
          // The create may have landed before the connection dropped: look it up before giving up.
          const landed = await orchestrator.findSlices(topology.name).catch(() => []);
          if (!landed[0]) throw error;
          sliceId = landed[0].sliceId;
        }
      }
      await t.add({ kind: 'slice', id: sliceId, name: topology.name });
    }
    const settled = await orchestrator.waitForSlice(sliceId, {
      pollIntervalMs: options.pollIntervalMs ?? FABRIC_DEFAULTS.pollIntervalMs,
      timeoutMs: options.sliceTimeoutMs ?? FABRIC_DEFAULTS.sliceTimeoutMs,
      ...(run.signal ? { signal: run.signal } : {}),
      ...(run.onProgress ? { onProgress: run.onProgress } : {}),
    });
    if (settled.state === 'AllocatedOK') {
      throw new ProteusError(
        'PROTEUS_FABRIC_SLICE_NOT_STARTED',
        `${where}: slice "${topology.name}" (${sliceId}) is AllocatedOK: reserved for a lease that has not started ` +
          `(lease start ${settled.leaseStartTime ?? 'unknown'}). Proteus needs running VMs: the slice is deleted; provision when the resources are free now.`,
        { details: { sliceId, state: settled.state } },
      );
    }
    const slivers = await orchestrator.getSlivers(sliceId, run.signal);
    for (const node of topology.fabric.nodes) {
      const sliver = slivers.find((s) => s.name === node.name && s.mgmtIp);
      if (!sliver?.mgmtIp) {
        throw new ProteusError(
          'PROTEUS_FABRIC_SLICE_FAILED',
          `${where}: node "${node.name}" of slice ${sliceId} has no management IP; check the slice on the FABRIC portal.`,
          { details: { sliceId, node: node.name } },
        );
      }
      await t.add({ kind: 'node', id: sliver.sliverId, name: node.name, data: { mgmtIp: sliver.mgmtIp } });
    }
    // Fresh VMs on reused addresses: drop stale keys, the first contact records the new ones (accept-new).
    await forgetHostKeys(knownHostsFile, [...addresses(t).values()]);
    const ips = addresses(t);
    const poolNode = (node: FabricNodeSpec): PoolNode => ({
      name: node.name,
      address: node.address ?? ips.get(node.name) ?? node.name,
      cores: node.cores,
      memoryMb: node.ram * 1024,
    });
    const poolInput: PoolPlanInput = {
      submit: poolNode(roles.submit),
      ...(roles.data ? { data: poolNode(roles.data) } : {}),
      workers: roles.workers.map(poolNode),
      runsDir: options.remoteRunsDir ?? FABRIC_DEFAULTS.remoteRunsDir,
    };
    if (options.deploy !== false) {
      await runDeploymentPlan(planPoolDeployment(poolInput), poolInput, {
        scope: SCOPE,
        redactor,
        runnerFor,
        poolPassword: options.poolPassword as string,
        stabilizeTimeoutMs: options.stabilizeTimeoutMs ?? FABRIC_DEFAULTS.stabilizeTimeoutMs,
        stabilizePollMs: options.stabilizePollMs ?? FABRIC_DEFAULTS.stabilizePollMs,
        ...(run.signal ? { signal: run.signal } : {}),
        ...(run.onProgress ? { onProgress: run.onProgress } : {}),
      });
    }
    const target = (node: FabricNodeSpec): string => `ssh:${defaultUserOf(node)}@${ips.get(node.name)}`;
    const deployment: Deployment = {
      testbed: 'fabric',
      workers: roles.workers.map((node) => ({
        name: node.name,
        cores: node.cores,
        memoryMb: node.ram * 1024,
        site: node.site ?? topology.fabric.site,
        target: target(node),
      })),
      submitNode: { name: roles.submit.name, target: target(roles.submit) },
      resources: t.list().map(({ kind, id, name }) => (name ? { kind, id, name } : { kind, id })),
    };
    await t.setDeployment(deployment);
    reportProgress(run.onProgress, { phase: 'provision', ratio: 1, message: 'ready' });
    return deployment;
  };

  const testbed: FabricTestbed = {
    name: 'fabric',
    provision: (run = {}) => lifecycle.provision(() => provisionOnce(run)),
    runnerFor,
    supportsPlacement: false,
    runWorkflow: createPoolWorkflowRunner({
      scope: SCOPE,
      redactor,
      lifecycle,
      runnerFor,
      remoteRunsDir: options.remoteRunsDir ?? FABRIC_DEFAULTS.remoteRunsDir,
      pollIntervalMs: options.workflowPollIntervalMs ?? FABRIC_DEFAULTS.workflowPollIntervalMs,
      timeoutMs: options.workflowTimeoutMs ?? FABRIC_DEFAULTS.workflowTimeoutMs,
    }),
    release: lifecycle.release,
    async renew(endDate, run = {}) {
      const t = await lifecycle.tracker();
      const slice = t.list('slice')[0];
      if (!slice)
        throw new ProteusError(
          'PROTEUS_FABRIC_NOT_PROVISIONED',
          'testbed-fabric/renew: no slice is tracked; provision first.',
        );
      await lifecycle.guard(() => orchestrator.renewSlice(slice.id, endDate, run.signal));
    },
    async status(run = {}) {
      const t = await lifecycle.tracker();
      const slice = t.list('slice')[0];
      if (!slice) return undefined;
      return lifecycle.guard(async () => {
        const info = await orchestrator.getSlice(slice.id, run.signal);
        const slivers = await orchestrator.getSlivers(slice.id, run.signal);
        return { ...info, slivers };
      });
    },
    async [Symbol.asyncDispose]() {
      await testbed.release();
    },
  };
  return testbed;
}

/** The topology with the run-time VLANs of its facility ports. */
function withFacilityPortVlans(topology: FabricTopology, vlans: Record<string, number> | undefined): FabricTopology {
  if (!vlans) return topology;
  const problems: string[] = [];
  for (const [name, vlan] of Object.entries(vlans)) {
    if (!topology.fabric.facilityPorts.some((p) => p.name === name)) problems.push(`no facility port "${name}"`);
    if (!Number.isInteger(vlan) || vlan < 1 || vlan > 4094) problems.push(`VLAN ${vlan} of "${name}" is not 1-4094`);
  }
  if (problems.length > 0) {
    throw new ProteusError(
      'PROTEUS_FABRIC_INVALID_OPTIONS',
      `testbed-fabric/createFabricTestbed: facilityPortVlans: ${problems.join('; ')} (facility ports: ` +
        `${topology.fabric.facilityPorts.map((p) => p.name).join(', ') || 'none'}).`,
      { details: { problems } },
    );
  }
  return {
    ...topology,
    fabric: {
      ...topology.fabric,
      facilityPorts: topology.fabric.facilityPorts.map((p) =>
        vlans[p.name] === undefined ? p : { ...p, vlan: vlans[p.name] as number },
      ),
    },
  };
}

/** Bounds of the numeric options: timers fit `setTimeout` (2^31-1 ms) and a poll of 0 would busy-poll the API. */
const NUMBER_BOUNDS: Record<string, readonly [number, number]> = {
  pollIntervalMs: [1, 600_000],
  sliceTimeoutMs: [1, 7 * 24 * 3_600_000],
  requestTimeoutMs: [1, 600_000],
  stabilizeTimeoutMs: [0, 7 * 24 * 3_600_000],
  stabilizePollMs: [1, 600_000],
  workflowPollIntervalMs: [1, 600_000],
  workflowTimeoutMs: [1, 7 * 24 * 3_600_000],
};

function validateNumbers(options: object): void {
  const problems: string[] = [];
  for (const [name, [min, max]] of Object.entries(NUMBER_BOUNDS)) {
    const value = (options as Record<string, unknown>)[name];
    if (value === undefined) continue;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      problems.push(`${name} must be an integer from ${min} to ${max} (got ${String(value)})`);
    }
  }
  if (problems.length > 0) {
    throw new ProteusError(
      'PROTEUS_FABRIC_INVALID_OPTIONS',
      `testbed-fabric/createFabricTestbed: ${problems.join('; ')}.`,
      { details: { problems } },
    );
  }
}
