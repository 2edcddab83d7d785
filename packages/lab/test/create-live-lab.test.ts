import { execFile } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { ProgressEvent } from '@proteus-wf/core';
import { loadFlowBench } from '@proteus-wf/features';
import { readLedger } from '@proteus-wf/injector';
import { createTempDir, repoRoot } from '@proteus-wf/test-utils';
import { describe, expect, it } from 'vitest';
import { createLiveLab } from '../src/index.js';

const generator = join(repoRoot, 'examples', 'workflows', '1000genome-like', 'generate.mjs');

/** Writes the small 1000genome-like workflow (8 jobs) into `folder`. */
async function smallWorkflow(folder: string): Promise<string> {
  const path = join(folder, 'workflow', 'workflow.yml');
  await promisify(execFile)(process.execPath, [generator, '--scale', 'small', '--seed', '2', '--out', path]);
  return path;
}

describe('createLiveLab', () => {
  it('throws PROTEUS_LAB_INVALID_OPTIONS for anomalies that are not dataset names, listing each', async () => {
    const dir = await createTempDir('proteus-live-');
    try {
      const error = await createLiveLab({
        workflow: await smallWorkflow(dir.path),
        outDir: join(dir.path, 'out'),
        anomalies: ['normal', 'cpu', 'hdd_x'],
        workers: 0,
      }).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'PROTEUS_LAB_INVALID_OPTIONS' });
      expect((error as { details: { problems: string[] } }).details.problems).toHaveLength(4);
    } finally {
      await dir.dispose();
    }
  });

  it('collects a held-out test set and serves requests as labelled, scaled live runs (real testbed-local)', async () => {
    const dir = await createTempDir('proteus-live-');
    const events: ProgressEvent[] = [];
    try {
      const outDir = join(dir.path, 'out');
      await using lab = await createLiveLab({
        workflow: await smallWorkflow(dir.path),
        outDir,
        seed: 3,
        anomalies: ['hdd_1'],
        onProgress: (event) => events.push(event),
      });
      expect(lab.workflow).toBe('1000genome-like');
      expect(lab.graph.size).toBe(8);

      await expect(lab.evaluationSet()).rejects.toMatchObject({ code: 'PROTEUS_LAB_NOT_READY' });
      const testSet = await lab.collectTestSet(2);
      expect([...testSet.labels].sort()).toEqual(['hdd_1', 'normal']);
      expect(() => lab.createBackend('gradient')).toThrow(expect.objectContaining({ code: 'PROTEUS_LAB_NOT_READY' }));
      const calibration = await lab.calibrate(2);
      expect([...calibration.labels].sort()).toEqual(['hdd_1', 'normal']);
      // The scaler comes from the calibration runs only.
      expect(lab.scaler?.fittedOn).toEqual({ runs: 2, jobs: 2 * lab.graph.size });

      const backend = lab.createBackend('gradient');
      expect(backend.options().map((option) => option.label)).toEqual(['normal', 'hdd_1']);
      const file = {
        id: 'it-0001',
        requests: [{ workflow: lab.workflow, anomaly: 'hdd', level: 1, anomalousWorkers: 1, runs: 1 }],
      };
      const runs = await backend.runExperiments(file);
      expect(runs.labels).toEqual(['hdd_1']);
      expect(runs.x).toHaveLength(1 * backend.nodes * backend.features);
      expect(runs.jobLabels).toHaveLength(backend.nodes);
      // Exactly the jobs of the anomalous worker are anomalous; both workers got jobs.
      const anomalous = runs.jobBinary.reduce((sum, bit) => sum + bit, 0);
      expect(anomalous).toBeGreaterThan(0);
      expect(anomalous).toBeLessThan(backend.nodes);
      expect(runs.jobLabels.filter((label) => label === 'hdd_1')).toHaveLength(anomalous);
      expect(runs.durations[0]).toBeGreaterThan(0);
      expect(runs.runIds.some((id) => backend.isHeldOut(id))).toBe(false);
      expect(testSet.runIds.every((id) => backend.isHeldOut(id))).toBe(true);
      expect(calibration.runIds.some((id) => backend.isHeldOut(id) || runs.runIds.includes(id))).toBe(false);

      const evaluation = await lab.evaluationSet();
      expect(evaluation.runIds).toEqual(testSet.runIds);
      expect(evaluation.x).toHaveLength(2 * backend.nodes * backend.features);
      expect(evaluation.jobBinary.some((bit) => bit === 1)).toBe(true);

      // The same request id again (a resumed iteration) returns the same runs without running anything.
      const before = events.filter((event) => event.phase === 'experiment').length;
      const again = await backend.runExperiments(file);
      expect(again.runIds).toEqual(runs.runIds);
      expect(events.filter((event) => event.phase === 'experiment')).toHaveLength(before);
      expect(events.some((event) => event.phase === 'jobs' && (event.data as { running: number }).running >= 0)).toBe(
        true,
      );

      // The traces folder is a Flow-Bench dataset without the test runs; no anomaly stays applied.
      const traces = await loadFlowBench(join(outDir, 'traces', lab.workflow));
      expect(traces.runs.map((run) => `traces/${run.runId}`)).toEqual(runs.runIds);
      for (const folder of ['traces', 'test-set', 'calibration']) {
        const ledger = await readLedger(join(outDir, folder, 'injector-ledger.jsonl'));
        expect(ledger.length).toBeGreaterThan(0);
        expect(ledger.every((entry) => entry.state === 'reverted')).toBe(true);
      }
      // Each run: its Flow-Bench CSV and the Pegasus submit directory the controller read it back from.
      expect((await readdir(join(outDir, 'test-set', lab.workflow))).sort()).toEqual(
        testSet.runIds
          .flatMap((id) => [`${id.slice('test-set/'.length)}.csv`, `${id.slice('test-set/'.length)}.submit`])
          .sort(),
      );
    } finally {
      await dir.dispose();
    }
  }, 240_000);

  it('offers placed anomalies: cpu_1@individuals lands on the workers running the individuals jobs, while they run', async () => {
    const dir = await createTempDir('proteus-live-placed-');
    try {
      await using lab = await createLiveLab({
        workflow: await smallWorkflow(dir.path),
        outDir: join(dir.path, 'out'),
        seed: 4,
        anomalies: ['cpu_1'],
        placeOn: ['individuals'],
      });
      expect(lab.kinds).toEqual(['normal', 'cpu_1', 'cpu_1@individuals']);
      await lab.calibrate(2);
      const backend = lab.createBackend('random');
      expect(backend.options().map((option) => option.key ?? option.label)).toEqual(lab.kinds);
      const runs = await backend.runExperiments({
        id: 'placed',
        requests: [
          {
            workflow: lab.workflow,
            anomaly: 'cpu',
            level: 1,
            anomalousWorkers: 1,
            runs: 1,
            hints: { option: 'cpu_1@individuals' },
          },
        ],
      });
      expect(runs.labels).toEqual(['cpu_1']);
      expect(runs.optionKeys).toEqual(['cpu_1@individuals']);
      const names = backend.jobNames;
      const individuals = names.filter((name) => /^individuals_ID/.test(name));
      expect(individuals.length).toBeGreaterThan(0);
      for (const job of individuals) expect(runs.jobLabels[names.indexOf(job)]).toBe('cpu_1');
      // The sinks run after every individuals job ended, so after every placed anomaly was reverted.
      for (const job of lab.graph.sinks()) expect(runs.jobLabels[names.indexOf(job)]).toBe('normal');
    } finally {
      await dir.dispose();
    }
  }, 240_000);

  it('throws PROTEUS_LAB_INVALID_OPTIONS for a placement on a transformation the workflow does not have', async () => {
    const dir = await createTempDir('proteus-live-');
    try {
      const error = await createLiveLab({
        workflow: await smallWorkflow(dir.path),
        outDir: join(dir.path, 'out'),
        placeOn: ['nope'],
      }).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'PROTEUS_LAB_INVALID_OPTIONS' });
    } finally {
      await dir.dispose();
    }
  });
});
