export type { CommandResult, CommandRunner, RunCommandOptions } from './command-runner.js';
export type { LongOperationOptions, ProgressEvent } from './progress.js';
export { reportProgress, throwIfAborted } from './progress.js';
export type { ProteusErrorCode, ProteusErrorOptions } from './proteus-error.js';
export { isProteusError, ProteusError } from './proteus-error.js';
export type { Rng, RngState } from './random.js';
export { createRng, restoreRng } from './random.js';
export type { Deployment, JobRecord, RunWorkflowOptions, Testbed, WorkerInfo, WorkflowRunResult } from './testbed.js';
export { writeFileAtomic } from './write-file-atomic.js';
