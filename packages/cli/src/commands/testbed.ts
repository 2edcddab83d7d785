import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { ProteusError, redactSecrets } from '@proteus-wf/core';
import {
  type ChameleonPlan,
  createChameleonTestbed,
  loadChameleonTopology,
  planChameleonTestbed,
} from '@proteus-wf/testbed-chameleon';
import {
  createFabricTestbed,
  type FabricPlan,
  loadFabricTopology,
  planFabricTestbed,
} from '@proteus-wf/testbed-fabric';
import { recoverLocalTestbeds } from '@proteus-wf/testbed-local';
import type { Argv } from 'yargs';
import { type CliIo, formatTable, printResult } from '../cli-io.js';

type Kind = 'fabric' | 'chameleon';

interface TestbedArgs {
  kind: Kind;
  topology: string;
  state?: string;
  dryRun: boolean;
  json: boolean;
  deploy: boolean;
  pollMs?: number;
}

/**
 * `proteus testbed fabric|chameleon plan|provision|status|release`: cloud testbeds from a topology file;
 * `proteus testbed local recover`: clean up after a crashed local testbed.
 * Credentials come from the environment; `--dry-run` needs none and contacts nothing.
 * @example proteus testbed fabric plan --topology topology.json --dry-run --json
 */
export function registerTestbedCommands(cli: Argv, outer: CliIo): Argv {
  // API answers can echo tokens nobody told the redactor about: mask them by shape in everything printed here.
  const io: CliIo = {
    ...outer,
    stdout: (text) => outer.stdout(redactSecrets(text)),
    stderr: (text) => outer.stderr(redactSecrets(text)),
  };
  const common = (y: Argv) =>
    y
      .option('topology', {
        type: 'string',
        demandOption: true,
        describe: 'Topology JSON: { name, fabric?, chameleon? }',
      })
      .option('state', {
        type: 'string',
        describe: 'State file (default $XDG_STATE_HOME/proteus/testbed-<kind>-<name>.json, any working directory)',
      })
      .option('dry-run', { type: 'boolean', default: false, describe: 'Print the plan and API calls; contact nothing' })
      .option('json', { type: 'boolean', default: false, describe: 'Print one JSON object' })
      .option('poll-ms', {
        type: 'number',
        describe: `Poll interval of slice/lease/server states, ${POLL_MS.min}-${POLL_MS.max} ms (advanced)`,
      });
  const actions = (kind: Kind) => (y: Argv) =>
    y
      .command('plan', 'Print what provision would do, offline', common, async (argv) => {
        await printPlan(io, { ...(argv as unknown as TestbedArgs), kind });
      })
      .command(
        'provision',
        'Create (or find by name) the slice or lease and deploy the HTCondor/Pegasus pool',
        (p) =>
          common(p).option('deploy', {
            type: 'boolean',
            default: true,
            describe: 'Deploy the pool (--no-deploy: only the resources)',
          }),
        async (argv) => {
          const args = { ...(argv as unknown as TestbedArgs), kind };
          if (args.dryRun) return printPlan(io, args);
          await withSignals(io, async (signal) => {
            const testbed = await openTestbed(io, args);
            const deployment = await testbed.provision({
              signal,
              onProgress: (e) =>
                io.stderr(`${e.phase} ${(e.ratio * 100).toFixed(0)}%${e.message ? ` ${e.message}` : ''}\n`),
            });
            printResult(io, deployment, {
              json: args.json,
              table: (d) =>
                formatTable([
                  ['worker', 'cores', 'memoryMb', 'target'],
                  ...d.workers.map((w) => [w.name, w.cores, w.memoryMb, w.target]),
                ]) + `\nsubmit node: ${d.submitNode?.name ?? '-'} (${d.submitNode?.target ?? '-'})`,
            });
          });
        },
      )
      .command('status', 'Show the tracked slice or lease and its nodes', common, async (argv) => {
        const args = { ...(argv as unknown as TestbedArgs), kind };
        if (args.dryRun) return printTracked(io, args);
        const testbed = await openTestbed(io, { ...args, deploy: false });
        const status = await testbed.status({ signal: io.signal });
        printResult(io, status ?? { tracked: false }, { json: args.json });
      })
      .command('release', 'Delete every tracked resource (idempotent)', common, async (argv) => {
        const args = { ...(argv as unknown as TestbedArgs), kind };
        if (args.dryRun) return printTracked(io, args);
        const testbed = await openTestbed(io, { ...args, deploy: false });
        await testbed.release();
        printResult(io, { released: true, kind }, { json: args.json, table: () => `released ${kind} resources` });
      })
      .demandCommand(1, 'Name an action: plan, provision, status or release.');
  return cli.command(
    'testbed',
    'Provision, inspect and release FABRIC slices and Chameleon leases; recover crashed local testbeds',
    (testbed) =>
      testbed
        .command('fabric', 'FABRIC slices (submit and data nodes, networks)', actions('fabric'))
        .command('chameleon', 'Chameleon bare-metal leases (workers)', actions('chameleon'))
        .command('local', 'The local testbed (this machine)', (local) => registerLocalRecover(local, io))
        .demandCommand(1, 'Name a testbed: fabric, chameleon or local.'),
  );
}

