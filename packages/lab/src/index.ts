// The live lab: a testbed, a held-out test set, a scaler, and experiment backends for the active learner

// The loop over strategies, with checkpoints, summary.json and report.html
export type { LiveLoopPaths } from './checkpoints.js';
export { liveLoopPaths } from './checkpoints.js';
export type { LiveRunSet } from './collect-run-set.js';
export type { LiveBackend } from './create-live-backend.js';
export type { LiveEvaluationSet, LiveLab, LiveLabOptions } from './create-live-lab.js';
export { createLiveLab } from './create-live-lab.js';
export type { LiveLoopDefaults, LiveLoopOptions, LiveLoopSummary } from './run-live-loop.js';
export { LIVE_LOOP_DEFAULTS, runLiveLoop } from './run-live-loop.js';
