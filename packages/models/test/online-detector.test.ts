import { createRng, type JobRecord } from '@proteus-wf/core';
import { buildDataset, type DatasetRun, extractFeatures } from '@proteus-wf/features';
import { parseFlowBenchAdjacency } from '@proteus-wf/workflow-graph';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LoadedModel, loadModel } from '../src/load-model.js';
import { createOnlineDetector } from '../src/online-detector.js';
import { scoreJobs } from '../src/score-jobs.js';
import { train } from '../src/train.js';

// A small fork-join workflow whose runs are generated here: job b runs 8x longer in the anomalous runs.
const adjacency = { a: ['b', 'c', 'd'], b: ['e'], c: ['e'], d: ['e'], e: [] };
const graph = parseFlowBenchAdjacency(adjacency, { workflow: 'forkjoin' });
const order = ['a', 'b', 'c', 'd', 'e'];

function makeRun(index: number, anomalous: boolean): DatasetRun {
  const rng = createRng(index + 1);
  const ends = new Map<string, number>();
  const jobs: JobRecord[] = order.map((job) => {
    const ready = Math.max(1000, ...graph.parents(job).map((p) => ends.get(p) as number));
    const runtime = (job === 'b' && anomalous ? 8 : 1) * (2 + rng.float());
    const submit = ready + 0.5 + rng.float() * 0.1;
    const start = submit + 1 + rng.float() * 0.2;
    ends.set(job, start + runtime);
    return {
      job,
      type: 'compute',
      transformation: job,
      worker: 'w1',
      ready,
      submit,
      executeStart: start,
      executeEnd: start + runtime,
      cpuTimeSeconds: runtime,
      bytesRead: 100,
      bytesWritten: 100,
      exitCode: 0,
      attempts: 1,
      executable: job,
      argv: [],
    };
  });
  return { runId: `run${index}`, jobs, startedAt: 1000, ...(anomalous ? { labels: new Map([['b', 'cpu_3']]) } : {}) };
}

describe('createOnlineDetector', () => {
  let model: LoadedModel;
  beforeAll(async () => {
    const runs = Array.from({ length: 40 }, (_, i) => makeRun(i, i % 2 === 1));
    const features = extractFeatures(buildDataset(runs, { graph }), { pipeline: 'flowbench-v1' });
    model = await loadModel(
      (await train(features, { model: 'gcn', task: 'node', labels: 'binary', epochs: 150, lr: 0.01, seed: 1 })).model,
    );
  });
  afterAll(() => model.release());

  it('scores each finished job with the rest masked; once all jobs are in, the scores are those of scoreJobs on the whole run', async () => {
    const run = makeRun(101, true);
    const detector = createOnlineDetector({ model, startedAt: 1000 });
    const observations = [];
    for (const record of run.jobs) observations.push(await detector.observe(record));
    expect(observations.map((o) => o.finishedJobs)).toEqual([1, 2, 3, 4, 5]);
    expect(observations[0]?.runScore).toBe(observations[0]?.score);
    const whole = await scoreJobs(model, buildDataset([run], { graph }));
    const last = observations.at(-1);
    expect(last?.score).toBeCloseTo(whole.scores[graph.indexOf('e')] as number, 6);
    expect(last?.runScore).toBeCloseTo(Math.max(...whole.scores), 6);
    expect(observations.filter((o) => o.alert).length).toBeLessThanOrEqual(1);
    expect(detector.summary()).toMatchObject({ finishedJobs: 5, totalJobs: 5 });
  });

  it('alerts once on a run with the anomaly and not on a normal one (seeded, deterministic)', async () => {
    const alertsOf = async (run: DatasetRun) => {
      const detector = createOnlineDetector({ model, startedAt: 1000 });
      const alerts: string[] = [];
      for (const record of run.jobs) if ((await detector.observe(record)).alert) alerts.push(record.job);
      return alerts;
    };
    expect(await alertsOf(makeRun(201, false))).toEqual([]);
    expect(await alertsOf(makeRun(202, true))).toEqual(['b']);
  });

  it('decides with { threshold } instead of the model when given: above it a job is anomalous and the run alerts', async () => {
    const run = makeRun(202, true);
    const scores = (await scoreJobs(model, buildDataset([run], { graph }))).scores;
    const alertsAt = async (threshold: number) => {
      const detector = createOnlineDetector({ model, startedAt: 1000, threshold });
      const alerts: string[] = [];
      for (const record of run.jobs) {
        const observed = await detector.observe(record);
        expect(observed.threshold).toBe(threshold);
        expect(observed.predicted).toBe((observed.score as number) > threshold ? 'anomalous' : 'normal');
        if (observed.alert) alerts.push(record.job);
      }
      return alerts;
    };
    // Above every final score: no alert. Just below the highest: an alert, once.
    expect(await alertsAt(Math.max(...scores) + 1e-3)).toEqual([]);
    expect(await alertsAt(Math.max(...scores) - 1e-3)).toHaveLength(1);
    expect(() => createOnlineDetector({ model, threshold: Number.NaN })).toThrow(
      expect.objectContaining({ code: 'PROTEUS_MODELS_INVALID_OPTION' }),
    );
  });

  it('does not score a job outside the model DAG, and rejects a graph of another size', async () => {
    const detector = createOnlineDetector({ model });
    const stranger = { ...(makeRun(7, false).jobs[0] as JobRecord), job: 'sub/x' };
    expect(await detector.observe(stranger)).toMatchObject({ known: false, score: null, finishedJobs: 0 });
    expect(() =>
      createOnlineDetector({ model, graph: parseFlowBenchAdjacency({ a: [] }, { workflow: 'tiny' }) }),
    ).toThrow(expect.objectContaining({ code: 'PROTEUS_MODELS_INVALID_INPUT' }));
  });
});
