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
import {
  type ChameleonApi,
  createChameleonApi,
  type ExtraRoute,
  type LeaseInfo,
  type WaitOptions,
} from './chameleon-api.js';
import { createKeystoneSession } from './keystone-session.js';
import { type ChameleonTopology, serverNamesOf } from './topology.js';
import { waitForTcp } from './wait-for-tcp.js';

/** Defaults of the optional {@link ChameleonTestbedOptions} fields of the same names (durations in ms). */
export const CHAMELEON_DEFAULTS = {
  pollIntervalMs: 10_000,
  leaseTimeoutMs: 15 * 60_000,
  serverTimeoutMs: 30 * 60_000,
  sshTimeoutMs: 20 * 60_000,
  sshPollMs: 5_000,
  requestTimeoutMs: 60_000,
  stabilizeTimeoutMs: 120_000,
  stabilizePollMs: 20_000,
  workflowPollIntervalMs: 15_000,
  workflowTimeoutMs: 12 * 60 * 60_000,
  remoteRunsDir: 'proteus/runs',
  sshPort: 22,
} as const;

const SCOPE: ErrorScope = { prefix: 'CHAMELEON', where: 'testbed-chameleon' };

/** An OpenStack application credential of the Chameleon site, plus the SSH key that reaches the servers. */
export interface ChameleonCredentials {
  /** `OS_AUTH_URL`. */
  authUrl: string;
  /** `OS_APPLICATION_CREDENTIAL_ID`. */
  applicationCredentialId: string;
  /** `OS_APPLICATION_CREDENTIAL_SECRET`. */
  applicationCredentialSecret: string;
  /** Private key matching the topology's `keyName`. */
  sshPrivateKeyFile?: string;
}

/** Options of {@link createChameleonTestbed}; every duration is in ms and defaults to {@link CHAMELEON_DEFAULTS}. */
export interface ChameleonTestbedOptions {
  /** What to reserve and boot: site, node type, count, image, network, hours, user. */
  topology: ChameleonTopology;
  credentials: ChameleonCredentials;
  /** Catalog region; the topology's `chameleon.site` when absent. */
  region?: string;
  /**
   * JSON file (mode 0600) recording every lease, server and floating IP, so a later process can resume or release
   * them; in memory only when absent.
   */
  stateFile?: string;
  /** Servers' host keys (trusted on first contact); default `chameleon_known_hosts` beside `stateFile` or in cwd. */
  knownHostsFile?: string;
  /** HTCondor pool password; required unless `deploy` is `false`. */
  poolPassword?: string;
  /** Deploy the HTCondor pool on the servers after they boot (default `true`). */
  deploy?: boolean;
  /**
   * Join an existing HTCondor pool (Poseidon-X: the FABRIC submit node) instead of making server 0 the submit node.
   * `runner` runs pegasus-plan there.
   */
  centralManager?: { name: string; address: string; runner: CommandRunner };
  /** Builds each node's runner; `createSshRunner` of `@proteus-wf/injector` when absent. */
  runnerFactory?: SshRunnerFactory;
  /** Seeds the retry jitter of API requests (default: derived from the clock). */
  seed?: number;
  /** Retries of failed idempotent API requests (default `DEFAULT_RETRY` of `@proteus-wf/core`). */
  retry?: RetryPolicy;
  /** Pause between polls of a lease or server state (default 10 s). */
  pollIntervalMs?: number;
  /** How long the lease may take to become ACTIVE (default 15 min). */
  leaseTimeoutMs?: number;
  /** How long each server may take to become ACTIVE, or to disappear on release (default 30 min). */
  serverTimeoutMs?: number;
  /** How long the servers' SSH port may take to accept connections (default 20 min). */
  sshTimeoutMs?: number;
  /** Pause between two SSH port probes (default 5 s). */
  sshPollMs?: number;
  /** Port probed for readiness (22; tests use a loopback listener). */
  sshPort?: number;
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
  /** The clock the lease end is computed from (the lease itself starts `"now"`, Blazar's own clock). */
  now?: () => Date;
}

