import { join } from 'node:path';
import { hasSharedDatasets, repoRoot, sharedDataset } from '@proteus-wf/test-utils';
import { describe, expect, it } from 'vitest';
import { DATASET_INSPECT_FIELDS } from '../test/support/dataset-inspect-fields.js';
import { runCli } from './run-cli.js';

const SUBMIT_DIRS = sharedDataset('pegasus-submit-dirs');
const WF_INSTANCE = join(repoRoot, 'packages/features/test/fixtures/diamond-wfinstance-1.5.json');
const DAGMAN = join(repoRoot, 'packages/workflow-graph/test/fixtures/diamond-0.dag');

async function inspect(path: string): Promise<{ exitCode: number; json: Record<string, unknown> }> {
  const { exitCode, stdout } = await runCli(['dataset', 'inspect', path, '--json']);
  return { exitCode, json: JSON.parse(stdout) };
}

describe('proteus dataset inspect: any dataset input, told from the content', () => {
  it.skipIf(!hasSharedDatasets)(
    'reads a (hierarchical) Pegasus submit directory: the same JSON fields as a Flow-Bench zip',
    async () => {
      const { exitCode, json } = await inspect(join(SUBMIT_DIRS, 'hierarchical_wf_failure'));
      expect(exitCode).toBe(0);
      expect(Object.keys(json)).toEqual(DATASET_INSPECT_FIELDS);
      expect(json).toMatchObject({ workflow: 'hierarchical-workflow', generation: 2, runs: 1, jobsPerRun: 6 });
    },
  );

  it.skipIf(!hasSharedDatasets)('names the workflows when a folder holds submit directories of several', async () => {
    const { exitCode, json } = await inspect(SUBMIT_DIRS);
    expect(exitCode).toBe(1);
    expect((json.error as { code: string }).code).toBe('PROTEUS_PEGASUS_WORKFLOW_MISMATCH');
  });

  it('reads a WfFormat instance with execution data (.json) as one run, not as "a zip"', async () => {
    const { exitCode, json } = await inspect(WF_INSTANCE);
    expect(exitCode).toBe(0);
    expect(json).toMatchObject({ runs: 1, jobsPerRun: 4 });
  });

  it('exits 1 with PROTEUS_CLI_DATASET_FORMAT for a DAG file, saying what it expected and what it found', async () => {
    const { exitCode, stderr } = await runCli(['dataset', 'inspect', DAGMAN]);
    expect(exitCode).toBe(1);
    expect(stderr).toMatch(/expected a Flow-Bench zip/);
    expect(stderr).toMatch(/--adjacency/);
    const { json } = await inspect(DAGMAN);
    expect((json.error as { code: string }).code).toBe('PROTEUS_CLI_DATASET_FORMAT');
  });
});
