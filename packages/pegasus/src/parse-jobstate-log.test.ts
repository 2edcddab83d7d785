import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseJobstateLog } from './parse-jobstate-log.js';

const fixtures = join(import.meta.dirname, '../test/fixtures/pegasus-run');

describe('parseJobstateLog', () => {
  it('keeps the last occurrence of each state and counts submits in jobstate.log', async () => {
    const state = parseJobstateLog(await readFile(join(fixtures, 'jobstate.log'), 'utf8'));
    expect(state.dagmanStarted).toBe(1709287198);
    expect(state.dagmanFinished).toBe(1709287276);
    expect(state.dagmanStatus).toBe(0);
    const retried = state.jobs.get('findrange_ID0000003');
    expect(retried?.submits).toBe(2);
    expect(retried?.states.get('EXECUTE')).toBe(1709287241);
    expect(retried?.exitCode).toBe(0);
  });

  it('reads a log that DAGMan is still writing: no finish yet, partial lines skipped', () => {
    const state = parseJobstateLog('1709287198 INTERNAL *** DAGMAN_STARTED 0 ***\n1709287212 a SUBMIT 12.0 cond');
    expect(state.dagmanStarted).toBe(1709287198);
    expect(state.dagmanFinished).toBeUndefined();
    expect(state.jobs.get('a')?.submits).toBe(1);
  });
});
