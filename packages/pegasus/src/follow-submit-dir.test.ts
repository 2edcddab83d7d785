import { appendFile, copyFile, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isProteusError } from '@proteus-wf/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTempDir, fixture } from '../test/helpers.js';
import { followSubmitDir, type SubmitDirEvent } from './follow-submit-dir.js';

const RUN = fixture('pegasus-run');
let temp: { path: string; dispose: () => Promise<void> };
let lines: string[];

beforeEach(async () => {
  temp = await createTempDir('proteus-pegasus-follow-');
  await mkdir(join(temp.path, 'submit', '00', '00'), { recursive: true });
  for (const name of ['braindump.yml', 'diamond-0.dag'])
    await copyFile(join(RUN, name), join(temp.path, 'submit', name));
  await writeFile(join(temp.path, 'submit', 'jobstate.log'), '');
  lines = (await readFile(join(RUN, 'jobstate.log'), 'utf8')).split('\n').filter(Boolean);
});
afterEach(() => temp.dispose());

const submit = () => join(temp.path, 'submit');
const log = (text: string) => appendFile(join(submit(), 'jobstate.log'), text);
const kickstart = (job: string, attempt: string, from = job) =>
  copyFile(join(RUN, '00', '00', `${from}.out.${attempt}`), join(submit(), '00', '00', `${job}.out.${attempt}`));

async function nextJob(events: AsyncGenerator<SubmitDirEvent>): Promise<SubmitDirEvent> {
  const next = await events.next();
  if (next.done) throw new Error('the follow ended');
  return next.value;
}

describe('followSubmitDir', () => {
  it('yields each job once its end and its kickstart record are there, across partial lines, a restart and a rotated log', async () => {
    const stateFile = join(temp.path, 'follow.json');
    const first = followSubmitDir(submit(), { pollIntervalMs: 10, stateFile });
    // Lines 1-9 end create_dir; line 10 is cut in the middle, as a writer may leave it.
    await log(`${lines.slice(0, 9).join('\n')}\n${lines[9]?.slice(0, 20)}`);
    await kickstart('create_dir_diamond_0_local', '000', 'preprocess_ID0000001');
    const createDir = await nextJob(first);
    expect(createDir).toMatchObject({
      kind: 'job',
      record: { job: 'create_dir_diamond_0_local', postScriptEnd: 1709287211 },
    });

    // preprocess ends in jobstate.log before its kickstart record exists: it is reported with the record's data.
    await log(`${lines[9]?.slice(20)}\n${lines.slice(10, 16).join('\n')}\n`);
    const pending = nextJob(first);
    await new Promise((r) => setTimeout(r, 50));
    await kickstart('preprocess_ID0000001', '000');
    const preprocess = await pending;
    expect(preprocess).toMatchObject({
      record: { job: 'preprocess_ID0000001', submit: 1709287212, executeEnd: 1709287220 },
    });
    expect(preprocess.kind === 'job' && preprocess.record.worker).not.toBe('condorpool');
    await first.return(undefined);

    // A restart resumes from the state file; meanwhile the log was rotated: a new file holds the later lines.
    const rotated = join(submit(), 'jobstate.log.new');
    await writeFile(rotated, `${lines.slice(16).join('\n')}\n`);
    await rename(rotated, join(submit(), 'jobstate.log'));
    for (const [job, attempt] of [
      ['findrange_ID0000002', '000'],
      ['findrange_ID0000003', '000'],
      ['findrange_ID0000003', '001'],
      ['merge_analyze_ID0000004', '000'],
    ] as const) {
      await kickstart(job, attempt);
    }
    const rest: SubmitDirEvent[] = [];
    for await (const event of followSubmitDir(submit(), { pollIntervalMs: 10, stateFile })) rest.push(event);
    expect(rest.map((e) => (e.kind === 'job' ? e.record.job : e.kind))).toEqual([
      'findrange_ID0000002',
      'findrange_ID0000003',
      'merge_analyze_ID0000004',
      'finished',
    ]);
    const retried = rest.find((e) => e.kind === 'job' && e.record.job === 'findrange_ID0000003');
    expect(retried).toMatchObject({ record: { attempts: 2, exitCode: 0, executeStart: 1709287241 } });
    expect(rest.at(-1)).toEqual({ kind: 'finished', status: 0, jobs: 5 });
  });

  it('reports a finished workflow at once; without a kickstart record after DAGMAN_FINISHED a job is reported from jobstate.log alone', async () => {
    await log(`${lines.join('\n')}\n`);
    for (const job of ['preprocess_ID0000001', 'findrange_ID0000002', 'merge_analyze_ID0000004'])
      await kickstart(job, '000');
    await kickstart('findrange_ID0000003', '001');
    const events: SubmitDirEvent[] = [];
    for await (const event of followSubmitDir(submit(), { pollIntervalMs: 10 })) events.push(event);
    expect(events).toHaveLength(6);
    expect(events.find((e) => e.kind === 'job' && e.record.job === 'create_dir_diamond_0_local')).toMatchObject({
      record: { worker: 'local', cpuTimeSeconds: 0 },
    });
  });

  it('throws PROTEUS_PEGASUS_STATE_INVALID for a state file of another submit directory or another program', async () => {
    const stateFile = join(temp.path, 'state.json');
    const codeOf = async (path: string) => {
      try {
        await followSubmitDir(path, { stateFile, pollIntervalMs: 10 }).next();
      } catch (error) {
        return isProteusError(error) ? error.code : String(error);
      }
      return 'no error';
    };
    await writeFile(stateFile, '{"some": "thing"}');
    expect(await codeOf(submit())).toBe('PROTEUS_PEGASUS_STATE_INVALID');
    await writeFile(
      stateFile,
      JSON.stringify({ format: 'proteus-follow', version: 1, submitDir: '/elsewhere', offset: 0 }),
    );
    expect(await codeOf(submit())).toBe('PROTEUS_PEGASUS_STATE_INVALID');
  });
});
