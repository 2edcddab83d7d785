import {
  type CommandRunner,
  type ErrorScope,
  ProteusError,
  type Redactor,
  type RunWorkflowOptions,
  scopedCode,
  type TestbedLifecycle,
  type WorkflowRunResult,
} from '@proteus-wf/core';
import { runPegasusWorkflow } from './run-pegasus-workflow.js';

/** Options of {@link createPoolWorkflowRunner}: the cloud testbed's lifecycle, runners and Pegasus settings. */
export interface PoolWorkflowRunnerOptions {
  /** Whose codes it throws: `PROTEUS_<prefix>_PLACEMENT_UNSUPPORTED` and those of {@link runPegasusWorkflow}. */
  scope: ErrorScope;
  redactor: Redactor;
  lifecycle: Pick<TestbedLifecycle, 'guard' | 'requireDeployment'>;
  runnerFor: (node: string) => CommandRunner;
  remoteRunsDir: string;
  pollIntervalMs: number;
  timeoutMs: number;
}

/**
 * The `runWorkflow` of a testbed whose workers form an HTCondor pool (FABRIC, Chameleon): it runs the workflow with
 * {@link runPegasusWorkflow} on the deployment's submit node and refuses a placement, because HTCondor, not Proteus,
 * picks the worker of each job there.
 * @example const testbed = { runWorkflow: createPoolWorkflowRunner({ scope, redactor, lifecycle, runnerFor, ...settings }) }
 * @throws ProteusError PROTEUS_<prefix>_PLACEMENT_UNSUPPORTED, PROTEUS_<prefix>_NOT_PROVISIONED, and the codes of
 *   {@link runPegasusWorkflow}
 */
export function createPoolWorkflowRunner(
  options: PoolWorkflowRunnerOptions,
): (workflowPath: string, run: RunWorkflowOptions) => Promise<WorkflowRunResult> {
  const { scope, redactor, lifecycle, runnerFor } = options;
  return async (workflowPath, run) => {
    if (run.placement) {
      throw new ProteusError(
        scopedCode(scope, 'PLACEMENT_UNSUPPORTED'),
        `${scope.where}/runWorkflow: run ${run.runId} asks to inject on the worker of jobs ${run.placement.jobs.slice(0, 3).join(', ')}, but this testbed cannot place anomalies by job; drop the placement (inject on whole workers) or run on testbed-local`,
        { details: { runId: run.runId, jobs: [...run.placement.jobs] } },
      );
    }
    const { submitNode } = await lifecycle.requireDeployment('runWorkflow');
    return lifecycle.guard(() =>
      runPegasusWorkflow(runnerFor(submitNode.name), workflowPath, {
        ...run,
        scope,
        redactor,
        remoteRunsDir: options.remoteRunsDir,
        pollIntervalMs: options.pollIntervalMs,
        timeoutMs: options.timeoutMs,
      }),
    );
  };
}
