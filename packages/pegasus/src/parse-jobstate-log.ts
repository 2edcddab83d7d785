/* Pegasus submit-folder files: jobstate.log, the per-state timeline of every DAG node. */

/** What jobstate.log says about one DAG node. */
export interface JobstateJob {
  /** Last timestamp of each state (retries overwrite earlier attempts). */
  states: Map<string, number>;
  submits: number;
  site?: string;
  exitCode?: number;
}

/** A parsed jobstate.log. */
export interface Jobstate {
  dagmanStarted?: number;
  dagmanFinished?: number;
  /** DAGMan's exit status from the DAGMAN_FINISHED line. */
  dagmanStatus?: number;
  jobs: Map<string, JobstateJob>;
}

/**
 * Reads a Pegasus `jobstate.log` (testbeds.md §1.7 step 3): `<epoch> <job> <STATE> <condor_id|exitcode> <site>
 * <walltime|-> <seq>` lines plus `INTERNAL *** DAGMAN_STARTED|DAGMAN_FINISHED <status> ***` lines. The last
 * occurrence of each state wins (a retry overwrites the earlier attempt); SUBMIT lines are counted as attempts.
 * Lines that do not start with an epoch are skipped, so a log read while DAGMan still writes it is fine.
 * @example parseJobstateLog(text).jobs.get('preprocess_ID0000001')?.states.get('EXECUTE') // 1709287215
 * @throws never
 */
export function parseJobstateLog(text: string): Jobstate {
  const out: Jobstate = { jobs: new Map() };
  for (const line of text.split(/\r?\n/)) {
    const fields = line.trim().split(/\s+/);
    const ts = Number(fields[0]);
    if (fields.length < 3 || !Number.isFinite(ts)) continue;
    const job = fields[1] as string;
    if (job === 'INTERNAL') {
      const event = fields[3];
      if (event === 'DAGMAN_STARTED') out.dagmanStarted = ts;
      if (event === 'DAGMAN_FINISHED') {
        out.dagmanFinished = ts;
        const status = Number(fields[4]);
        if (Number.isFinite(status)) out.dagmanStatus = status;
      }
      continue;
    }
    const state = fields[2] as string;
    const entry = out.jobs.get(job) ?? { states: new Map<string, number>(), submits: 0 };
    entry.states.set(state, ts);
    if (state === 'SUBMIT') entry.submits++;
    if (fields[4] && fields[4] !== '-' && fields[4] !== 'None') entry.site = fields[4];
    if (state === 'JOB_SUCCESS') entry.exitCode = 0;
    if (state === 'SUBMIT') delete entry.exitCode;
    // The job's own exit code (JOB_FAILURE) wins over pegasus-exitcode's verdict on the same attempt.
    if (state === 'JOB_FAILURE' || (state === 'POST_SCRIPT_FAILURE' && !entry.exitCode)) {
      const code = Number(fields[3]);
      entry.exitCode = Number.isFinite(code) && code !== 0 ? code : 1;
    }
    if (state === 'POST_SCRIPT_SUCCESS') entry.exitCode = 0;
    out.jobs.set(job, entry);
  }
  return out;
}
