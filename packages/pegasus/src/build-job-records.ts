import type { JobRecord } from '@proteus-wf/core';
import type { WorkflowGraph } from '@proteus-wf/workflow-graph';
import type { Jobstate } from './parse-jobstate-log.js';
import type { KickstartRecord } from './parse-kickstart.js';

/**
 * Joins the DAG, jobstate.log and kickstart records of one run into JobRecords (GNN paper Listing 1, Poseidon-X
 * definitions, testbeds.md §1.7 step 5): ready = max over parents of (post-script end, else execute end), the
 * workflow start for roots; execute end = JOB_SUCCESS (JOB_FAILURE / JOB_TERMINATED for failed jobs). The job type is
 * the graph's (`inferJobType`, the same as the Flow-Bench CSVs). Jobs that never reached EXECUTE are left out: they
 * have no runtime to learn from. Records are sorted by ready time, then name.
 * @example
 * const jobs = buildJobRecords(parseDagman(dagText), parseJobstateLog(jobstateText), new Map([[job, parseKickstart(out)]]));
 * @throws never
 */
export function buildJobRecords(
  graph: WorkflowGraph,
  jobstate: Jobstate,
  kickstart: ReadonlyMap<string, KickstartRecord[]>,
): JobRecord[] {
  const workflowStart =
    jobstate.dagmanStarted ?? Math.min(...[...jobstate.jobs.values()].flatMap((j) => [...j.states.values()]));
  const names = graph.jobNames();
  const finishOf = (name: string): number | undefined => {
    const states = jobstate.jobs.get(name)?.states;
    if (!states) return undefined;
    return states.get('POST_SCRIPT_SUCCESS') ?? states.get('POST_SCRIPT_TERMINATED') ?? executeEndOf(states);
  };
  const records: JobRecord[] = [];
  for (const name of names) {
    const entry = jobstate.jobs.get(name);
    if (!entry) continue;
    const s = entry.states;
    const submit = s.get('SUBMIT');
    const executeStart = s.get('EXECUTE');
    const executeEnd = executeEndOf(s);
    if (submit === undefined || executeStart === undefined || executeEnd === undefined) continue;
    const parentEnds = graph
      .parents(name)
      .map(finishOf)
      .filter((t): t is number => t !== undefined);
    const tasks = kickstart.get(name) ?? [];
    const first = tasks[0];
    const record: JobRecord = {
      job: name,
      type: recordTypeOf(graph.job(name).type),
      transformation: tasks.map((t) => t.transformation).join(';'),
      worker: first?.hostname || entry.site || '',
      ready: parentEnds.length > 0 ? Math.max(...parentEnds) : workflowStart,
      submit,
      executeStart,
      executeEnd,
      cpuTimeSeconds: tasks.reduce((total, t) => total + t.userSeconds + t.systemSeconds, 0),
      bytesRead: tasks.reduce((total, t) => total + t.bytesRead, 0),
      bytesWritten: tasks.reduce((total, t) => total + t.bytesWritten, 0),
      exitCode: entry.exitCode ?? Math.max(0, ...tasks.map((t) => t.exitCode)),
      attempts: Math.max(1, entry.submits),
      executable: tasks.map((t) => t.executable).join(';'),
      argv: tasks.flatMap((t) => t.argv),
    };
    const optional: Array<[keyof JobRecord, number | undefined]> = [
      ['preScriptStart', s.get('PRE_SCRIPT_STARTED')],
      ['preScriptEnd', s.get('PRE_SCRIPT_SUCCESS') ?? s.get('PRE_SCRIPT_TERMINATED')],
      ['postScriptStart', s.get('POST_SCRIPT_STARTED')],
      ['postScriptEnd', s.get('POST_SCRIPT_SUCCESS') ?? s.get('POST_SCRIPT_TERMINATED')],
    ];
    for (const [key, value] of optional) if (value !== undefined) Object.assign(record, { [key]: value });
    const sumOptional = (pick: (t: KickstartRecord) => number | undefined): number | undefined =>
      tasks.some((t) => pick(t) !== undefined) ? tasks.reduce((total, t) => total + (pick(t) ?? 0), 0) : undefined;
    const extra: Array<[keyof JobRecord, number | undefined]> = [
      ['readSyscalls', sumOptional((t) => t.readSyscalls)],
      ['writeSyscalls', sumOptional((t) => t.writeSyscalls)],
      ['userSeconds', tasks.length > 0 ? sumOptional((t) => t.userSeconds) : undefined],
      ['systemSeconds', tasks.length > 0 ? sumOptional((t) => t.systemSeconds) : undefined],
    ];
    for (const [key, value] of extra) if (value !== undefined) Object.assign(record, { [key]: value });
    records.push(record);
  }
  return records.sort((a, b) => a.ready - b.ready || a.job.localeCompare(b.job));
}

function executeEndOf(states: Map<string, number>): number | undefined {
  return (
    states.get('JOB_SUCCESS') ?? states.get('JOB_FAILURE') ?? states.get('JOB_TERMINATED') ?? states.get('JOB_ABORTED')
  );
}

const RECORD_TYPES: ReadonlySet<string> = new Set<JobRecord['type']>(['auxiliary', 'compute', 'transfer', 'subwf']);

/** A DAGMan graph only has the four trace types; any other format's type reads as `compute`. */
function recordTypeOf(type: string): JobRecord['type'] {
  return RECORD_TYPES.has(type) ? (type as JobRecord['type']) : 'compute';
}
