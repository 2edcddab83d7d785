/*
 * The controller reads each run back through the Pegasus reader, as it would read a real Pegasus run: a testbed that
 * writes a submit directory (testbed-local: `<workDir>/submit`) is trusted for what that directory says, and the
 * directory is kept next to the run's Flow-Bench CSV (`<workflow>/<run>.submit/`) for `proteus watch` and
 * `loadSubmitDirs`.
 */
import { rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ProteusError, type WorkflowRunResult } from '@proteus-wf/core';
import { isSubmitDir, readSubmitDir } from '@proteus-wf/pegasus';

/**
 * The run as its submit directory tells it (job records from kickstart records and jobstate.log), moved to `keepAt`;
 * the testbed's own result when it wrote no submit directory.
 * @throws ProteusError PROTEUS_CONTROLLER_READBACK_MISMATCH when the directory lacks jobs the testbed reported
 */
export async function readBackRun(
  workDir: string,
  result: WorkflowRunResult,
  keepAt: string,
  where: string,
): Promise<{ result: WorkflowRunResult; submitDir: string | null }> {
  const dir = join(workDir, 'submit');
  if (!(await isSubmitDir(dir))) return { result, submitDir: null };
  const read = await readSubmitDir(dir);
  const found = new Set(read.result.jobs.map((job) => job.job));
  const missing = result.jobs.map((job) => job.job).filter((job) => !found.has(job));
  if (missing.length > 0 || read.result.jobs.length !== result.jobs.length) {
    throw new ProteusError(
      'PROTEUS_CONTROLLER_READBACK_MISMATCH',
      `${where}: the submit directory of ${result.runId} holds ${read.result.jobs.length} job(s), the testbed reported ${result.jobs.length}${missing.length > 0 ? ` (missing: ${missing.slice(0, 5).join(', ')})` : ''}. The testbed wrote an incomplete submit directory (${dir}); rerun the run.`,
      { details: { runId: result.runId, missing, submitDir: dir } },
    );
  }
  await rm(keepAt, { recursive: true, force: true });
  await rename(dir, keepAt);
  return { result: { ...result, jobs: read.result.jobs }, submitDir: keepAt };
}
