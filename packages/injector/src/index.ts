export type {
  AnomalySpec,
  CpuAnomalySpec,
  DiskAnomalySpec,
  NetworkAnomalySpec,
  NoAnomalySpec,
  ParseAnomalyOptions,
  StressAnomalySpec,
} from './anomaly-spec.js';
export { describeAnomaly, parseAnomaly, validateAnomaly } from './anomaly-spec.js';
export type {
  BackendName,
  Capabilities,
  Capability,
  DetectCapabilitiesOptions,
} from './detect-capabilities.js';
export { detectCapabilities } from './detect-capabilities.js';
export type { DockerPlan, DockerPlanOptions } from './docker-plan.js';
export { planDockerFlags } from './docker-plan.js';
export type {
  AnomalyHandle,
  ApplyOptions,
  Injector,
  InjectorOptions,
  RecoverOptions,
  RecoverResult,
  RejectedEntry,
  RevertResult,
} from './injector.js';
export { createInjector, MAX_DURATION_SEC, recoverLedger } from './injector.js';
export { forgetHostKeys, listKnownHosts } from './known-hosts.js';
export type { CgroupKnob, InverseAction, LedgerEntry, LedgerOwner, LedgerRecord, RevertReason } from './ledger.js';
export { LEDGER_VERSION, readLedger } from './ledger.js';
export type { LocalRunnerOptions } from './local-runner.js';
export { createLocalRunner } from './local-runner.js';
export { createNetnsRunner } from './netns-runner.js';
export type { DeploymentStep, PoolNode, PoolPlanInput } from './plan-pool-deployment.js';
export { describeStep, planPoolDeployment } from './plan-pool-deployment.js';
export type {
  AnomalyCounters,
  CpuThrottleCounters,
  DiskIoCounters,
  PacketDropCounters,
  ReadAnomalyCountersOptions,
} from './read-anomaly-counters.js';
export { readAnomalyCounters } from './read-anomaly-counters.js';
export type { RevertAtDeadlineOptions, RevertAtDeadlineOutcome } from './revert-at-deadline.js';
export { revertAtDeadline } from './revert-at-deadline.js';
export type { RunDeploymentPlanOptions } from './run-deployment-plan.js';
export { runDeploymentPlan } from './run-deployment-plan.js';
export type { RunnerForTargetOptions } from './runner-for-target.js';
export { runnerForTarget } from './runner-for-target.js';
export type { SshRunnerFactory, SshRunnerOptions } from './ssh-runner.js';
export { buildSshArgs, createSshRunner, quoteShellArgument } from './ssh-runner.js';
export type { Target } from './targets.js';
export { formatTarget, parseTarget } from './targets.js';