/** A Chameleon lease of bare-metal nodes as a Proteus testbed. */
export interface ChameleonTestbed extends Testbed {
  /** Move the lease end to `endDate` (Blazar PUT). */
  extend(endDate: Date, options?: LongOperationOptions): Promise<void>;
  /**
   * The VLAN (`provider:segmentation_id`) of the reserved stitch network: the `vlan` of the FABRIC facility port
   * (`createFabricTestbed({ facilityPortVlans })`). Reserves the lease first when `provision` has not (Poseidon-X
   * needs the VLAN for the FABRIC slice before the workers join its pool); `undefined` without `chameleon.stitch`.
   */
  stitchVlan(options?: LongOperationOptions): Promise<number | undefined>;
  status(options?: LongOperationOptions): Promise<ChameleonStatus | undefined>;
}

/** The live state of a tracked lease and its servers, as `ChameleonTestbed.status` reads it from Blazar and Nova. */
export interface ChameleonStatus {
  /** The Blazar lease; `status` is Blazar's (e.g. `ACTIVE`), or `DELETED` when it no longer exists. */
  lease: { id: string; name: string; status: string; endDate?: string };
  /** Every tracked server with Nova's status (`DELETED` when gone), its floating IP and any fault message. */
  servers: Array<{ name: string; id: string; status: string; address?: string; fault?: string }>;
}

/**
 * Creates the Chameleon testbed: `provision` reserves `count` hosts of `nodeType` with a Blazar lease, boots
 * them with Nova (reservation scheduler hint), attaches floating IPs, waits for SSH, then deploys the pool.
 * Everything created is tracked and released on abort or error.
 * @example
 * await using testbed = createChameleonTestbed({ topology, credentials, poolPassword, stateFile: '.proteus/chi.json' });
 * const deployment = await testbed.provision({ signal });
 * @throws ProteusError PROTEUS_CHAMELEON_NO_HOSTS, PROTEUS_CHAMELEON_LEASE_FAILED, PROTEUS_CHAMELEON_SERVER_FAILED,
 * PROTEUS_CHAMELEON_AUTH_FAILED, PROTEUS_CHAMELEON_SSH_TIMEOUT, PROTEUS_CHAMELEON_DEPLOY_FAILED
 */
