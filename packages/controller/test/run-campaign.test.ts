import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isProteusError } from '@proteus-wf/core';
import { loadFlowBench } from '@proteus-wf/features';
import { createInjector, readLedger } from '@proteus-wf/injector';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type CampaignPlan,
  createController,
  type ExperimentLogEntry,
  parseCampaignConfig,
  readExperimentLog,
} from '../src/index.js';
import { readLabels, smallCampaign } from './support/campaign-fixture.js';
import { createProcessTestbed } from './support/process-testbed.js';
import { createTempDir } from './support/temp-dir.js';

let dir: { path: string; dispose: () => Promise<void> };
beforeEach(async () => {
  dir = await createTempDir();
});
afterEach(async () => {
  await dir.dispose();
});

function setup(options: { failingJobs?: string[]; workers?: string[] } = {}) {
  const outDir = join(dir.path, 'out');
  const ledgerPath = join(dir.path, 'ledger.jsonl');
  const testbed = createProcessTestbed({ workers: options.workers ?? ['w1', 'w2'], jobMs: 20, ...options });
  const injector = createInjector({ ledgerPath, workDir: dir.path });
  const controller = createController({ testbed, injector, outDir, seed: 3, ledgerPath, user: 'tester' });
  return { outDir, ledgerPath, testbed, injector, controller };
}

const events = (log: ExperimentLogEntry[], event: ExperimentLogEntry['event']) => log.filter((e) => e.event === event);