interface LocalRecoverArgs {
  out?: string;
  workDir?: string;
  sweep: boolean;
  json: boolean;
}

/**
 * `proteus testbed local recover`: tears down local testbeds whose controller died (kill -9, crash): their job
 * processes, cgroups, namespaces and state files. `experiment run` does the same at its start; this does it now.
 */
function registerLocalRecover(local: Argv, io: CliIo): Argv {
  return local
    .command(
      'recover',
      'Kill the jobs and remove the cgroups and namespaces of local testbeds whose owner process is gone',
      (y) =>
        y
          .option('out', {
            type: 'string',
            describe: 'Campaign output folder of `experiment run --out` (its testbeds live in <out>/.testbed)',
          })
          .option('work-dir', { type: 'string', describe: 'A testbed workDir holding testbed-<id>.json files' })
          .option('sweep', {
            type: 'boolean',
            default: true,
            describe: 'Also remove empty cgroups and namespaces of dead generated-id testbeds (--no-sweep to skip)',
          })
          .option('json', { type: 'boolean', default: false, describe: 'Print one JSON object' })
          .conflicts('out', 'work-dir'),
      async (argv) => {
        const args = argv as unknown as LocalRecoverArgs;
        const workDir = args.workDir
          ? resolve(io.cwd, args.workDir)
          : args.out
            ? join(resolve(io.cwd, args.out), '.testbed')
            : undefined;
        const result = await recoverLocalTestbeds({ ...(workDir ? { workDir } : {}), sweep: args.sweep });
        printResult(io, result, {
          json: args.json,
          table: (value) => {
            const rows: Array<Array<string | number>> = [['testbed', 'found by', 'killed', 'cgroups', 'namespaces']];
            for (const entry of value.recovered) {
              rows.push([
                entry.testbedId,
                entry.foundBy,
                entry.killedPids.length,
                entry.cgroups.length,
                entry.namespaces.length,
              ]);
            }
            const skipped = value.skipped.map((entry) => `skipped ${entry.testbedId}: ${entry.reason}`).join('\n');
            return `${value.recovered.length === 0 ? 'nothing to recover' : formatTable(rows)}${skipped ? `\n${skipped}` : ''}`;
          },
        });
      },
    )
    .demandCommand(1, 'Name an action: recover.');
}

async function printPlan(io: CliIo, args: TestbedArgs): Promise<void> {
  pollOptionOf(args);
  const path = resolve(io.cwd, args.topology);
  const plan: FabricPlan | ChameleonPlan =
    args.kind === 'fabric'
      ? planFabricTestbed(await loadFabricTopology(path))
      : planChameleonTestbed(
          await loadChameleonTopology(path),
          io.env.OS_AUTH_URL ? { authUrl: io.env.OS_AUTH_URL } : {},
        );
  printResult(io, { dryRun: true, ...plan }, { json: args.json, table: renderPlan });
}