export function createChameleonTestbed(options: ChameleonTestbedOptions): ChameleonTestbed {
  validateNumbers(options);
  const { topology } = options;
  const spec = topology.chameleon;
  const redactor = createRedactor();
  redactor.add(options.credentials.applicationCredentialSecret);
  redactor.add(options.poolPassword);
  const rng = createRng(options.seed ?? Date.now() % 2 ** 31);
  const http = createHttpClient({
    scope: SCOPE,
    rng: rng.fork(),
    redactor,
    retry: options.retry ?? DEFAULT_RETRY,
    timeoutMs: options.requestTimeoutMs ?? CHAMELEON_DEFAULTS.requestTimeoutMs,
  });
  const session = createKeystoneSession({
    authUrl: options.credentials.authUrl,
    credentialId: options.credentials.applicationCredentialId,
    credentialSecret: options.credentials.applicationCredentialSecret,
    region: options.region ?? spec.site,
    http,
    redactor,
  });
  const api: ChameleonApi = createChameleonApi(session, http);
  const knownHostsFile =
    options.knownHostsFile ?? join(dirname(options.stateFile ?? join(process.cwd(), 'x')), 'chameleon_known_hosts');
  const runnerFactory = options.runnerFactory ?? createSshRunner;
  const names = serverNamesOf(topology);
  const runners = new Map<string, CommandRunner>();
  const wait = (timeoutMs: number, run: LongOperationOptions): WaitOptions => ({
    pollIntervalMs: options.pollIntervalMs ?? CHAMELEON_DEFAULTS.pollIntervalMs,
    timeoutMs,
    ...(run.signal ? { signal: run.signal } : {}),
    ...(run.onProgress ? { onProgress: run.onProgress } : {}),
  });
  const addressOf = (name: string): string | undefined =>
    lifecycle
      .openTracker()
      ?.list('floating-ip')
      .find((r) => r.data?.server === name)?.data?.address;

  const runnerFor = (name: string): CommandRunner => {
    if (options.centralManager && name === options.centralManager.name) return options.centralManager.runner;
    const existing = runners.get(name);
    if (existing) return existing;
    const host = addressOf(name);
    if (!host) {
      throw new ProteusError(
        'PROTEUS_CHAMELEON_UNKNOWN_WORKER',
        `testbed-chameleon/runnerFor: no provisioned server "${name}" (servers: ${names.join(', ')}). Call provision() first.`,
      );
    }
    const runner = runnerFactory({
      host,
      user: spec.user,
      ...(options.credentials.sshPrivateKeyFile ? { identityFile: options.credentials.sshPrivateKeyFile } : {}),
      knownHostsFile,
      strictHostKeyChecking: 'accept-new',
    });
    runners.set(name, runner);
    return runner;
  };

  const releaseAll = async (t: ResourceTracker): Promise<void> => {
    const problems: string[] = [];
    const attempt = async (work: () => Promise<void>): Promise<void> => {
      try {
        await work();
      } catch (error) {
        problems.push((error as Error).message);
      }
    };
    const hosts = t
      .list('floating-ip')
      .map((r) => r.data?.address)
      .filter((a): a is string => !!a);
    // Teardown order of Poseidon-X (cells 66-74): addresses and servers, then routes, router interfaces, routers,
    // subnets and the network, and the lease (which holds the hosts, reserved addresses and the VLAN) last.
    for (const fip of t.list('floating-ip')) {
      await attempt(async () => {
        if (fip.data?.reserved === 'true') await api.detachFloatingIp(fip.id);
        else await api.deleteFloatingIp(fip.id);
        await t.remove('floating-ip', fip.id);
      });
    }
    for (const server of t.list('server')) await attempt(() => api.deleteServer(server.id));
    for (const server of t.list('server')) {
      await attempt(async () => {
        await api.waitForServerGone(server.id, wait(options.serverTimeoutMs ?? CHAMELEON_DEFAULTS.serverTimeoutMs, {}));
        await t.remove('server', server.id);
      });
    }
    for (const routes of t.list('router-routes')) {
      await attempt(async () => {
        await api.removeExtraRoutes(routes.id, JSON.parse(routes.data?.routes ?? '[]') as ExtraRoute[]);
        await t.remove('router-routes', routes.id);
      });
    }
    for (const link of t.list('router-interface')) {
      await attempt(async () => {
        await api.removeRouterInterface(link.data?.router ?? '', link.data?.subnet ?? '');
        await t.remove('router-interface', link.id);
      });
    }
    for (const kind of ['router', 'subnet', 'network'] as const) {
      const remove = { router: api.deleteRouter, subnet: api.deleteSubnet, network: api.deleteNetwork }[kind];
      for (const resource of t.list(kind)) {
        await attempt(async () => {
          await remove(resource.id);
          await t.remove(kind, resource.id);
        });
      }
    }
    for (const lease of t.list('lease')) {
      await attempt(async () => {
        await api.deleteLease(lease.id);
        await t.remove('lease', lease.id);
      });
    }
    await forgetHostKeys(knownHostsFile, hosts);
    runners.clear();
    if (problems.length > 0) {
      throw new ProteusError(
        'PROTEUS_CHAMELEON_RELEASE_FAILED',
        redactor.redact(
          `testbed-chameleon/release: ${problems.length} resource(s) could not be released (${problems.join('; ')}). ` +
            `They stay in ${options.stateFile ?? 'memory'}; run release again.`,
        ),
        { details: { remaining: t.list() } },
      );
    }
    await t.setDeployment(undefined);
  };

  const lifecycle = createTestbedLifecycle({
    scope: SCOPE,
    testbed: 'chameleon',
    name: topology.name,
    stateFile: options.stateFile,
    redactor,
    releaseAll,
  });

  const stitchNetworkName = spec.stitch?.network ?? `${topology.name}-stitch`;

  /**
   * Poseidon-X's Chameleon side of the stitch (cells 12-24): on the reserved VLAN network, one subnet per entry, each
   * with its own router to the public network, the subnet's interface and its extra routes. Returns each server's
   * NICs: one per subnet, at host .10+i.
   */
  const buildStitch = async (
    t: ResourceTracker,
    network: { id: string; segmentationId?: number },
    externalNetworkId: string,
    run: LongOperationOptions,
  ): Promise<(index: number) => Array<{ networkId: string; fixedIp: string }>> => {
    const stitch = spec.stitch as NonNullable<typeof spec.stitch>;
    if (!t.list('network').some((n) => n.id === network.id)) {
      await t.add({
        kind: 'network',
        id: network.id,
        name: stitchNetworkName,
        data: { segmentationId: String(network.segmentationId ?? '') },
      });
    }
    for (const subnet of stitch.subnets) {
      const name = `${topology.name}-${subnet.name}`;
      let subnetId = t.list('subnet').find((r) => r.name === name)?.id;
      if (!subnetId) {
        subnetId =
          (await api.findSubnet(name, network.id, run.signal)) ??
          (await api.createSubnet(
            { name, networkId: network.id, cidr: subnet.cidr, ...(subnet.gateway ? { gateway: subnet.gateway } : {}) },
            run.signal,
          ));
        await t.add({ kind: 'subnet', id: subnetId, name });
      }
      const routerName = `${name}-router`;
      let routerId = t.list('router').find((r) => r.name === routerName)?.id;
      if (!routerId) {
        routerId =
          (await api.findRouter(routerName, run.signal)) ??
          (await api.createRouter(routerName, externalNetworkId, run.signal));
        await t.add({ kind: 'router', id: routerId, name: routerName });
      }
      const link = `${routerId}:${subnetId}`;
      if (!t.list('router-interface').some((r) => r.id === link)) {
        await api.addRouterInterface(routerId, subnetId, run.signal);
        await t.add({ kind: 'router-interface', id: link, data: { router: routerId, subnet: subnetId } });
      }
      if (subnet.routes.length > 0 && !t.list('router-routes').some((r) => r.id === routerId)) {
        await api.addExtraRoutes(routerId, subnet.routes, run.signal);
        await t.add({ kind: 'router-routes', id: routerId, data: { routes: JSON.stringify(subnet.routes) } });
      }
    }
    return (index) =>
      stitch.subnets.map((subnet) => ({
        networkId: network.id,
        fixedIp: hostAddress(subnet.cidr, 10 + index),
      }));
  };

  /** Finds (by name) or creates the lease and waits for it to be ACTIVE; never creates a second one. */
  const ensureLease = async (
    t: ResourceTracker,
    run: LongOperationOptions,
  ): Promise<LeaseInfo & { hostReservationId: string }> => {
    const where = 'testbed-chameleon/provision';
    throwIfAborted(run.signal, where);
    reportProgress(run.onProgress, { phase: 'lease', ratio: 0, message: 'looking up lease' });

    let leaseId = t.list('lease')[0]?.id;
    if (!leaseId) {
      const existing = await api.findLeases(topology.name, run.signal);
      if (existing.length > 1) {
        throw new ProteusError(
          'PROTEUS_CHAMELEON_AMBIGUOUS_LEASE',
          `${where}: ${existing.length} leases are named "${topology.name}" (${existing.map((l) => l.id).join(', ')}). ` +
            'Delete the extra ones or rename the topology.',
        );
      }
      leaseId = existing[0]?.id;
      if (!leaseId) {
        const end = new Date((options.now?.() ?? new Date()).getTime() + spec.hours * 3_600_000);
        const external =
          spec.floatingIps === 'reserve' ? await api.findNetwork(spec.externalNetwork, run.signal) : undefined;
        try {
          leaseId = (
            await api.createLease({
              name: topology.name,
              nodeType: spec.nodeType,
              count: spec.count,
              // Blazar's "now": no client clock skew and no rounding to the minute ("lease in the past").
              start: 'now',
              end,
              extras: {
                ...(external ? { floatingIps: { externalNetworkId: external.id, amount: spec.count } } : {}),
                ...(spec.stitch
                  ? {
                      network: {
                        name: stitchNetworkName,
                        physicalNetwork: spec.stitch.physicalNetwork,
                        stitchProvider: 'fabric' as const,
                      },
                    }
                  : {}),
              },
              signal: run.signal,
            })
          ).id;
        } catch (error) {
          // The create may have landed before the answer was lost: look it up before giving up.
          const landed = await api.findLeases(topology.name).catch(() => []);
          if (!landed[0]) throw error;
          leaseId = landed[0].id;
        }
      }
      await t.add({ kind: 'lease', id: leaseId, name: topology.name });
    }
    const lease = await api.waitForLease(
      leaseId,
      wait(options.leaseTimeoutMs ?? CHAMELEON_DEFAULTS.leaseTimeoutMs, run),
    );
    if (!lease.hostReservationId) {
      throw new ProteusError(
        'PROTEUS_CHAMELEON_LEASE_FAILED',
        `${where}: lease ${leaseId} has no physical:host reservation.`,
      );
    }
    return lease as LeaseInfo & { hostReservationId: string };
  };

  const provisionOnce = async (run: LongOperationOptions): Promise<Deployment> => {
    const t = await lifecycle.tracker();
    if (t.state.deployment && t.list('lease').length > 0) return t.state.deployment;
    const where = 'testbed-chameleon/provision';
    if (options.deploy !== false && !options.poolPassword) {
      throw new ProteusError(
        'PROTEUS_CHAMELEON_NO_POOL_PASSWORD',
        `${where}: deploying the HTCondor pool needs { poolPassword } (PROTEUS_POOL_PASSWORD in the CLI).`,
      );
    }
    const lease = await ensureLease(t, run);
    reportProgress(run.onProgress, { phase: 'lease', ratio: 1, message: 'ACTIVE' });

    const [imageId, flavorId, network, external] = await Promise.all([
      api.findImage(spec.image, run.signal),
      api.findFlavor(spec.flavor, run.signal),
      api.findNetwork(spec.stitch ? stitchNetworkName : spec.network, run.signal),
      api.findNetwork(spec.externalNetwork, run.signal),
    ]);
    const nics = spec.stitch ? await buildStitch(t, network, external.id, run) : () => [{ networkId: network.id }];
    for (const [index, name] of names.entries()) {
      if (t.list('server').some((s) => s.name === name)) continue;
      throwIfAborted(run.signal, where);
      let serverId = (await api.findServers(name, run.signal))[0]?.id;
      if (!serverId) {
        try {
          serverId = await api.createServer({
            name,
            imageId,
            flavorId,
            networks: nics(index),
            reservationId: lease.hostReservationId,
            ...(spec.keyName ? { keyName: spec.keyName } : {}),
            signal: run.signal,
          });
        } catch (error) {
          const landed = await api.findServers(name).catch(() => []);
          if (!landed[0]) throw error;
          serverId = landed[0].id;
        }
      }
      await t.add({ kind: 'server', id: serverId, name });
    }
    for (const server of t.list('server')) {
      await api.waitForServer(server.id, wait(options.serverTimeoutMs ?? CHAMELEON_DEFAULTS.serverTimeoutMs, run));
    }
    const reserved = lease.floatingIpReservationId
      ? await api.findReservedFloatingIps(lease.floatingIpReservationId, run.signal)
      : undefined;
    for (const server of t.list('server')) {
      if (t.list('floating-ip').some((f) => f.data?.server === server.name)) continue;
      const description = `proteus:${topology.name}:${server.name}`;
      let fip: { id: string; address: string } | undefined;
      if (reserved) {
        fip = reserved.find((f) => !f.portId && !t.list('floating-ip').some((r) => r.id === f.id));
        if (!fip) {
          throw new ProteusError(
            'PROTEUS_CHAMELEON_LEASE_FAILED',
            `${where}: the lease's floating IP reservation holds ${reserved.length} free address(es), fewer than the ` +
              `${names.length} servers. Release and provision again.`,
          );
        }
      } else {
        fip =
          (await api.findFloatingIps(description, run.signal))[0] ??
          (await api.createFloatingIp(external.id, description, run.signal));
      }
      await t.add({
        kind: 'floating-ip',
        id: fip.id,
        name: description,
        data: { address: fip.address, server: server.name ?? '', ...(reserved ? { reserved: 'true' } : {}) },
      });
      await api.attachFloatingIp(fip.id, server.id, run.signal);
    }
    const addresses = names.map((name) => addressOf(name) as string);
    await forgetHostKeys(knownHostsFile, addresses);
    await Promise.all(
      addresses.map((address) =>
        waitForTcp(address, options.sshPort ?? CHAMELEON_DEFAULTS.sshPort, {
          timeoutMs: options.sshTimeoutMs ?? CHAMELEON_DEFAULTS.sshTimeoutMs,
          intervalMs: options.sshPollMs ?? CHAMELEON_DEFAULTS.sshPollMs,
          ...(run.signal ? { signal: run.signal } : {}),
        }),
      ),
    );

    const poolNode = (name: string): PoolNode => ({
      name,
      address: addressOf(name) as string,
      cores: spec.cores,
      memoryMb: spec.ram * 1024,
    });
    const submitName = options.centralManager?.name ?? (names[0] as string);
    const workerNames = options.centralManager ? names : names.slice(1);
    const poolInput: PoolPlanInput = {
      submit: options.centralManager
        ? { name: options.centralManager.name, address: options.centralManager.address, cores: 0, memoryMb: 0 }
        : poolNode(submitName),
      workers: workerNames.map(poolNode),
      runsDir: options.remoteRunsDir ?? CHAMELEON_DEFAULTS.remoteRunsDir,
    };
    if (options.deploy !== false) {
      // With an external central manager, its own steps belong to the testbed that owns it.
      const steps = planPoolDeployment(poolInput).filter((s) => !options.centralManager || s.role !== 'submit');
      await runDeploymentPlan(steps, poolInput, {
        scope: SCOPE,
        redactor,
        runnerFor,
        poolPassword: options.poolPassword as string,
        stabilizeTimeoutMs: options.stabilizeTimeoutMs ?? CHAMELEON_DEFAULTS.stabilizeTimeoutMs,
        stabilizePollMs: options.stabilizePollMs ?? CHAMELEON_DEFAULTS.stabilizePollMs,
        ...(run.signal ? { signal: run.signal } : {}),
        ...(run.onProgress ? { onProgress: run.onProgress } : {}),
      });
    }
    const deployment: Deployment = {
      testbed: 'chameleon',
      workers: workerNames.map((name) => ({
        name,
        cores: spec.cores,
        memoryMb: spec.ram * 1024,
        site: spec.site,
        target: `ssh:${spec.user}@${addressOf(name)}`,
      })),
      submitNode: {
        name: submitName,
        target: options.centralManager
          ? options.centralManager.runner.target
          : `ssh:${spec.user}@${addressOf(submitName)}`,
      },
      resources: t.list().map(({ kind, id, name }) => (name ? { kind, id, name } : { kind, id })),
    };
    await t.setDeployment(deployment);
    reportProgress(run.onProgress, { phase: 'provision', ratio: 1, message: 'ready' });
    return deployment;
  };

  const testbed: ChameleonTestbed = {
    name: 'chameleon',
    // Bare-metal hosts are scarce and billed to the project's allocation: a failed provision releases them.
    provision: (run = {}) => lifecycle.provision(() => provisionOnce(run)),
    runnerFor,
    supportsPlacement: false,
    runWorkflow: createPoolWorkflowRunner({
      scope: SCOPE,
      redactor,
      lifecycle,
      runnerFor,
      remoteRunsDir: options.remoteRunsDir ?? CHAMELEON_DEFAULTS.remoteRunsDir,
      pollIntervalMs: options.workflowPollIntervalMs ?? CHAMELEON_DEFAULTS.workflowPollIntervalMs,
      timeoutMs: options.workflowTimeoutMs ?? CHAMELEON_DEFAULTS.workflowTimeoutMs,
    }),
    release: lifecycle.release,
    async stitchVlan(run = {}) {
      if (!spec.stitch) return undefined;
      const t = await lifecycle.tracker();
      return lifecycle.guard(async () => {
        if (!t.list('network')[0]) {
          await ensureLease(t, run);
          const network = await api.findNetwork(stitchNetworkName, run.signal);
          await t.add({
            kind: 'network',
            id: network.id,
            name: stitchNetworkName,
            data: { segmentationId: String(network.segmentationId ?? '') },
          });
        }
        const vlan = Number(t.list('network')[0]?.data?.segmentationId);
        if (!Number.isInteger(vlan) || vlan < 1) {
          throw new ProteusError(
            'PROTEUS_CHAMELEON_LEASE_FAILED',
            `testbed-chameleon/stitchVlan: network ${stitchNetworkName} has no provider:segmentation_id; the reservation ` +
              'did not give a VLAN. Check the lease in the Chameleon dashboard.',
          );
        }
        return vlan;
      });
    },
    async extend(endDate, run = {}) {
      const lease = (await lifecycle.tracker()).list('lease')[0];
      if (!lease)
        throw new ProteusError(
          'PROTEUS_CHAMELEON_NOT_PROVISIONED',
          'testbed-chameleon/extend: no lease is tracked; provision first.',
        );
      await lifecycle.guard(() => api.extendLease(lease.id, endDate, run.signal));
    },
    async status(run = {}) {
      const t = await lifecycle.tracker();
      const tracked = t.list('lease')[0];
      if (!tracked) return undefined;
      return lifecycle.guard(async () => {
        const lease = (await api.getLease(tracked.id, run.signal)) ?? {
          id: tracked.id,
          name: tracked.name ?? '',
          status: 'DELETED',
        };
        const servers = [];
        for (const server of t.list('server')) {
          const info = await api.getServer(server.id, run.signal);
          const address = addressOf(server.name ?? '');
          servers.push({
            name: server.name ?? server.id,
            id: server.id,
            status: info?.status ?? 'DELETED',
            ...(address ? { address } : {}),
            ...(info?.fault ? { fault: info.fault } : {}),
          });
        }
        return {
          lease: {
            id: lease.id,
            name: lease.name,
            status: lease.status,
            ...(lease.endDate ? { endDate: lease.endDate } : {}),
          },
          servers,
        };
      });
    },
    async [Symbol.asyncDispose]() {
      await testbed.release();
    },
  };
  return testbed;
}

