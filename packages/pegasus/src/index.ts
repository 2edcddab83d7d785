// Public API of @proteus-wf/pegasus, one line per module (sorted by module file name).
export { buildJobRecords } from './build-job-records.js';
export type { CreateSubmitDirWriterOptions, SubmitDirJob, SubmitDirWriter } from './create-submit-dir-writer.js';
export { createSubmitDirWriter } from './create-submit-dir-writer.js';
export type { FollowSubmitDirOptions, SubmitDirEvent } from './follow-submit-dir.js';
export { followSubmitDir } from './follow-submit-dir.js';
export type { LoadSubmitDirsOptions } from './load-submit-dirs.js';
export { loadSubmitDirs } from './load-submit-dirs.js';
export type { Braindump } from './parse-braindump.js';
export { parseBraindump } from './parse-braindump.js';
export type { Jobstate, JobstateJob } from './parse-jobstate-log.js';
export { parseJobstateLog } from './parse-jobstate-log.js';
export type { KickstartRecord, ParseKickstartOptions } from './parse-kickstart.js';
export { parseKickstart } from './parse-kickstart.js';
export type { ReadSubmitDirOptions, SubmitDirRun } from './read-submit-dir.js';
export { findSubmitDirs, isSubmitDir, readSubmitDir } from './read-submit-dir.js';
export type { RunPegasusWorkflowOptions } from './run-pegasus-workflow.js';
export { runPegasusWorkflow } from './run-pegasus-workflow.js';
