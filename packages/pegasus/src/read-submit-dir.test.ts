import { cp, mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isProteusError } from '@proteus-wf/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTempDir, fixture, hasSharedDatasets, sharedDataset } from '../test/helpers.js';
import { findSubmitDirs, isSubmitDir, readSubmitDir } from './read-submit-dir.js';

const SUBMIT_DIRS = sharedDataset('pegasus-submit-dirs');
const real = (name: string) => join(SUBMIT_DIRS, name);

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return isProteusError(error) ? error.code : String(error);
  }
  return 'no error';
}

describe('readSubmitDir', () => {
  it('joins the fixture run: every job of the diamond with its kickstart record', async () => {
    const run = await readSubmitDir(fixture('pegasus-run'));
    expect(run.workflow).toBe('diamond');
    expect(run.result.jobs.map((job) => job.job).sort()).toEqual([
      'create_dir_diamond_0_local',
      'findrange_ID0000002',
      'findrange_ID0000003',
      'merge_analyze_ID0000004',
      'preprocess_ID0000001',
    ]);
    expect(run.result.jobs.every((job) => job.worker !== '')).toBe(true);
  });

  describe.skipIf(!hasSharedDatasets)('on real Pegasus 5 submit directories', () => {
    it('reads a failed job: its own exit code (JOB_FAILURE 2), the last of its two attempts', async () => {
      const run = await readSubmitDir(real('process_wf_failure'));
      expect(run.workflow).toBe('process');
      const ls = run.result.jobs.find((job) => job.job === 'ls_ID0000001');
      expect(ls).toMatchObject({ exitCode: 2, attempts: 2, transformation: 'ls', argv: ['-z', '/'] });
      expect(run.result.succeeded).toBe(false);
      expect(run.result.jobs.map((job) => job.job)).not.toContain('cleanup_process_0_local');
    });

    it('reads a held job (JOB_HELD, then JOB_ABORTED) as a failed execution', async () => {
      const run = await readSubmitDir(real('sample_wf_held'));
      const held = run.result.jobs.find((job) => job.job === 'chebi_drug_loader_ID0000001');
      expect(held?.exitCode).not.toBe(0);
      expect(held?.executeEnd).toBe(1678036326);
    });

    it('reads a hierarchical workflow whose sub-workflow was never planned: the subwf job is left out', async () => {
      const run = await readSubmitDir(real('hierarchical_wf_failure'));
      expect(run.graph.job('pegasus-plan_diamond_subworkflow').type).toBe('subwf');
      expect(run.result.jobs.map((job) => job.job)).not.toContain('pegasus-plan_diamond_subworkflow');
      expect(run.subWorkflows).toEqual([]);
    });

    describe('a hierarchical workflow with a planned sub-workflow', () => {
      let temp: { path: string; dispose: () => Promise<void> };
      beforeAll(async () => {
        temp = await createTempDir('proteus-pegasus-hier-');
        // The parent is the real hierarchical run; a real run of another workflow stands in for the sub-workflow's
        // submit folder, where Pegasus 5 puts it (00/00/<label>_<job id>).
        await cp(real('hierarchical_wf_failure'), join(temp.path, 'top'), { recursive: true });
        const sub = join(temp.path, 'top', '00', '00', 'blackdiamond_diamond_subworkflow');
        await mkdir(sub, { recursive: true });
        await cp(real('process_wf_failure'), sub, { recursive: true });
      });
      afterAll(() => temp.dispose());

      it('merges the sub-workflow jobs as <subwf job>::<job>, between the subwf job and its children', async () => {
        const run = await readSubmitDir(join(temp.path, 'top'));
        const subJob = 'pegasus-plan_diamond_subworkflow';
        expect(run.subWorkflows).toHaveLength(1);
        expect(run.graph.size).toBe(13 + 5);
        expect(run.graph.parents(`${subJob}::create_dir_process_0_local`)).toEqual([subJob]);
        // The sub-workflow's sinks (its cleanup and register jobs) precede the subwf job's children.
        expect(run.graph.parents('wc_ID0000002').sort()).toEqual(
          [subJob, `${subJob}::cleanup_process_0_local`, `${subJob}::register_local_0_0`].sort(),
        );
        expect(run.result.jobs.map((job) => job.job)).toContain(`${subJob}::ls_ID0000001`);
        expect(await findSubmitDirs(temp.path)).toEqual([join(temp.path, 'top')]);
      });
    });

    it('reads a submit directory without jobstate.log from its kickstart records (start + duration)', async () => {
      const temp = await createTempDir('proteus-pegasus-nolog-');
      try {
        await cp(real('process_wf_failure'), temp.path, { recursive: true });
        await rm(join(temp.path, 'jobstate.log'));
        const run = await readSubmitDir(temp.path);
        const ls = run.result.jobs.find((job) => job.job === 'ls_ID0000001');
        expect(ls).toMatchObject({ exitCode: 2, executeStart: Date.parse('2023-03-03T23:11:15.691-08:00') / 1000 });
        expect(ls && ls.executeEnd - ls.executeStart).toBeGreaterThan(0);
        expect(run.result.jobs.map((job) => job.job)).toContain('create_dir_process_0_local');
      } finally {
        await temp.dispose();
      }
    });

    it('finds the three submit directories of the shared folder', async () => {
      expect((await findSubmitDirs(SUBMIT_DIRS)).map((dir) => dir.slice(SUBMIT_DIRS.length + 1))).toEqual([
        'hierarchical_wf_failure',
        'process_wf_failure',
        'sample_wf_held',
      ]);
      expect(await isSubmitDir(real('sample_wf_held'))).toBe(true);
      expect(await isSubmitDir(SUBMIT_DIRS)).toBe(false);
    });

    it('throws PROTEUS_PEGASUS_NOT_A_SUBMIT_DIR for a folder without braindump.yml', async () => {
      expect(await codeOf(readSubmitDir(SUBMIT_DIRS))).toBe('PROTEUS_PEGASUS_NOT_A_SUBMIT_DIR');
    });
  });

  it('throws PROTEUS_PEGASUS_DAG_INVALID when the .dag is missing or broken, MALFORMED_KICKSTART for a bad record', async () => {
    const temp = await createTempDir('proteus-pegasus-bad-');
    try {
      await cp(fixture('pegasus-run'), temp.path, { recursive: true });
      await writeFile(join(temp.path, 'diamond-0.dag'), 'JOB a\nPARENT a CHILD\n');
      expect(await codeOf(readSubmitDir(temp.path))).toBe('PROTEUS_PEGASUS_DAG_INVALID');
      await rm(join(temp.path, 'diamond-0.dag'));
      expect(await codeOf(readSubmitDir(temp.path))).toBe('PROTEUS_PEGASUS_DAG_INVALID');
      await cp(fixture('pegasus-run/diamond-0.dag'), join(temp.path, 'diamond-0.dag'));
      await writeFile(join(temp.path, '00', '00', 'preprocess_ID0000001.out.007'), 'a: [unclosed\n');
      expect(await codeOf(readSubmitDir(temp.path))).toBe('PROTEUS_PEGASUS_MALFORMED_KICKSTART');
    } finally {
      await temp.dispose();
    }
  });
});
