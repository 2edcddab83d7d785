import {
  type CommandRunner,
  createRedactor,
  type ErrorScope,
  isProteusError,
  type ProgressEvent,
} from '@proteus-wf/core';
import { describe, expect, it } from 'vitest';
import { poolInput } from '../test/pool-input.js';
import { type DeploymentStep, planPoolDeployment } from './plan-pool-deployment.js';
import { type RunDeploymentPlanOptions, runDeploymentPlan } from './run-deployment-plan.js';

const scope: ErrorScope = { prefix: 'TEST', where: 'injector/test' };
const PASSWORD = 'pool-password-1a2b3c4d';

/** Runners that record every command and answer condor_status with the `reporting` workers. */
function recordingRunners(options: { reporting: string[]; failOn?: RegExp }) {
  const calls: Array<{ node: string; line: string; input?: string | undefined }> = [];
  const runnerFor = (node: string): CommandRunner => ({
    target: `ssh:${node}`,
    async run(file, args, runOptions = {}) {
      const line = [file, ...args].join(' ');
      calls.push({ node, line, input: runOptions.input });
      if (options.failOn?.test(line))
        return { exitCode: 100, stdout: '', stderr: `E: failed ${PASSWORD}`, durationMs: 1 };
      const stdout = file === 'condor_status' ? options.reporting.map((w) => `${w} Idle`).join('\n') : '';
      return { exitCode: 0, stdout, stderr: '', durationMs: 1 };
    },
  });
  return { calls, runnerFor };
}

/** Runs `steps` with the test password and fast polls; resolves to the error thrown, if any. */
function deploy(
  steps: DeploymentStep[],
  overrides: Partial<RunDeploymentPlanOptions> & Pick<RunDeploymentPlanOptions, 'runnerFor'>,
) {
  return runDeploymentPlan(steps, poolInput, {
    scope,
    redactor: createRedactor(),
    poolPassword: PASSWORD,
    stabilizeTimeoutMs: 1000,
    stabilizePollMs: 5,
    ...overrides,
  }).catch((e: unknown) => e);
}

describe('runDeploymentPlan', () => {
  it('runs the submit node first, sends the password on stdin only, and waits until every worker reports', async () => {
    const { calls, runnerFor } = recordingRunners({ reporting: ['w1', '10.0.0.5'] });
    const events: ProgressEvent[] = [];
    const steps = planPoolDeployment(poolInput);
    expect(await deploy(steps, { runnerFor, onProgress: (e) => events.push(e) })).toBeUndefined();
    const submitSteps = steps.filter((s) => s.node === 'submit').length;
    expect(calls.slice(0, submitSteps).every((c) => c.node === 'submit')).toBe(true);
    expect(calls.filter((c) => c.input === PASSWORD)).toHaveLength(3);
    expect(calls.some((c) => c.line.includes(PASSWORD))).toBe(false);
    expect(calls.at(-1)?.line).toBe('condor_status -af UtsnameNodename Activity');
    expect(events.at(-1)?.ratio).toBe(1);
  });

  it('throws PROTEUS_<prefix>_DEPLOY_FAILED naming the step, with the password redacted', async () => {
    const { runnerFor } = recordingRunners({ reporting: [], failOn: /stress-ng/ });
    const error = await deploy(planPoolDeployment(poolInput), { runnerFor, stabilizeTimeoutMs: 0 });
    expect(isProteusError(error, 'PROTEUS_TEST_DEPLOY_FAILED')).toBe(true);
    expect((error as { details: { step: string } }).details.step).toMatch(/^w[12]:install-injector-backends$/);
    expect((error as Error).message).not.toContain(PASSWORD);
  });

  it('throws PROTEUS_<prefix>_POOL_UNSTABLE naming the workers that never joined', async () => {
    const { runnerFor } = recordingRunners({ reporting: ['w1'] });
    const error = await deploy([], { runnerFor, stabilizeTimeoutMs: 30 });
    expect(isProteusError(error, 'PROTEUS_TEST_POOL_UNSTABLE')).toBe(true);
    expect((error as { details: { missing: string[] } }).details.missing).toEqual(['w2']);
  });
});
