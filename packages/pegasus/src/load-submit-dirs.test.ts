import { cp, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { isProteusError } from '@proteus-wf/core';
import { extractFeatures, GEN2_COLUMNS, summarizeDataset } from '@proteus-wf/features';
import { parseDagman } from '@proteus-wf/workflow-graph';
import { describe, expect, it } from 'vitest';
import { createTempDir, hasSharedDatasets, sharedDataset } from '../test/helpers.js';
import { loadSubmitDirs } from './load-submit-dirs.js';

const SUBMIT_DIRS = sharedDataset('pegasus-submit-dirs');

describe.skipIf(!hasSharedDatasets)('loadSubmitDirs', () => {
  it('loads a real submit directory as a one-run dataset with the Flow-Bench gen-2 columns', async () => {
    const dataset = await loadSubmitDirs(join(SUBMIT_DIRS, 'sample_wf_held'));
    expect(dataset.columns).toEqual(GEN2_COLUMNS);
    expect(summarizeDataset(dataset)).toMatchObject({ workflow: 'Drug-Combination-Therapy', runs: 1, jobsPerRun: 3 });
    const runtime = dataset.jobs.getChild('runtime')?.toArray() as Float64Array;
    expect(runtime[dataset.graph.indexOf('chebi_drug_loader_ID0000001')]).toBe(1678036326 - 1678036280);
    const features = extractFeatures(dataset, { pipeline: 'flowbench-v1' });
    expect(features.runs).toHaveLength(1);
  });

  it('loads many submit directories of one workflow as many runs, labels from { labels }', async () => {
    const temp = await createTempDir('proteus-pegasus-many-');
    try {
      for (const name of ['a/run0001', 'b/run0001', 'run0002']) {
        await mkdir(join(temp.path, name), { recursive: true });
        await cp(join(SUBMIT_DIRS, 'process_wf_failure'), join(temp.path, name), { recursive: true });
      }
      const dataset = await loadSubmitDirs(temp.path, {
        labels: new Map([['run0002', new Map([['ls_ID0000001', 'cpu_2']])]]),
      });
      expect(dataset.runs.map((run) => [run.runId, run.label])).toEqual([
        ['a/run0001', 'normal'],
        ['b/run0001', 'normal'],
        ['run0002', 'cpu_2'],
      ]);
    } finally {
      await temp.dispose();
    }
  });

  it('aligns runs to a given DAG: jobs it has that did not execute are masked', async () => {
    const { readFile } = await import('node:fs/promises');
    const dag = parseDagman(await readFile(join(SUBMIT_DIRS, 'process_wf_failure/process-0.dag'), 'utf8'));
    const dataset = await loadSubmitDirs(join(SUBMIT_DIRS, 'process_wf_failure'), { adjacency: dag });
    expect(dataset.jobsPerRun).toBe(dag.size);
    const runtime = dataset.jobs.getChild('runtime')?.toArray() as Float64Array;
    expect(Number.isNaN(runtime[dag.indexOf('cleanup_process_0_local')])).toBe(true);
  });

  it('throws PROTEUS_PEGASUS_WORKFLOW_MISMATCH for runs of different workflows, NOT_A_SUBMIT_DIR for an empty folder', async () => {
    const codeOf = async (promise: Promise<unknown>) =>
      promise.then(
        () => 'no error',
        (error: unknown) => (isProteusError(error) ? error.code : String(error)),
      );
    expect(await codeOf(loadSubmitDirs(SUBMIT_DIRS))).toBe('PROTEUS_PEGASUS_WORKFLOW_MISMATCH');
    const temp = await createTempDir('proteus-pegasus-empty-');
    try {
      expect(await codeOf(loadSubmitDirs(temp.path))).toBe('PROTEUS_PEGASUS_NOT_A_SUBMIT_DIR');
    } finally {
      await temp.dispose();
    }
  });
});
