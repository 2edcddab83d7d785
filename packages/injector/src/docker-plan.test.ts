import { isProteusError } from '@proteus-wf/core';
import { describe, expect, it } from 'vitest';
import { parseAnomaly } from './anomaly-spec.js';
import { planDockerFlags } from './docker-plan.js';

describe('planDockerFlags', () => {
  it('lowers the cpuset upper bound and --cpus by K for cpu_K, as Poseidon-X did', () => {
    const plan = planDockerFlags(parseAnomaly('cpu_2'), { cores: 4, cpusetCpus: '4-7' });
    expect(plan.run).toEqual(['--cpuset-cpus=4-5', '--cpus=2']);
    expect(plan.update).toEqual(plan.run);
  });

  it('writes hdd_K as --device-write-bps K mb and --device-read-bps 2K mb, with no live update', () => {
    const plan = planDockerFlags(parseAnomaly('hdd_5'), { cores: 4 });
    expect(plan.run).toEqual(['--device-write-bps=/dev/sda:5mb', '--device-read-bps=/dev/sda:10mb']);
    expect(plan.update).toBeUndefined();
  });

  it('throws PROTEUS_INJECTOR_SPEC_UNSATISFIABLE when K is every core', () => {
    let code: string | undefined;
    try {
      planDockerFlags(parseAnomaly('cpu_4'), { cores: 4 });
    } catch (error) {
      code = isProteusError(error) ? error.code : undefined;
    }
    expect(code).toBe('PROTEUS_INJECTOR_SPEC_UNSATISFIABLE');
  });
});
