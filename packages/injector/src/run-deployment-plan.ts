import {
  type CommandRunner,
  type ErrorScope,
  type LongOperationOptions,
  ProteusError,
  type Redactor,
  reportProgress,
  scopedCode,
  sleep,
  throwIfAborted,
} from '@proteus-wf/core';
import { type DeploymentStep, describeStep, type PoolPlanInput } from './plan-pool-deployment.js';

const STATUS_TIMEOUT_MS = 2 * 60_000;

/** Options of {@link runDeploymentPlan}. */
export interface RunDeploymentPlanOptions extends LongOperationOptions {
  /** Whose codes it throws: `PROTEUS_<prefix>_DEPLOY_FAILED`, `PROTEUS_<prefix>_POOL_UNSTABLE`. */
  scope: ErrorScope;
  redactor: Redactor;
  runnerFor: (node: string) => CommandRunner;
  poolPassword: string;
  /** Poll of `condor_status` until every worker reports; 0 skips the wait. */
  stabilizeTimeoutMs: number;
  stabilizePollMs: number;
}

/**
 * Runs a plan over each node's CommandRunner: the submit node first (the central manager must exist), then every
 * other node in parallel, each node's steps in order; the pool password goes on stdin only and is added to the
 * redactor. Then polls `condor_status` on the submit node until every worker's startd reports to the collector.
 * @example
 * await runDeploymentPlan(planPoolDeployment(input), input, {
 *   scope, redactor, runnerFor, poolPassword, stabilizeTimeoutMs: 120_000, stabilizePollMs: 20_000, signal,
 * });
 * @throws ProteusError PROTEUS_<prefix>_DEPLOY_FAILED naming the node, step and exit code;
 *   PROTEUS_<prefix>_POOL_UNSTABLE naming the workers that did not join; PROTEUS_CORE_ABORTED
 */
export async function runDeploymentPlan(
  steps: DeploymentStep[],
  input: PoolPlanInput,
  options: RunDeploymentPlanOptions,
): Promise<void> {
  const { scope, redactor } = options;
  redactor.add(options.poolPassword);
  let done = 0;
  const runStep = async (step: DeploymentStep): Promise<void> => {
    throwIfAborted(options.signal, `${scope.where}/deploy`);
    const stdin =
      step.input === undefined ? undefined : 'secret' in step.input ? options.poolPassword : step.input.text;
    const result = await options.runnerFor(step.node).run(step.file, step.args, {
      timeoutMs: step.timeoutMs,
      signal: options.signal,
      input: stdin,
      allowFailure: true,
    });
    if (result.exitCode !== 0) {
      throw new ProteusError(
        scopedCode(scope, 'DEPLOY_FAILED'),
        redactor.redact(
          `${scope.where}/deploy: step "${step.id}" (${step.description}) exited ${result.exitCode} on ${step.node}: ` +
            `${(result.stderr || result.stdout).trim().slice(-400) || '(no output)'}. Fix the node and run provision again; ` +
            'every step is safe to repeat.',
        ),
        { details: { step: step.id, node: step.node, exitCode: result.exitCode, command: describeStep(step) } },
      );
    }
    done++;
    reportProgress(options.onProgress, {
      phase: 'deploy',
      ratio: done / steps.length,
      message: step.id,
      data: { done, total: steps.length },
    });
  };
  const byNode = new Map<string, DeploymentStep[]>();
  for (const step of steps) byNode.set(step.node, [...(byNode.get(step.node) ?? []), step]);
  for (const step of byNode.get(input.submit.name) ?? []) await runStep(step);
  await Promise.all(
    [...byNode.entries()]
      .filter(([node]) => node !== input.submit.name)
      .map(async ([, nodeSteps]) => {
        for (const step of nodeSteps) await runStep(step);
      }),
  );
  if (options.stabilizeTimeoutMs > 0 && input.workers.length > 0) await waitForPool(input, options);
}

async function waitForPool(input: PoolPlanInput, options: RunDeploymentPlanOptions): Promise<void> {
  const { scope } = options;
  const deadline = Date.now() + options.stabilizeTimeoutMs;
  let missing: string[] = input.workers.map((w) => w.name);
  for (;;) {
    const result = await options
      .runnerFor(input.submit.name)
      .run('condor_status', ['-af', 'UtsnameNodename', 'Activity'], {
        timeoutMs: STATUS_TIMEOUT_MS,
        signal: options.signal,
        allowFailure: true,
      });
    if (result.exitCode === 0) {
      const reporting = new Set(
        result.stdout
          .split('\n')
          .map((line) => line.trim().split(/\s+/)[0])
          .filter((name): name is string => !!name),
      );
      missing = input.workers.filter((w) => !reporting.has(w.name) && !reporting.has(w.address)).map((w) => w.name);
      if (missing.length === 0) return;
    }
    if (Date.now() >= deadline) {
      throw new ProteusError(
        scopedCode(scope, 'POOL_UNSTABLE'),
        `${scope.where}/deploy: workers ${missing.join(', ')} did not join the HTCondor pool on ${input.submit.name} ` +
          `within ${options.stabilizeTimeoutMs} ms. Check their condor logs (/var/log/condor/StartLog) and the firewall.`,
        { details: { missing } },
      );
    }
    await sleep(options.stabilizePollMs, { signal: options.signal, where: `${scope.where}/deploy` });
  }
}
