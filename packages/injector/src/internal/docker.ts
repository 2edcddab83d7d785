import type { CommandRunner } from '@proteus-wf/core';
import { ProteusError } from '@proteus-wf/core';
import type { CpuAnomalySpec } from '../anomaly-spec.js';
import { planDockerFlags } from '../docker-plan.js';
import { formatCpuList, parseCpuList } from './cgroup.js';
import type { Plan } from './plan.js';

interface HostConfig {
  NanoCpus?: number;
  CpusetCpus?: string;
}

/** Plans a live CPU limit on a running container with `docker update`, restoring its inspected values on revert. */
export async function planDockerCpu(
  runner: CommandRunner,
  container: string,
  spec: CpuAnomalySpec,
  signal?: AbortSignal,
): Promise<Plan> {
  const options = signal ? { signal } : {};
  const inspected = await runner.run(
    'docker',
    ['inspect', '--format', '{{json .HostConfig}}', '--', container],
    options,
  );
  const config = JSON.parse(inspected.stdout) as HostConfig;
  let cpus = parseCpuList(config.CpusetCpus ?? '');
  if (cpus.length === 0) {
    const info = await runner.run('docker', ['info', '--format', '{{.NCPU}}'], options);
    cpus = Array.from({ length: Number(info.stdout.trim()) }, (_, i) => i);
  }
  const nano = config.NanoCpus ?? 0;
  const cores = nano > 0 ? nano / 1e9 : cpus.length;
  const plan = planDockerFlags(spec, { cores, cpusetCpus: formatCpuList(cpus) });
  if (!plan.update) {
    throw new ProteusError(
      'PROTEUS_INJECTOR_TARGET_UNSUPPORTED',
      `injector/docker: ${container} cannot be changed live`,
    );
  }
  const update = plan.update;
  const restore = { cpusetCpus: config.CpusetCpus || formatCpuList(cpus), cpus: nano > 0 ? nano / 1e9 : 0 };
  return {
    effect: { container, dockerUpdate: update },
    steps: [
      {
        name: `docker update ${update.join(' ')} ${container}`,
        inverse: [{ kind: 'docker-cpu', ...restore }],
        apply: async () => {
          await runner.run('docker', ['update', ...update, '--', container], options);
          return undefined;
        },
      },
    ],
  };
}
