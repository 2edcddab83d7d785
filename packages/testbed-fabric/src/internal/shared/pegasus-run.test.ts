import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  buildJobRecords,
  classifyJob,
  parseBraindump,
  parseDag,
  parseJobstateLog,
  parseKickstart,
} from './pegasus-run.js';

const fixtures = join(import.meta.dirname, '../../../test/fixtures/pegasus-run');
const read = (name: string) => readFile(join(fixtures, name), 'utf8');

describe('Pegasus submit-folder parsers', () => {
  it('reads braindump.yml in both the colon and the old space form', async () => {
    expect(parseBraindump(await read('braindump.yml'))).toMatchObject({ daxLabel: 'diamond', dag: 'diamond-0.dag' });
    expect(parseBraindump('wf_uuid abc\ndax_label blackdiamond\n')).toEqual({
      wfUuid: 'abc',
      daxLabel: 'blackdiamond',
    });
  });

  it('reads JOB and multi-parent PARENT ... CHILD lines', async () => {
    const dag = parseDag(await read('diamond-0.dag'));
    expect(dag.jobs).toHaveLength(5);
    expect(dag.parents.get('merge_analyze_ID0000004')).toEqual(['findrange_ID0000002', 'findrange_ID0000003']);
    expect(dag.parents.get('findrange_ID0000003')).toEqual(['preprocess_ID0000001']);
  });

  it('keeps the last occurrence of each state and counts submits in jobstate.log', async () => {
    const state = parseJobstateLog(await read('jobstate.log'));
    expect(state.dagmanStarted).toBe(1709287198);
    expect(state.dagmanFinished).toBe(1709287276);
    expect(state.dagmanStatus).toBe(0);
    const retried = state.jobs.get('findrange_ID0000003');
    expect(retried?.submits).toBe(2);
    expect(retried?.states.get('EXECUTE')).toBe(1709287241);
    expect(retried?.exitCode).toBe(0);
  });

  it('reads kickstart records, summing a clustered job and its procs', async () => {
    const [single] = parseKickstart(await read('00/00/preprocess_ID0000001.out.000'));
    expect(single).toMatchObject({
      hostname: 'worker1-container-0-3',
      transformation: 'diamond::preprocess:4.0',
      executable: '/usr/bin/pegasus-keg',
      argv: ['-a', 'preprocess', '-T', '5'],
      userSeconds: 4.81,
      bytesRead: 1048576,
      bytesWritten: 2097152,
      readSyscalls: 120,
      exitCode: 0,
    });
    expect(parseKickstart(await read('00/00/merge_analyze_ID0000004.out.000'))).toHaveLength(2);
    expect(parseKickstart(await read('00/00/findrange_ID0000003.out.000'))[0]?.exitCode).toBe(1);
  });

  it('builds job records with ready = the latest parent end (post script included)', async () => {
    const dag = parseDag(await read('diamond-0.dag'));
    const state = parseJobstateLog(await read('jobstate.log'));
    const kickstart = new Map([
      ['preprocess_ID0000001', parseKickstart(await read('00/00/preprocess_ID0000001.out.000'))],
      ['merge_analyze_ID0000004', parseKickstart(await read('00/00/merge_analyze_ID0000004.out.000'))],
    ]);
    const jobs = buildJobRecords(dag, state, kickstart);
    const byName = new Map(jobs.map((j) => [j.job, j]));
    expect(byName.get('create_dir_diamond_0_local')).toMatchObject({
      type: 'auxiliary',
      ready: 1709287198,
      worker: 'local',
    });
    expect(byName.get('preprocess_ID0000001')).toMatchObject({
      ready: 1709287211,
      submit: 1709287212,
      executeStart: 1709287215,
      executeEnd: 1709287220,
      postScriptStart: 1709287220,
      postScriptEnd: 1709287225,
      cpuTimeSeconds: 5.02,
    });
    expect(byName.get('findrange_ID0000003')).toMatchObject({ attempts: 2, executeStart: 1709287241, exitCode: 0 });
    const merged = byName.get('merge_analyze_ID0000004');
    expect(merged?.ready).toBe(1709287256);
    expect(merged?.cpuTimeSeconds).toBeCloseTo(8, 6);
    expect(merged?.bytesRead).toBe(1000);
    expect(merged?.transformation).toBe('diamond::analyze:4.0;diamond::analyze:4.0');
    expect(jobs.map((j) => j.ready)).toEqual([...jobs.map((j) => j.ready)].sort((a, b) => a - b));
  });

  it('classifies jobs by name prefix like Poseidon-X', () => {
    expect(classifyJob('stage_in_local_0')).toBe('transfer');
    expect(classifyJob('cleanup_x')).toBe('auxiliary');
    expect(classifyJob('pegasus-plan_sub')).toBe('subwf');
    expect(classifyJob('individuals_ID01')).toBe('compute');
  });
});
