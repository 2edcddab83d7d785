import { findSubmitDirs, readSubmitDir } from '@proteus-wf/pegasus';

// Any Pegasus 5 submit directory: braindump.yml + the DAGMan .dag + jobstate.log + kickstart records.
const [submitDir] = await findSubmitDirs('datasets/pegasus-submit-dirs/process_wf_failure');
const run = await readSubmitDir(submitDir);
console.log(run.workflow, run.result.succeeded); // the workflow's label, false: one job failed
for (const job of run.result.jobs) {
  console.log(job.job, job.worker, 'exit', job.exitCode, (job.executeEnd - job.executeStart).toFixed(1), 's');
}
