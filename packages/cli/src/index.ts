export type { CliIo } from './cli-io.js';
export { formatTable, printResult } from './cli-io.js';
// The live active-learning loop (the composition root of learner, controller and testbed)
export type { LiveLoopOptions, LiveLoopSummary } from './commands/al-run.js';
export { runLiveLoop } from './commands/al-run.js';
export type { LiveBackend, LiveEvaluationSet, LiveLab, LiveLabOptions, LiveRunSet } from './live-backend.js';
export { createLiveLab } from './live-backend.js';
export { createProgram } from './main.js';
export type { CliOutcome } from './run-cli.js';
export { runCli } from './run-cli.js';