/** The address `offset` hosts into an IPv4 CIDR (`192.168.100.0/24`, 10 -> `192.168.100.10`). */
function hostAddress(cidr: string, offset: number): string {
  const [base = '0.0.0.0'] = cidr.split('/');
  const value = base.split('.').reduce((total, part) => total * 256 + Number(part), 0) + offset;
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.');
}

/** Bounds of the numeric options: timers fit `setTimeout` (2^31-1 ms) and a poll of 0 would busy-poll the API. */
const NUMBER_BOUNDS: Record<string, readonly [number, number]> = {
  pollIntervalMs: [1, 600_000],
  leaseTimeoutMs: [1, 7 * 24 * 3_600_000],
  serverTimeoutMs: [1, 7 * 24 * 3_600_000],
  sshTimeoutMs: [1, 7 * 24 * 3_600_000],
  sshPollMs: [1, 600_000],
  requestTimeoutMs: [1, 600_000],
  stabilizeTimeoutMs: [0, 7 * 24 * 3_600_000],
  stabilizePollMs: [1, 600_000],
  workflowPollIntervalMs: [1, 600_000],
  workflowTimeoutMs: [1, 7 * 24 * 3_600_000],
  sshPort: [1, 65_535],
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
      'PROTEUS_CHAMELEON_INVALID_OPTIONS',
      `testbed-chameleon/createChameleonTestbed: ${problems.join('; ')}.`,
      { details: { problems } },
    );
  }
}
