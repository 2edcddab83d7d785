export type { RetryPolicy, SleepOptions } from './backoff.js';
export { backoffDelay, DEFAULT_RETRY, sleep } from './backoff.js';
export type { CommandResult, CommandRunner, RunCommandOptions } from './command-runner.js';
export type {
  ExperimentRequest,
  ExperimentRequestFile,
  ExperimentRequestProblem,
  ValidateExperimentRequestFileOptions,
} from './experiment-requests.js';
export { validateExperimentRequestFile } from './experiment-requests.js';
export type { FileLockOptions } from './file-lock.js';
export { withFileLock } from './file-lock.js';
export type { HttpClient, HttpClientOptions, HttpRequest, HttpResponse } from './http-client.js';
export { createHttpClient, httpBodyOf, httpStatusOf, retryAfterMs } from './http-client.js';
export type { ProcessIdentity } from './process-liveness.js';
export { currentProcessIdentity, isProcessIdentityAlive } from './process-liveness.js';
export type { LongOperationOptions, ProgressEvent } from './progress.js';
export { reportProgress, throwIfAborted } from './progress.js';
export type { ErrorScope, ProteusErrorCode, ProteusErrorOptions } from './proteus-error.js';
export { isProteusError, ProteusError, scopedCode } from './proteus-error.js';
export type { Rng, RngState } from './random.js';
export { createRng, restoreRng } from './random.js';
export type { Redactor } from './redactor.js';
export { createRedactor, redactSecrets } from './redactor.js';
export type { ResourceTracker, ResourceTrackerOptions, TestbedState, TrackedResource } from './resource-tracker.js';
export { createResourceTracker } from './resource-tracker.js';
export type {
  Deployment,
  JobFailure,
  JobPlacement,
  JobRecord,
  RunWorkflowOptions,
  Testbed,
  WorkerInfo,
  WorkflowRunResult,
} from './testbed.js';
export type { SubmitDeployment, TestbedLifecycle, TestbedLifecycleOptions } from './testbed-lifecycle.js';
export { createTestbedLifecycle } from './testbed-lifecycle.js';
export { writeFileAtomic } from './write-file-atomic.js';
