import { join } from 'node:path';
import { createRng, type JobRecord } from '@proteus-wf/core';
import { extractFeatures } from '@proteus-wf/features';
import { saveModel, train } from '@proteus-wf/models';
import { createSubmitDirWriter, loadSubmitDirs } from '@proteus-wf/pegasus';
import { createTempDir } from '@proteus-wf/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../run-cli.js';
import type { WatchLine } from './watch.js';

// A fork-join workflow whose runs are written here as Pegasus submit directories: in an anomalous run, job
// b_ID0000002 runs 8x longer.
const dag = [
  { name: 'a_ID0000001', parents: [] },
  { name: 'b_ID0000002', parents: ['a_ID0000001'] },
  { name: 'c_ID0000003', parents: ['a_ID0000001'] },
  { name: 'd_ID0000004', parents: ['b_ID0000002', 'c_ID0000003'] },
];

async function writeRun(dir: string, seed: number, anomalous: boolean): Promise<void> {
  const rng = createRng(seed);
  const writer = createSubmitDirWriter(dir, { workflow: 'forkjoin', jobs: dag });
  await writer.start(1000);
  const ends = new Map<string, number>();
  for (const job of dag) {
    const ready = Math.max(1000, ...job.parents.map((p) => ends.get(p) as number));
    const runtime = (anomalous && job.name === 'b_ID0000002' ? 8 : 1) * (2 + rng.float());
    const start = ready + 1 + rng.float();
    ends.set(job.name, start + runtime);
    const record: JobRecord = {
      job: job.name,
      type: 'compute',
      transformation: job.name.slice(0, 1),
      worker: 'w1',
      ready,
      submit: ready + 0.5,
      executeStart: start,
      executeEnd: start + runtime,
      cpuTimeSeconds: runtime,
      bytesRead: 100,
      bytesWritten: 100,
      exitCode: 0,
      attempts: 1,
      executable: job.name,
      argv: [],
    };
    await writer.jobFinished(record);
  }
  await writer.finish(Math.max(...ends.values()), true);
}

describe('proteus watch', () => {
  let temp: { path: string; dispose: () => Promise<void> };
  beforeAll(async () => {
    temp = await createTempDir('proteus-cli-watch-');
    const labels = new Map<string, Map<string, string>>();
    for (let i = 0; i < 40; i++) {
      const anomalous = i % 2 === 1;
      await writeRun(join(temp.path, 'train', `run${i}`), i + 1, anomalous);
      if (anomalous) labels.set(`run${i}`, new Map([['b_ID0000002', 'cpu_3']]));
    }
    const dataset = await loadSubmitDirs(join(temp.path, 'train'), { labels });
    const features = extractFeatures(dataset, { pipeline: 'flowbench-v1' });
    const trained = await train(features, {
      model: 'gcn',
      task: 'node',
      labels: 'binary',
      epochs: 150,
      lr: 0.01,
      seed: 1,
    });
    await saveModel(trained.model, join(temp.path, 'model'));
    await writeRun(join(temp.path, 'normal'), 501, false);
    await writeRun(join(temp.path, 'anomalous'), 502, true);
  });
  afterAll(() => temp.dispose());

  const watch = async (run: string, extra: string[] = []) => {
    const { exitCode, stdout, stderr } = await runCli([
      'watch',
      join(temp.path, run),
      '--model',
      join(temp.path, 'model'),
      '--poll-ms',
      '20',
      '--json',
      ...extra,
    ]);
    expect(stderr).toBe('');
    expect(exitCode).toBe(0);
    return stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as WatchLine);
  };

  it('prints one JSON line per finished job, an alert on the anomalous run, and a summary', async () => {
    const lines = await watch('anomalous');
    expect(lines.filter((l) => l.type === 'job').map((l) => (l.type === 'job' ? l.job : ''))).toEqual(
      dag.map((j) => j.name),
    );
    expect(lines.filter((l) => l.type === 'alert')).toHaveLength(1);
    expect(lines.at(-1)).toMatchObject({ type: 'summary', status: 0, jobs: 4, runAnomalous: true, alerts: 1 });
  });

  it('raises no alert on a normal run, and resumes from its state file without printing a job twice', async () => {
    const lines = await watch('normal', ['--state', join(temp.path, 'normal.state.json')]);
    expect(lines.filter((l) => l.type === 'alert')).toEqual([]);
    expect(lines.at(-1)).toMatchObject({ type: 'summary', runAnomalous: false, alerts: 0 });
    const again = await watch('normal', ['--state', join(temp.path, 'normal.state.json')]);
    expect(again.map((l) => l.type)).toEqual(['summary']);
    expect(again[0]).toMatchObject({ jobs: 4, runScore: (lines.at(-1) as { runScore: number }).runScore });
  });

  it('--threshold decides instead of the model: an alert on the normal run below every score, none above them', async () => {
    // Scores are 1 - P(normal), in [0, 1]: every job of the normal run is above -1, none of the anomalous run above 1.
    const below = await watch('normal', ['--state', join(temp.path, 'normal.below.json'), '--threshold', '-1']);
    expect(below.filter((l) => l.type === 'alert')).toHaveLength(1);
    expect(below.find((l) => l.type === 'alert')).toMatchObject({ threshold: -1, finishedJobs: 1 });
    const above = await watch('anomalous', ['--state', join(temp.path, 'anomalous.above.json'), '--threshold', '1']);
    expect(above.filter((l) => l.type === 'alert')).toEqual([]);
    expect(above.at(-1)).toMatchObject({ type: 'summary', runAnomalous: false, alerts: 0 });
  });

  it('proteus score takes a submit directory as --dataset and scores its jobs with the model trained on submit dirs', async () => {
    const { exitCode, stdout } = await runCli([
      'score',
      '--model',
      join(temp.path, 'model'),
      '--dataset',
      join(temp.path, 'anomalous'),
      '--json',
    ]);
    expect(exitCode).toBe(0);
    const result = JSON.parse(stdout);
    expect(result.runs).toBe(1);
    expect(result.jobs.map((j: { job: string }) => j.job)).toEqual(dag.map((j) => j.name));
  });

  it('exits 1 with PROTEUS_PEGASUS_STATE_INVALID for a state file of another run', async () => {
    const { exitCode, stdout } = await runCli([
      'watch',
      join(temp.path, 'anomalous'),
      '--model',
      join(temp.path, 'model'),
      '--state',
      join(temp.path, 'normal.state.json'),
      '--json',
    ]);
    expect(exitCode).toBe(1);
    expect(JSON.parse(stdout).error.code).toBe('PROTEUS_PEGASUS_STATE_INVALID');
  });
});
