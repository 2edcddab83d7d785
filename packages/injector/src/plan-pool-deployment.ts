/*
 * The HTCondor/Pegasus pool of Poseidon-X (testbeds.md §1), planned as argument arrays that a remote testbed runs over
 * each node's CommandRunner: it lives here because execute nodes are prepared for this package's backends, and both
 * cloud testbeds (which never import each other) need the same pool. See docs/decisions/testbeds-cloud.md.
 */

/** One machine of the pool as the deployment sees it. */
export interface PoolNode {
  name: string;
  /** Address the other nodes use to reach it (CONDOR_HOST for the central manager). */
  address: string;
  cores: number;
  memoryMb: number;
}

/** The nodes of a pool, by role. */
export interface PoolPlanInput {
  /** Central manager + schedd + Pegasus (Poseidon-X's FABRIC submit node). */
  submit: PoolNode;
  /** Holds the workflow inputs and outputs; optional (the submit node serves them when absent). */
  data?: PoolNode;
  /** HTCondor execute nodes where jobs run and anomalies are injected. */
  workers: PoolNode[];
  /** Network the pool talks on, e.g. `192.168.104.*`; `*` when absent. */
  networkInterface?: string;
  /** Folder for runs on the submit node. */
  runsDir?: string;
}

/** One command of the deployment, run over the node's CommandRunner. */
export interface DeploymentStep {
  id: string;
  node: string;
  role: 'submit' | 'data' | 'worker';
  description: string;
  file: string;
  args: string[];
  /** Data sent on stdin; a `secret` one is shown as `<secret:name>` in plans and never logged. */
  input?: { text: string } | { secret: 'pool-password' };
  timeoutMs: number;
}

const INSTALL_TIMEOUT_MS = 20 * 60_000;
const SHORT_TIMEOUT_MS = 2 * 60_000;
const GET_HTCONDOR = 'https://get.htcondor.org';
const PEGASUS_KEY = 'https://download.pegasus.isi.edu/pegasus/gpg.txt';
const PEGASUS_REPO =
  'deb [signed-by=/usr/share/keyrings/pegasus.asc] https://download.pegasus.isi.edu/pegasus/ubuntu focal main';
/** Writes stdin to the file named by $1 with mode 0600; the path travels as an argument, never inside the script. */
const WRITE_STDIN = 'umask 077 && cat > "$1"';
/** Reads the pool password from stdin into the installer's environment, so it never appears in argv. */
const INSTALL_CONDOR = 'GET_HTCONDOR_PASSWORD="$(cat)" exec /bin/sh /tmp/get-htcondor.sh --no-dry-run "$@"';

/**
 * The commands that turn provisioned nodes into a Poseidon-X-like pool: HTCondor central manager on the submit
 * node with Pegasus, a data node, HTCondor execute nodes with this package's backends (tc, nft, stress-ng, cgroups).
 * Every step is an argument array (no user value is spliced into a shell string) and is safe to run twice; the pool
 * password is never in a step, only named (`input: { secret: 'pool-password' }`). Pure: nothing runs.
 * A testbed that joins an existing central manager drops the `submit` steps.
 * @example
 * const steps = planPoolDeployment({ submit: { name: 'submit', address: '10.0.0.2', cores: 4, memoryMb: 8192 }, workers });
 * steps.map(describeStep); // ['curl -fsSL -o /tmp/get-htcondor.sh https://get.htcondor.org', ...]
 * @throws never
 */