function renderPlan(plan: FabricPlan | ChameleonPlan): string {
  return [
    `${plan.testbed} "${plan.name}" at ${plan.site} (dry run: nothing was contacted)`,
    '',
    formatTable([['method', 'url', 'purpose'], ...plan.apiCalls.map((c) => [c.method, c.url, c.purpose])]),
    '',
    formatTable([['node', 'step', 'command'], ...plan.deployment.map((s) => [s.node, s.step, s.command])]),
  ].join('\n');
}

async function printTracked(io: CliIo, args: TestbedArgs): Promise<void> {
  pollOptionOf(args);
  const name = await topologyName(io, args);
  const file = await stateFileOf(io, args, name);
  let resources: unknown[] = [];
  try {
    resources = (JSON.parse(await readFile(file, 'utf8')) as { resources?: unknown[] }).resources ?? [];
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  printResult(io, { dryRun: true, kind: args.kind, stateFile: file, resources }, { json: args.json });
}

async function topologyName(io: CliIo, args: TestbedArgs): Promise<string> {
  const path = resolve(io.cwd, args.topology);
  return args.kind === 'fabric' ? (await loadFabricTopology(path)).name : (await loadChameleonTopology(path)).name;
}

/**
 * Where a testbed's state lives: `--state`, else one file per testbed and topology name in the user's state folder
 * (`$XDG_STATE_HOME/proteus`, default `~/.local/state/proteus`), so `status` and `release` find it from any working
 * directory. A state file left in `./.proteus/` by an earlier version is still used when it exists.
 */
async function stateFileOf(io: CliIo, args: TestbedArgs, name: string): Promise<string> {
  if (args.state) return resolve(io.cwd, args.state);
  const file = `testbed-${args.kind}-${name}.json`;
  const legacy = resolve(io.cwd, '.proteus', file);
  if (
    await readFile(legacy).then(
      () => true,
      () => false,
    )
  )
    return legacy;
  const home = io.env.HOME || homedir();
  const stateHome =
    io.env.XDG_STATE_HOME && isAbsolute(io.env.XDG_STATE_HOME) ? io.env.XDG_STATE_HOME : join(home, '.local', 'state');
  return join(stateHome, 'proteus', file);
}

const POLL_MS = { min: 1, max: 600_000 };

/** `--poll-ms` must be a finite integer in range: 0, negative or NaN would busy-poll the cloud APIs. */
function pollOptionOf(args: TestbedArgs): { pollIntervalMs?: number } {
  const value = args.pollMs;
  if (value === undefined) return {};
  if (!Number.isInteger(value) || value < POLL_MS.min || value > POLL_MS.max) {
    throw new ProteusError(
      'PROTEUS_CLI_INVALID_OPTION',
      `testbed ${args.kind}: --poll-ms must be an integer from ${POLL_MS.min} to ${POLL_MS.max} (got ${value}); ` +
        'leave it out for the default (10 s).',
      { details: { option: 'poll-ms', value: String(value) } },
    );
  }
  return { pollIntervalMs: value };
}

function requireEnv(io: CliIo, kind: Kind, names: string[], alternatives: string[] = []): void {
  const missing = names.filter((n) => !io.env[n]);
  if (missing.length === 0) return;
  throw new ProteusError(
    'PROTEUS_CLI_MISSING_CREDENTIALS',
    `testbed ${kind}: set ${missing.join(', ')} in the environment${alternatives.length ? ` (${alternatives.join('; ')})` : ''}, ` +
      'or run with --dry-run, which needs no credentials.',
    { details: { missing } },
  );
}

function url(value: string | undefined, fallback: string, path = ''): string {
  if (!value) return fallback;
  return /^https?:\/\//.test(value) ? value : `https://${value}${path}`;
}

async function openTestbed(io: CliIo, args: TestbedArgs) {
  const path = resolve(io.cwd, args.topology);
  const env = io.env;
  const deploy = args.deploy !== false;
  if (deploy)
    requireEnv(io, args.kind, ['PROTEUS_POOL_PASSWORD'], ['the HTCondor pool password; --no-deploy skips the pool']);
  const poll = pollOptionOf(args);
  if (args.kind === 'fabric') {
    const topology = await loadFabricTopology(path);
    const tokenFile = env.FABRIC_TOKEN_LOCATION ?? join(homedir(), '.tokens.json');
    if (!env.FABRIC_REFRESH_TOKEN) {
      const exists = await readFile(tokenFile, 'utf8').then(
        () => true,
        () => false,
      );
      if (!exists)
        requireEnv(
          io,
          'fabric',
          ['FABRIC_REFRESH_TOKEN'],
          [`or save a token file at ${tokenFile} (FABRIC_TOKEN_LOCATION)`],
        );
    }
    requireEnv(io, 'fabric', ['FABRIC_BASTION_USERNAME', 'FABRIC_SLICE_PUBLIC_KEY_FILE']);
    const publicKey = (await readFile(resolve(io.cwd, env.FABRIC_SLICE_PUBLIC_KEY_FILE as string), 'utf8')).trim();
    return createFabricTestbed({
      topology,
      credentials: {
        tokenFile,
        ...(env.FABRIC_REFRESH_TOKEN ? { refreshToken: env.FABRIC_REFRESH_TOKEN } : {}),
        ...(env.FABRIC_PROJECT_ID ? { projectId: env.FABRIC_PROJECT_ID } : {}),
        sshPublicKeys: [publicKey],
        ...(env.FABRIC_SLICE_PRIVATE_KEY_FILE ? { sshPrivateKeyFile: env.FABRIC_SLICE_PRIVATE_KEY_FILE } : {}),
        ...(env.FABRIC_BASTION_KEY_LOCATION ? { bastionKeyFile: env.FABRIC_BASTION_KEY_LOCATION } : {}),
        bastionUser: env.FABRIC_BASTION_USERNAME as string,
      },
      credmgrUrl: url(env.FABRIC_CREDMGR_HOST, 'https://cm.fabric-testbed.net/credmgr', '/credmgr'),
      orchestratorUrl: url(env.FABRIC_ORCHESTRATOR_HOST, 'https://orchestrator.fabric-testbed.net'),
      stateFile: await stateFileOf(io, args, topology.name),
      deploy,
      ...(env.PROTEUS_POOL_PASSWORD ? { poolPassword: env.PROTEUS_POOL_PASSWORD } : {}),
      ...poll,
    });
  }
  const topology = await loadChameleonTopology(path);
  requireEnv(io, 'chameleon', ['OS_AUTH_URL', 'OS_APPLICATION_CREDENTIAL_ID', 'OS_APPLICATION_CREDENTIAL_SECRET']);
  return createChameleonTestbed({
    topology,
    credentials: {
      authUrl: env.OS_AUTH_URL as string,
      applicationCredentialId: env.OS_APPLICATION_CREDENTIAL_ID as string,
      applicationCredentialSecret: env.OS_APPLICATION_CREDENTIAL_SECRET as string,
      ...(env.PROTEUS_CHAMELEON_SSH_KEY_FILE ? { sshPrivateKeyFile: env.PROTEUS_CHAMELEON_SSH_KEY_FILE } : {}),
    },
    ...(env.OS_REGION_NAME ? { region: env.OS_REGION_NAME } : {}),
    stateFile: await stateFileOf(io, args, topology.name),
    deploy,
    ...(env.PROTEUS_POOL_PASSWORD ? { poolPassword: env.PROTEUS_POOL_PASSWORD } : {}),
    ...poll,
  });
}

/**
 * Runs `work` with a signal that fires on the CLI's own signal or on SIGINT/SIGTERM/SIGHUP, so an interrupted provision
 * releases what it created before the process ends.
 */
async function withSignals(io: CliIo, work: (signal: AbortSignal) => Promise<void>): Promise<void> {
  const controller = new AbortController();
  const onSignal = (name: NodeJS.Signals) => () => {
    io.stderr(`proteus: ${name} received; releasing what was created...\n`);
    controller.abort(new Error(name));
  };
  const handlers = (['SIGINT', 'SIGTERM', 'SIGHUP'] as const).map((name) => [name, onSignal(name)] as const);
  for (const [name, handler] of handlers) process.once(name, handler);
  const signal = AbortSignal.any([controller.signal, io.signal]);
  try {
    await work(signal);
  } finally {
    for (const [name, handler] of handlers) process.removeListener(name, handler);
  }
}