describe('runCampaign', () => {
  it('runs every planned run, labels jobs from the ledger and writes Flow-Bench data loadFlowBench reads', async () => {
    const { controller, outDir, ledgerPath } = setup();
    const plan = controller.planCampaign(parseCampaignConfig(smallCampaign()));
    const progress: number[] = [];
    const result = await controller.runCampaign(plan, { onProgress: (event) => progress.push(event.ratio) });

    expect(result).toMatchObject({ done: 3, failed: 0, planId: plan.id });
    expect(result.csvPaths.map((path) => path.slice(outDir.length + 1))).toEqual([
      'diamond/diamond-run0001.csv',
      'diamond/diamond-run0002.csv',
      'diamond/diamond-run0003.csv',
    ]);
    expect(progress.every((ratio) => ratio >= 0 && ratio <= 1)).toBe(true);
    expect(progress.at(-1)).toBe(1);

    // Labels: exactly the jobs that ran on the run's anomalous worker carry the anomaly.
    let anomalous = 0;
    for (const [index, run] of plan.runs.entries()) {
      const rows = await readLabels(result.csvPaths[index] as string);
      expect(rows).toHaveLength(4);
      for (const row of rows) {
        const expected = run.anomalousWorkers.includes(row.worker) ? run.anomaly : 'None';
        expect(row.label).toBe(expected);
        if (row.label !== 'None') anomalous++;
      }
      expect(result.runs[index]?.anomalousJobs).toBe(rows.filter((row) => row.label !== 'None').length);
    }
    expect(anomalous).toBeGreaterThan(0);

    // The ledger holds one reverted anomaly per anomalous run, each labelled with its run.
    const ledger = await readLedger(ledgerPath);
    expect(ledger.map((entry) => [entry.runId, entry.state, entry.spec.label])).toEqual([
      ['diamond-run0002', 'reverted', 'cpu_1'],
      ['diamond-run0003', 'reverted', 'hdd_1'],
    ]);

    // Round trip: the live data loads exactly like the published data.
    const dataset = await loadFlowBench(join(outDir, 'diamond'), { strict: true });
    expect(dataset.generation).toBe(2);
    expect(dataset.runs.map((run) => run.runId)).toEqual(['diamond-run0001', 'diamond-run0002', 'diamond-run0003']);
    expect(dataset.jobsPerRun).toBe(4);
    expect(dataset.skipped).toEqual([]);
    expect(dataset.runs.map((run) => run.label)).toEqual(
      plan.runs.map((run, i) => (result.runs[i]?.anomalousJobs ? run.anomaly : 'normal')),
    );
    expect(dataset.runs.map((run) => run.anomalousJobs)).toEqual(result.runs.map((run) => run.anomalousJobs));
    expect(dataset.runs.every((run) => run.derivedColumns.length === 0)).toBe(true);
    expect(JSON.parse(await readFile(join(outDir, 'adjacency_list_dags', 'diamond.json'), 'utf8'))).toEqual({
      preprocess_ID0000001: ['findrange_ID0000002', 'findrange_ID0000003'],
      findrange_ID0000002: ['analyze_ID0000004'],
      findrange_ID0000003: ['analyze_ID0000004'],
      analyze_ID0000004: [],
    });

    const log = await readExperimentLog(join(outDir, 'experiments.log.jsonl'));
    expect(events(log, 'run-done')).toHaveLength(3);
    expect(events(log, 'anomaly-applied')).toHaveLength(2);
    expect(events(log, 'anomaly-reverted')).toHaveLength(2);
    expect(await readdir(join(outDir, '.work'))).toEqual([]);
  });

  it('resumes a finished campaign without running anything again, and refuses to when resume is false', async () => {
    const { controller, outDir, testbed } = setup();
    const plan = controller.planCampaign(parseCampaignConfig(smallCampaign()));
    const first = await controller.runCampaign(plan);
    const provisions = testbed.provisions;
    const again = await controller.runCampaign(plan);
    expect(again.runs.every((run) => run.resumed && run.status === 'done')).toBe(true);
    expect(again.csvPaths).toEqual(first.csvPaths);
    expect(testbed.provisions).toBe(provisions);
    const log = await readExperimentLog(join(outDir, 'experiments.log.jsonl'));
    expect(events(log, 'run-start')).toHaveLength(3);
    await expect(controller.runCampaign(plan, { resume: false })).rejects.toMatchObject({
      code: 'PROTEUS_CONTROLLER_ALREADY_STARTED',
    });
  });

  it('adopts a CSV whose run-done line was lost (killed between rename and log append) instead of rerunning', async () => {
    const { controller, outDir } = setup();
    const plan = controller.planCampaign(parseCampaignConfig(smallCampaign()));
    await controller.runCampaign(plan);
    const logPath = join(outDir, 'experiments.log.jsonl');
    const lines = (await readFile(logPath, 'utf8')).trimEnd().split('\n');
    const kept = lines.filter((line) => !(line.includes('"run-done"') && line.includes('diamond-run0002')));
    await writeFile(logPath, `${kept.join('\n')}\n{"event":"run-do`); // plus a torn line
    const resumed = await controller.runCampaign(plan);
    expect(resumed.runs.map((run) => run.resumed)).toEqual([true, true, true]);
    const log = await readExperimentLog(logPath);
    expect(events(log, 'run-start')).toHaveLength(3);
    expect(events(log, 'run-done').filter((e) => (e as { runId: string }).runId === 'diamond-run0002')).toHaveLength(1);
  });

  it('throws PROTEUS_CONTROLLER_OUTPUT_CONFLICT rather than overwrite a CSV another campaign wrote', async () => {
    const { controller, outDir } = setup();
    const plan = controller.planCampaign(parseCampaignConfig(smallCampaign()));
    await controller.runCampaign(plan);
    const other = controller.planCampaign(
      parseCampaignConfig(
        smallCampaign({
          experiments: [{ workflow: 'diamond', type: 'normal', number_of_runs: 2, number_of_anomaly_workers: [] }],
        }),
      ),
    );
    const error = await controller.runCampaign(other).catch((caught: unknown) => caught);
    expect(isProteusError(error, 'PROTEUS_CONTROLLER_OUTPUT_CONFLICT')).toBe(true);
    // firstRunNumbers is the fix the message names.
    const appended = controller.planCampaign(
      parseCampaignConfig(
        smallCampaign({
          experiments: [{ workflow: 'diamond', type: 'normal', number_of_runs: 1, number_of_anomaly_workers: [] }],
        }),
      ),
      { firstRunNumbers: { diamond: 4 } },
    );
    expect((await controller.runCampaign(appended)).csvPaths[0]).toBe(join(outDir, 'diamond', 'diamond-run0004.csv'));
  });

  it('records a failed workflow as run-failed, goes on, and retries it on the next invocation', async () => {
    const failing = setup({ failingJobs: ['findrange_ID0000003'] });
    const plan = failing.controller.planCampaign(parseCampaignConfig(smallCampaign()));
    const result = await failing.controller.runCampaign(plan);
    expect(result).toMatchObject({ done: 0, failed: 3, csvPaths: [] });
    expect(result.runs[0]?.error?.code).toBe('PROTEUS_CONTROLLER_RUN_FAILED');
    expect((await readLedger(failing.ledgerPath)).every((entry) => entry.state === 'reverted')).toBe(true);

    const healthy = setup();
    const retried = await healthy.controller.runCampaign(plan);
    expect(retried).toMatchObject({ done: 3, failed: 0 });
    const log = await readExperimentLog(join(healthy.outDir, 'experiments.log.jsonl'));
    expect(events(log, 'run-start').map((e) => (e as { attempt: number }).attempt)).toEqual([1, 1, 1, 2, 2, 2]);
  });

  it('throws PROTEUS_CONTROLLER_WORKER_MISSING when the testbed lacks a planned worker', async () => {
    const { controller } = setup({ workers: ['w1'] });
    const plan = controller.planCampaign(parseCampaignConfig(smallCampaign()));
    await expect(controller.runCampaign(plan)).rejects.toMatchObject({ code: 'PROTEUS_CONTROLLER_WORKER_MISSING' });
  });

  it('stops on abort with PROTEUS_CORE_ABORTED, leaves nothing applied, and resumes later', async () => {
    const { controller, ledgerPath, outDir } = setup();
    const plan: CampaignPlan = controller.planCampaign(parseCampaignConfig(smallCampaign()));
    const abort = new AbortController();
    const error = await controller
      .runCampaign(plan, {
        signal: abort.signal,
        onProgress: (event) => {
          if (event.phase === 'run' && event.data?.runId === 'diamond-run0002') abort.abort(new Error('test stop'));
        },
      })
      .catch((caught: unknown) => caught);
    expect(isProteusError(error, 'PROTEUS_CORE_ABORTED')).toBe(true);
    expect((await readLedger(ledgerPath)).every((entry) => entry.state === 'reverted')).toBe(true);
    const result = await controller.runCampaign(plan);
    expect(result.runs.map((run) => run.resumed)).toEqual([true, false, false]);
    await rm(join(outDir, 'diamond'), { recursive: true });
  });
});

