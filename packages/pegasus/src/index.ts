// Public API of @proteus-wf/pegasus, one line per module (sorted by module file name).
export { buildJobRecords } from './build-job-records.js';
export type { Braindump } from './parse-braindump.js';
export { parseBraindump } from './parse-braindump.js';
export type { Jobstate, JobstateJob } from './parse-jobstate-log.js';
export { parseJobstateLog } from './parse-jobstate-log.js';
export type { KickstartRecord, ParseKickstartOptions } from './parse-kickstart.js';
export { parseKickstart } from './parse-kickstart.js';
export type { RunPegasusWorkflowOptions } from './run-pegasus-workflow.js';
export { runPegasusWorkflow } from './run-pegasus-workflow.js';
