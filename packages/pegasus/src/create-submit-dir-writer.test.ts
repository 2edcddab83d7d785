import { join } from 'node:path';
import type { JobRecord } from '@proteus-wf/core';
import { describe, expect, it } from 'vitest';
import { createTempDir } from '../test/helpers.js';
import { createSubmitDirWriter } from './create-submit-dir-writer.js';
import { followSubmitDir } from './follow-submit-dir.js';
import { readSubmitDir } from './read-submit-dir.js';

const jobs = [
  { name: 'preprocess_ID0000001', parents: [] },
  { name: 'findrange_ID0000002', parents: ['preprocess_ID0000001'] },
  { name: 'analyze_ID0000003', parents: ['findrange_ID0000002'] },
];

function record(job: string, start: number, extra: Partial<JobRecord> = {}): JobRecord {
  return {
    job,
    type: 'compute',
    transformation: job.split('_')[0] as string,
    worker: 'worker-1',
    ready: start - 0.5,
    submit: start - 0.25,
    executeStart: start,
    executeEnd: start + 1.25,
    cpuTimeSeconds: 1.125,
    bytesRead: 2048,
    bytesWritten: 512,
    exitCode: 0,
    attempts: 1,
    executable: `/bin/${job}`,
    argv: ['-n', '1'],
    ...extra,
  };
}

describe('createSubmitDirWriter', () => {
  it('writes a submit directory that readSubmitDir and followSubmitDir read back record for record', async () => {
    const temp = await createTempDir('proteus-pegasus-writer-');
    try {
      const dir = join(temp.path, 'submit');
      const writer = createSubmitDirWriter(dir, { workflow: 'chain', jobs });
      const written = [
        record('preprocess_ID0000001', 1000.5),
        record('findrange_ID0000002', 1002.25, { exitCode: 3, attempts: 1 }),
        record('findrange_ID0000002', 1004.5, { attempts: 2, postScriptStart: 1005.875, postScriptEnd: 1006 }),
        record('analyze_ID0000003', 1007),
      ];
      await writer.start(1000);
      for (const r of written) await writer.jobFinished(r);
      await writer.finish(1009, true);

      const run = await readSubmitDir(dir);
      expect(run.workflow).toBe('chain');
      expect(run.result.succeeded).toBe(true);
      const read = new Map(run.result.jobs.map((job) => [job.job, job]));
      const retried = read.get('findrange_ID0000002');
      expect(retried).toMatchObject({
        attempts: 2,
        exitCode: 0,
        submit: 1004.25,
        executeStart: 1004.5,
        executeEnd: 1005.75,
        postScriptEnd: 1006,
        cpuTimeSeconds: 1.125,
        bytesRead: 2048,
        bytesWritten: 512,
        worker: 'worker-1',
        argv: ['-n', '1'],
      });
      // ready is Poseidon-X's: the parent's post-script end, else its execute end.
      expect(read.get('analyze_ID0000003')?.ready).toBe(1006);
      const followed = [];
      for await (const event of followSubmitDir(dir, { pollIntervalMs: 10 })) followed.push(event);
      expect(followed.map((e) => (e.kind === 'job' ? e.record.job : e.kind))).toEqual([
        'preprocess_ID0000001',
        'findrange_ID0000002',
        'analyze_ID0000003',
        'finished',
      ]);
    } finally {
      await temp.dispose();
    }
  });

  it('throws PROTEUS_PEGASUS_INVALID_OPTION for a job name DAGMan cannot take', () => {
    expect(() => createSubmitDirWriter('x', { workflow: 'w', jobs: [{ name: 'a job', parents: [] }] })).toThrow(
      expect.objectContaining({ code: 'PROTEUS_PEGASUS_INVALID_OPTION' }),
    );
  });
});
