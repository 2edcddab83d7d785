import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseDagman } from '@proteus-wf/workflow-graph';
import { describe, expect, it } from 'vitest';
import { buildJobRecords } from './build-job-records.js';
import { parseJobstateLog } from './parse-jobstate-log.js';
import { parseKickstart } from './parse-kickstart.js';

const fixtures = join(import.meta.dirname, '../test/fixtures/pegasus-run');
const read = (name: string) => readFile(join(fixtures, name), 'utf8');

describe('buildJobRecords', () => {
  it('builds job records with ready = the latest parent end (post script included)', async () => {
    const dag = parseDagman(await read('diamond-0.dag'));
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
      type: 'compute',
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

  it('leaves out jobs that never executed', () => {
    const dag = parseDagman('JOB a a.sub\nJOB b b.sub\nPARENT a CHILD b\n');
    const state = parseJobstateLog(
      [
        '10 INTERNAL *** DAGMAN_STARTED 0 ***',
        '11 a SUBMIT 1.0 local',
        '12 a EXECUTE 1.0 local',
        '13 a JOB_SUCCESS 0 local',
      ].join('\n'),
    );
    expect(buildJobRecords(dag, state, new Map()).map((j) => j.job)).toEqual(['a']);
  });
});