describe('runRequests', () => {
  it('runs an experiment-request file, continues run numbers, and is idempotent for the same file', async () => {
    const { controller, outDir } = setup();
    const config = parseCampaignConfig(smallCampaign());
    await controller.runCampaign(
      controller.planCampaign(
        parseCampaignConfig(
          smallCampaign({
            experiments: [{ workflow: 'diamond', type: 'normal', number_of_runs: 1, number_of_anomaly_workers: [] }],
          }),
        ),
      ),
    );
    const requestsPath = join(dir.path, 'requests.json');
    await writeFile(
      requestsPath,
      JSON.stringify({
        requests: [
          {
            workflow: 'diamond',
            anomaly: 'cpu',
            level: 1,
            anomalousWorkers: ['w1'],
            runs: 1,
            hints: { jobs: ['findrange_ID0000002'] },
          },
          { workflow: 'diamond', anomaly: 'normal', anomalousWorkers: 0, runs: 1 },
        ],
      }),
    );
    const result = await controller.runRequests(requestsPath, { config });
    expect(result.csvPaths).toEqual([
      join(outDir, 'diamond', 'diamond-run0002.csv'),
      join(outDir, 'diamond', 'diamond-run0003.csv'),
    ]);
    const rows = await readLabels(result.csvPaths[0] as string);
    expect(rows.filter((row) => row.worker === 'w1').every((row) => row.label === 'cpu_1')).toBe(true);
    expect(rows.some((row) => row.worker === 'w1')).toBe(true);
    const again = await controller.runRequests(requestsPath, { config });
    expect(again.csvPaths).toEqual(result.csvPaths);
    expect(again.runs.every((run) => run.resumed)).toBe(true);
    const plans = await readdir(join(outDir, 'plans'));
    expect(plans).toHaveLength(2);
  });

  it('throws PROTEUS_CONTROLLER_INVALID_REQUESTS listing every problem', async () => {
    const { controller } = setup();
    const config = parseCampaignConfig(smallCampaign());
    const error = await controller
      .runRequests(
        {
          requests: [
            { workflow: 'nope', anomaly: 'cpu', level: 1, anomalousWorkers: ['w9'], runs: 1 },
            { workflow: 'diamond', anomaly: 'gpu_1', anomalousWorkers: 5, runs: 1 },
          ],
        },
        { config },
      )
      .catch((caught: unknown) => caught);
    expect(isProteusError(error, 'PROTEUS_CONTROLLER_INVALID_REQUESTS')).toBe(true);
    expect((error as { details: Array<{ path: string }> }).details.map((problem) => problem.path)).toEqual([
      'requests[0].workflow',
      'requests[0].anomalousWorkers',
      'requests[1].anomaly',
      'requests[1].anomalousWorkers',
    ]);
  });
});
