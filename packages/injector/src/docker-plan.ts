import { ProteusError } from '@proteus-wf/core';
import type { AnomalySpec } from './anomaly-spec.js';
import { formatCpuList, parseCpuList } from './internal/cgroup.js';

/** Options of {@link planDockerFlags}: the worker container's normal CPU allotment and the disk it writes to. */
export interface DockerPlanOptions {
  /** Cores of the worker container (`NUM_CPUS`, and `--cpus` of a normal worker). */
  cores: number;
  /** The worker's normal `--cpuset-cpus`, e.g. `4-7`; default `0-(cores-1)`. */
  cpusetCpus?: string;
  /** Disk for `--device-*-bps` (default `/dev/sda`, as Poseidon-X used). */
  device?: string;
}

/** The docker flags that make one worker anomalous. */
export interface DockerPlan {
  /** Flags for `docker run` (the way Poseidon-X applied anomalies at container start). */
  run: string[];
  /** Flags for `docker update <container>` on a running container, when the anomaly can be changed live. */
  update?: string[];
  notes: string[];
}

const MIB = 1024 * 1024;

/**
 * Generates the `docker run` / `docker update` flags of an anomaly for a Docker-based worker pool (testbeds.md §1.3,
 * §1.4): `cpu_K` lowers `--cpuset-cpus`' upper bound and `--cpus` by K; `hdd_K` sets `--device-write-bps` and
 * `--device-read-bps` (which `docker update` cannot change).
 * @example planDockerFlags(parseAnomaly('cpu_2'), { cores: 4, cpusetCpus: '4-7' }).run // ['--cpuset-cpus=4-5', '--cpus=2']
 * @throws ProteusError PROTEUS_INJECTOR_SPEC_UNSATISFIABLE when K withholds every core
 */
export function planDockerFlags(spec: AnomalySpec, options: DockerPlanOptions): DockerPlan {
  const cpus = options.cpusetCpus
    ? parseCpuList(options.cpusetCpus)
    : Array.from({ length: options.cores }, (_, i) => i);
  const device = options.device ?? '/dev/sda';
  switch (spec.kind) {
    case 'none':
      return { run: [`--cpuset-cpus=${formatCpuList(cpus)}`, `--cpus=${options.cores}`], notes: [] };
    case 'cpu': {
      if (spec.quota !== undefined) {
        const flags = [`--cpus=${spec.quota}`];
        return { run: [`--cpuset-cpus=${formatCpuList(cpus)}`, ...flags], update: flags, notes: [] };
      }
      const keep = cpus.slice(0, cpus.length - spec.removeCores);
      const remaining = Math.min(options.cores, cpus.length) - spec.removeCores;
      if (keep.length < 1 || remaining < 1) {
        throw new ProteusError(
          'PROTEUS_INJECTOR_SPEC_UNSATISFIABLE',
          `injector/planDockerFlags: a worker of ${options.cores} core(s) cannot withhold ${spec.removeCores}. Use a smaller cpu_<K>.`,
        );
      }
      const flags = [`--cpuset-cpus=${formatCpuList(keep)}`, `--cpus=${remaining}`];
      return {
        run: flags,
        update: flags,
        notes: [
          `keep NUM_CPUS=${options.cores}: HTCondor advertises ${options.cores} slots while jobs get ${remaining} core(s)`,
        ],
      };
    }
    case 'disk': {
      const run: string[] = [];
      if (spec.writeBps) run.push(`--device-write-bps=${spec.device ?? device}:${toDockerRate(spec.writeBps)}`);
      if (spec.readBps) run.push(`--device-read-bps=${spec.device ?? device}:${toDockerRate(spec.readBps)}`);
      return {
        run,
        notes: [
          'docker update cannot change --device-*-bps: recreate the container, or write the container cgroup io.max live',
        ],
      };
    }
    case 'stress':
      return {
        run: [],
        notes: ['stress load runs beside the container: apply it to the container cgroup or over ssh'],
      };
    case 'network':
      return {
        run: spec.rateMbit ? [`--env=NETWORK_LIMIT=${spec.rateMbit}`] : [],
        notes: [
          'Poseidon-X injected loss on the router of the anomalous network (tc netem on both interfaces): apply it to that router target',
        ],
      };
  }
}

/** Docker's `mb` is binary (units.RAMInBytes); whole MiB print as `<n>mb`, anything else in bytes. */
function toDockerRate(bps: number): string {
  return bps % MIB === 0 ? `${bps / MIB}mb` : `${bps}`;
}
