import { execFileSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createTempDir, hasSharedDatasets, sharedDataset } from '@proteus-wf/test-utils';
import { describe, expect, it } from 'vitest';
import {
  optionOf,
  parseExperimentRequestFile,
  readExperimentRequests,
  readExperimentResults,
  requestLabel,
  writeExperimentRequests,
} from './experiment-requests.js';

const file = {
  id: 'al-gradient-s0-k0003',
  requests: [
    {
      workflow: '1000genome',
      anomaly: 'cpu',
      level: 2,
      anomalousWorkers: 1,
      runs: 2,
      hints: { jobs: ['individuals_ID0000001'], confidence: [0.12] },
    },
  ],
};

describe('writeExperimentRequests / readExperimentRequests', () => {
  it('round-trips a valid request file', async () => {
    const dir = await createTempDir();
    try {
      const path = join(dir.path, 'iter-0003.json');
      await writeExperimentRequests(file, path);
      expect(await readExperimentRequests(path)).toEqual(file);
    } finally {
      await dir.dispose();
    }
  });

  it('throws PROTEUS_AL_INVALID_ARGUMENT for swapped arguments, and writes nothing', async () => {
    const dir = await createTempDir();
    try {
      const path = join(dir.path, 'iter-0004.json');
      const error = await writeExperimentRequests(path as never, file as never).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'PROTEUS_AL_INVALID_ARGUMENT' });
      expect((error as Error).message).toContain('swapped');
      await expect(readExperimentRequests(path)).rejects.toMatchObject({ code: 'PROTEUS_AL_FILE_NOT_FOUND' });
    } finally {
      await dir.dispose();
    }
  });

  it('lists every problem of an invalid file in one PROTEUS_AL_INVALID_REQUESTS', () => {
    const bad = {
      id: 'has space',
      requests: [{ workflow: '', anomaly: 'cpu', anomalousWorkers: -1, runs: 0, extra: true }],
    };
    try {
      parseExperimentRequestFile(bad);
      expect.unreachable();
    } catch (error) {
      expect(error).toMatchObject({ code: 'PROTEUS_AL_INVALID_REQUESTS' });
      const paths = (error as { details: { path: string }[] }).details.map((d) => d.path);
      expect(paths).toEqual(
        expect.arrayContaining([
          'id',
          'requests[0].workflow',
          'requests[0].anomalousWorkers',
          'requests[0].runs',
          'requests[0]',
        ]),
      );
    }
  });

  it('throws PROTEUS_AL_FILE_NOT_FOUND and PROTEUS_AL_INVALID_REQUESTS for a missing or non-JSON file', async () => {
    const dir = await createTempDir();
    try {
      await expect(readExperimentRequests(join(dir.path, 'none.json'))).rejects.toMatchObject({
        code: 'PROTEUS_AL_FILE_NOT_FOUND',
      });
      await writeFile(join(dir.path, 'bad.json'), '{ nope');
      await expect(readExperimentRequests(join(dir.path, 'bad.json'))).rejects.toMatchObject({
        code: 'PROTEUS_AL_INVALID_REQUESTS',
      });
    } finally {
      await dir.dispose();
    }
  });
});

describe('requestLabel / optionOf', () => {
  it('maps between option labels and request fields', () => {
    expect(requestLabel({ anomaly: 'hdd', level: 10 })).toBe('hdd_10');
    expect(requestLabel({ anomaly: 'normal' })).toBe('normal');
    expect(optionOf('hdd_10')).toEqual({ anomaly: 'hdd', level: 10 });
    expect(optionOf('normal')).toEqual({ anomaly: 'normal' });
  });
});

describe.skipIf(!hasSharedDatasets)('readExperimentResults', () => {
  it('reads a folder of Flow-Bench CSVs (as the controller writes them) back as labelled traces', async () => {
    const dir = await createTempDir();
    try {
      execFileSync('unzip', [
        '-q',
        sharedDataset('flowbench/eht_imaging.zip'),
        'eht-imaging-run0001.csv',
        'eht-imaging-run0002.csv',
        '-d',
        dir.path,
      ]);
      const traces = await readExperimentResults(dir.path, {
        adjacency: sharedDataset('flowbench/adjacency_list_dags/eht_imaging.json'),
      });
      expect(traces.runs.map((r) => r.runId)).toEqual(['eht-imaging-run0001', 'eht-imaging-run0002']);
      expect(traces.jobsPerRun).toBe(12);
      expect(traces.skipped).toEqual([]);
    } finally {
      await dir.dispose();
    }
  });
});
