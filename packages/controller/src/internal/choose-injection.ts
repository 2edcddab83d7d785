import type { WorkerInfo } from '@proteus-wf/core';
import { type AnomalySpec, parseAnomaly } from '@proteus-wf/injector';

/** Where and how an anomaly name is applied to one worker. */
export interface Injection {
  target: string;
  spec: AnomalySpec;
}

/**
 * Maps a dataset anomaly name to a spec the worker's targets can take. A worker may offer several targets (the local
 * testbed lists `cgroup:` and `netns:` in `targets`). Network anomalies go to a `netns:`/`ssh:`/`local` target. CPU and
 * disk anomalies use Flow-Bench's meaning (withhold cores, cap throughput) on a `cgroup:` or `docker:` target; a
 * worker without one (no root) gets the GNN paper's stress form of the same name (`cpu_K`: K busy cores, `hdd_K`: a
 * writer of K MB), the only form that works there.
 */
export function chooseInjection(worker: WorkerInfo, anomaly: string): Injection {
  const offered = (worker as WorkerInfo & { targets?: unknown }).targets;
  const targets = Array.isArray(offered) && offered.every((t) => typeof t === 'string') ? (offered as string[]) : [];
  if (!targets.includes(worker.target)) targets.unshift(worker.target);
  const spec = parseAnomaly(anomaly);
  if (spec.kind === 'network') {
    const target =
      targets.find((t) => t.startsWith('netns:')) ?? targets.find((t) => !isGroupTarget(t)) ?? worker.target;
    return { target, spec };
  }
  if (spec.kind === 'cpu' || spec.kind === 'disk') {
    const group = targets.find(isGroupTarget);
    if (group) return { target: group, spec };
    // NOTE: without a cgroup the stressors share the whole machine, so jobs of other workers feel them too.
    return { target: worker.target, spec: { ...parseAnomaly(anomaly, { generation: 1 }), label: anomaly } };
  }
  return { target: worker.target, spec };
}

function isGroupTarget(target: string): boolean {
  return target.startsWith('cgroup:') || target.startsWith('docker:');
}
