// The testbed
export type {
  LocalDeployment,
  LocalTestbed,
  LocalTestbedOptions,
  LocalWorkerInfo,
  WorkerSpec,
} from './create-local-testbed.js';
export { createLocalTestbed } from './create-local-testbed.js';
// Workflows
export type { LocalJob, LocalWorkflow } from './load-local-workflow.js';
export { loadLocalWorkflow } from './load-local-workflow.js';
// Recovery after a crash
export type {
  RecoveredTestbed,
  RecoverLocalTestbedsOptions,
  RecoverLocalTestbedsResult,
} from './recover-local-testbeds.js';
export { recoverLocalTestbeds } from './recover-local-testbeds.js';
