import { describe, expect, it } from 'vitest';
import { poolInput } from '../test/pool-input.js';
import { describeStep, planPoolDeployment } from './plan-pool-deployment.js';

describe('planPoolDeployment', () => {
  it('plans the central manager with Pegasus, the data node and every execute node with the injector backends', () => {
    const steps = planPoolDeployment(poolInput);
    expect(new Set(steps.map((s) => s.role))).toEqual(new Set(['submit', 'data', 'worker']));
    expect(steps.filter((s) => s.node === 'submit').map((s) => s.id)).toContain('submit:install-pegasus');
    expect(steps.filter((s) => s.node === 'data').map((s) => s.id)).toEqual([
      'data:install-data-tools',
      'data:make-data-dir',
    ]);
    for (const worker of poolInput.workers) {
      const ids = steps.filter((s) => s.node === worker.name).map((s) => s.id);
      expect(ids).toEqual([
        `${worker.name}:fetch-htcondor`,
        `${worker.name}:install-htcondor`,
        `${worker.name}:configure-htcondor`,
        `${worker.name}:restart-htcondor`,
        `${worker.name}:install-injector-backends`,
      ]);
      const config = steps.find((s) => s.id === `${worker.name}:configure-htcondor`)?.input;
      expect(config && 'text' in config ? config.text : '').toContain(`NUM_CPUS = ${worker.cores}`);
      expect(config && 'text' in config ? config.text : '').toContain('CONDOR_HOST = 10.0.0.2');
    }
    expect(steps.find((s) => s.id === 'submit:make-runs-dir')?.args).toEqual(['-p', 'proteus/runs']);
    expect(planPoolDeployment({ ...poolInput, data: undefined }).some((s) => s.role === 'data')).toBe(false);
  });

  it('names the pool password only as a secret input, never in argv, and shows it by name in a dry run', () => {
    const steps = planPoolDeployment(poolInput);
    const installs = steps.filter((s) => s.id.endsWith(':install-htcondor'));
    expect(installs).toHaveLength(3);
    for (const step of installs) {
      expect(step.input).toEqual({ secret: 'pool-password' });
      expect(describeStep(step)).toMatch(/<secret:pool-password>$/);
    }
    expect(describeStep(steps.find((s) => s.id === 'submit:make-runs-dir') ?? installs[0]!)).toBe(
      'mkdir -p proteus/runs',
    );
    expect(describeStep(installs[0]!)).toContain("'GET_HTCONDOR_PASSWORD=");
  });
});