export function planPoolDeployment(input: PoolPlanInput): DeploymentStep[] {
  const steps: DeploymentStep[] = [];
  const network = input.networkInterface ?? '*';
  const runsDir = input.runsDir ?? 'proteus/runs';
  const add = (node: PoolNode, role: DeploymentStep['role'], step: Omit<DeploymentStep, 'node' | 'role'>): void => {
    steps.push({ ...step, id: `${node.name}:${step.id}`, node: node.name, role });
  };
  const condorInstall = (node: PoolNode, role: DeploymentStep['role'], roleArgs: string[]): void => {
    add(node, role, {
      id: 'fetch-htcondor',
      description: 'download the HTCondor installer',
      file: 'curl',
      args: ['-fsSL', '-o', '/tmp/get-htcondor.sh', GET_HTCONDOR],
      timeoutMs: SHORT_TIMEOUT_MS,
    });
    add(node, role, {
      id: 'install-htcondor',
      description: `install HTCondor (${roleArgs.join(' ')})`,
      file: 'sudo',
      args: ['/bin/sh', '-c', INSTALL_CONDOR, 'get-htcondor', ...roleArgs],
      input: { secret: 'pool-password' },
      timeoutMs: INSTALL_TIMEOUT_MS,
    });
  };
  const writeConfig = (node: PoolNode, role: DeploymentStep['role'], lines: string[]): void => {
    add(node, role, {
      id: 'configure-htcondor',
      description: 'write /etc/condor/config.d/90-proteus.conf',
      file: 'sudo',
      args: ['/bin/sh', '-c', WRITE_STDIN, 'write', '/etc/condor/config.d/90-proteus.conf'],
      input: { text: `${lines.join('\n')}\n` },
      timeoutMs: SHORT_TIMEOUT_MS,
    });
    add(node, role, {
      id: 'restart-htcondor',
      description: 'restart HTCondor with the new configuration',
      file: 'sudo',
      args: ['systemctl', 'restart', 'condor'],
      timeoutMs: SHORT_TIMEOUT_MS,
    });
  };

  const { submit } = input;
  condorInstall(submit, 'submit', ['--central-manager', submit.address, '--submit', submit.address]);
  writeConfig(submit, 'submit', [
    '# Written by Proteus: central manager + schedd (Poseidon-X fabric-submit.sh)',
    `CONDOR_HOST = ${submit.address}`,
    `NETWORK_INTERFACE = ${network}`,
    'DAEMON_LIST = MASTER, COLLECTOR, NEGOTIATOR, SCHEDD',
  ]);
  add(submit, 'submit', {
    id: 'fetch-pegasus-key',
    description: 'add the Pegasus apt key',
    file: 'sudo',
    args: ['curl', '-fsSL', '-o', '/usr/share/keyrings/pegasus.asc', PEGASUS_KEY],
    timeoutMs: SHORT_TIMEOUT_MS,
  });
  add(submit, 'submit', {
    id: 'add-pegasus-repo',
    description: 'add the Pegasus apt repository',
    file: 'sudo',
    args: ['/bin/sh', '-c', WRITE_STDIN, 'write', '/etc/apt/sources.list.d/pegasus.list'],
    input: { text: `${PEGASUS_REPO}\n` },
    timeoutMs: SHORT_TIMEOUT_MS,
  });
  add(submit, 'submit', {
    id: 'apt-update',
    description: 'refresh apt indexes',
    file: 'sudo',
    args: ['apt-get', 'update', '-q'],
    timeoutMs: INSTALL_TIMEOUT_MS,
  });
  add(submit, 'submit', {
    id: 'install-pegasus',
    description: 'install Pegasus WMS',
    file: 'sudo',
    args: ['env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get', 'install', '-y', '-q', 'pegasus'],
    timeoutMs: INSTALL_TIMEOUT_MS,
  });
  add(submit, 'submit', {
    id: 'make-runs-dir',
    description: `create the runs folder ${runsDir}`,
    file: 'mkdir',
    args: ['-p', runsDir],
    timeoutMs: SHORT_TIMEOUT_MS,
  });

  if (input.data) {
    const data = input.data;
    add(data, 'data', {
      id: 'install-data-tools',
      description: 'install rsync for staging workflow data',
      file: 'sudo',
      args: ['env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get', 'install', '-y', '-q', 'rsync'],
      timeoutMs: INSTALL_TIMEOUT_MS,
    });
    add(data, 'data', {
      id: 'make-data-dir',
      description: 'create /srv/proteus/data',
      file: 'sudo',
      args: ['install', '-d', '-m', '0755', '/srv/proteus/data'],
      timeoutMs: SHORT_TIMEOUT_MS,
    });
  }

  for (const worker of input.workers) {
    condorInstall(worker, 'worker', ['--execute', submit.address]);
    writeConfig(worker, 'worker', [
      '# Written by Proteus: execute node with one partitionable slot (Poseidon-X Dockerfile_Ubuntu20)',
      `CONDOR_HOST = ${submit.address}`,
      `NETWORK_INTERFACE = ${network}`,
      'DAEMON_LIST = MASTER, STARTD',
      `NUM_CPUS = ${worker.cores}`,
      `MEMORY = ${worker.memoryMb}`,
      'NUM_SLOTS = 1',
      'NUM_SLOTS_TYPE_1 = 1',
      'SLOT_TYPE_1 = 100%',
      'SLOT_TYPE_1_PARTITIONABLE = True',
      'MACHINE_SPECIAL_ID = "normal"',
      'STARTD_ATTRS = $(STARTD_ATTRS) MACHINE_SPECIAL_ID',
    ]);
    add(worker, 'worker', {
      id: 'install-injector-backends',
      description: 'install the injector backends (tc, nft, stress-ng, cgroup tools)',
      file: 'sudo',
      args: [
        'env',
        'DEBIAN_FRONTEND=noninteractive',
        'apt-get',
        'install',
        '-y',
        '-q',
        'iproute2',
        'nftables',
        'stress-ng',
        'cgroup-tools',
      ],
      timeoutMs: INSTALL_TIMEOUT_MS,
    });
  }
  return steps;
}

/**
 * How a plan step reads in a dry run: the command line, shell-quoted where needed, with secrets shown by name only.
 * @example describeStep(step) // "sudo /bin/sh -c '…' get-htcondor --execute 10.0.0.2 <secret:pool-password>"
 * @throws never
 */
export function describeStep(step: DeploymentStep): string {
  const quote = (arg: string): string => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`);
  const stdin = step.input === undefined ? '' : 'secret' in step.input ? ` <secret:${step.input.secret}>` : ' <stdin>';
  return `${[step.file, ...step.args].map(quote).join(' ')}${stdin}`;
}
