import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { extractFeatures, type FlowBenchDataset, fitScaler, loadFlowBench } from '@proteus-wf/features';
import { createTempDir, hasSharedDatasets, sharedDataset } from '@proteus-wf/test-utils';
import { beforeAll, describe, expect, it } from 'vitest';
import { createEmulationBackend } from '../src/emulation-backend.js';
import type { ExperimentOption } from '../src/experiment-backend.js';
import { readExperimentRequests, requestLabel } from '../src/experiment-requests.js';
import { runActiveLearning } from '../src/run-active-learning.js';

// eht_imaging: 501 real runs of a 12-job workflow (normal 212, cpu_2 76, cpu_3 74, hdd_5 70, hdd_10 69).
let dataset: FlowBenchDataset;

describe.skipIf(!hasSharedDatasets)('emulation on real Flow-Bench traces', () => {
  beforeAll(async () => {
    dataset = await loadFlowBench(sharedDataset('flowbench/eht_imaging.zip'));
  });

  it('sets the test runs aside first: they are never drawn and the scaler is fitted on the pool only', async () => {
    const backend = createEmulationBackend(dataset, { seed: 3 });
    const test = new Set(backend.testRunIds);
    expect(test.size).toBe(backend.testSet().runs);
    expect(backend.remaining().some((id) => test.has(id))).toBe(false);
    expect(backend.remaining().length + test.size).toBe(dataset.runs.length);
    const features = extractFeatures(dataset);
    const poolIndices = dataset.runs.map((r, i) => (test.has(r.runId) ? -1 : i)).filter((i) => i >= 0);
    expect(backend.scaler).toEqual(fitScaler(features, { kind: 'minmax', runs: poolIndices }));
    // Drain the pool completely: not one test run comes out, then it reports exhaustion.
    const seen = new Set<string>();
    const request = { workflow: 'eht_imaging', anomaly: 'normal', anomalousWorkers: 0, runs: 50 };
    while (backend.remaining().length > 0) {
      const runs = Math.min(50, backend.remaining().length);
      const out = await backend.runExperiments({ requests: [{ ...request, runs }] });
      for (const id of out.runIds) {
        expect(test.has(id)).toBe(false);
        expect(seen.has(id)).toBe(false);
        seen.add(id);
      }
    }
    expect(seen.size).toBe(dataset.runs.length - test.size);
    await expect(backend.runExperiments({ requests: [{ ...request, runs: 1 }] })).rejects.toMatchObject({
      code: 'PROTEUS_AL_POOL_EXHAUSTED',
    });
  });

  it('returns runs of the requested anomaly type and substitutes within the family when it runs out', async () => {
    const backend = createEmulationBackend(dataset, { seed: 0 });
    const available = backend
      .options()
      .filter((o) => o.label === 'cpu_2')
      .reduce((sum, o) => sum + (o.available ?? 0), 0);
    const out = await backend.runExperiments({
      requests: [{ workflow: 'eht_imaging', anomaly: 'cpu', level: 2, anomalousWorkers: 1, runs: available + 1 }],
    });
    expect(out.labels.slice(0, available).every((l) => l === 'cpu_2')).toBe(true);
    expect(out.labels[available]).toBe('cpu_3');
    expect(out.substitutions).toEqual([{ requested: 'cpu_2', ran: 'cpu_3' }]);
    expect(out.durations.every((d) => d > 0)).toBe(true);
    expect(out.jobBinary.filter((b) => b === 1).length).toBeGreaterThan(0);
    await expect(
      backend.runExperiments({ requests: [{ workflow: 'montage', anomaly: 'normal', anomalousWorkers: 0, runs: 1 }] }),
    ).rejects.toMatchObject({ code: 'PROTEUS_AL_WORKFLOW_MISMATCH' });
  });

  it('throws PROTEUS_AL_TEST_LEAK when the evaluation set holds runs the backend may train on', async () => {
    const backend = createEmulationBackend(dataset, { seed: 1 });
    const leaky = { ...backend.testSet(), runIds: [backend.remaining()[0] as string] };
    await expect(runActiveLearning({ backend, evaluation: leaky, iterations: 1 })).rejects.toMatchObject({
      code: 'PROTEUS_AL_TEST_LEAK',
    });
  });

  it('queries at random during burn-in and from the scores afterwards, writing valid request files', async () => {
    const dir = await createTempDir();
    try {
      const backend = createEmulationBackend(dataset, { seed: 2 });
      const result = await runActiveLearning({
        backend,
        evaluation: backend.testSet(),
        iterations: 4,
        burnIn: 2,
        reselectEvery: 0,
        stepsPerIteration: 2,
        requestsDir: dir.path,
      });
      expect(result.iterations.map((r) => r.random)).toEqual([true, true, false, false]);
      expect(result.iterations.map((r) => r.samples)).toEqual([2, 4, 6, 8]);
      const late = result.iterations[2];
      // The batch spreads over two options, each naming its target jobs.
      expect(late?.requests.map((r) => r.runs)).toEqual([1, 1]);
      expect(new Set(late?.requests.map((r) => r.hints?.option ?? requestLabel(r))).size).toBe(2);
      expect(late?.requests.some((r) => (r.hints?.jobs?.length ?? 0) > 0)).toBe(true);
      for (const record of result.iterations) {
        expect(record.metrics?.rocAuc).toBeGreaterThanOrEqual(0);
        expect(record.confidenceHistogram.reduce((a, b) => a + b, 0)).toBe(record.samples * 12);
      }
      const files = (await readdir(dir.path)).sort();
      expect(files).toEqual(['iter-0001.json', 'iter-0002.json', 'iter-0003.json', 'iter-0004.json']);
      const third = await readExperimentRequests(join(dir.path, 'iter-0003.json'));
      expect(third.requests).toEqual(late?.requests);
    } finally {
      await dir.dispose();
    }
  });

  it('offers run configurations (label x reach) and replays runs whose anomaly reaches the target jobs', async () => {
    const backend = createEmulationBackend(dataset, { seed: 4 });
    const options = backend.options();
    const labels = new Set(options.map((o) => o.label));
    expect(labels).toEqual(new Set(['normal', 'cpu_2', 'cpu_3', 'hdd_5', 'hdd_10']));
    expect(options.length).toBeGreaterThan(labels.size);
    for (const o of options) expect(o.expectedSeconds).toBeGreaterThan(0);
    const many = options.find((o) => o.key === 'hdd_5@many') as ExperimentOption;
    const out = await backend.runExperiments({
      requests: [
        {
          workflow: 'eht_imaging',
          anomaly: 'hdd',
          level: 5,
          anomalousWorkers: 1,
          runs: 2,
          hints: { option: many.key },
        },
      ],
    });
    expect(out.optionKeys).toEqual(['hdd_5@many', 'hdd_5@many']);
    for (let r = 0; r < 2; r++) {
      const anomalous = out.jobBinary.subarray(r * backend.nodes, (r + 1) * backend.nodes).reduce((a, b) => a + b, 0);
      expect(anomalous / backend.nodes).toBeGreaterThanOrEqual(0.3);
    }
    // Target jobs are acted on: the replayed runs have their anomaly on the named job far more often than by chance.
    const names = backend.jobNames;
    const onNode = async (hints: { jobs?: string[] }, node: number) => {
      const b = createEmulationBackend(dataset, { seed: 4 });
      const request = { workflow: 'eht_imaging', anomaly: 'cpu', level: 2, anomalousWorkers: 1, runs: 5, hints };
      const runs = await b.runExperiments({ requests: [request] });
      return Array.from({ length: 5 }, (_, r) => runs.jobBinary[r * b.nodes + node]).filter((v) => v === 1).length;
    };
    let targeted = 0;
    let untargeted = 0;
    for (let node = 0; node < names.length; node++) {
      targeted += await onNode({ jobs: [names[node] as string] }, node);
      untargeted += await onNode({}, node);
    }
    expect(targeted).toBeGreaterThan(untargeted + 10);
  });

  it('runs the bandit and BADGE strategies in the loop: BADGE names pool runs, the bandit resumes from a checkpoint', async () => {
    const dir = await createTempDir();
    try {
      const badge = await runActiveLearning({
        backend: createEmulationBackend(dataset, { seed: 5 }),
        strategy: 'badge',
        iterations: 3,
        burnIn: 1,
        reselectEvery: 0,
        stepsPerIteration: 2,
      });
      expect(badge.iterations[0]?.requests.some((r) => r.hints?.runIds)).toBe(false);
      expect(badge.iterations[2]?.requests.flatMap((r) => r.hints?.runIds ?? [])).toHaveLength(2);
      const settings = {
        strategy: 'bandit' as const,
        burnIn: 1,
        reselectEvery: 0,
        stepsPerIteration: 2,
        checkpoint: join(dir.path, 'bandit.json'),
      };
      const straight = await runActiveLearning({
        ...settings,
        backend: createEmulationBackend(dataset, { seed: 6 }),
        iterations: 4,
        checkpoint: join(dir.path, 'straight.json'),
      });
      const stop = new AbortController();
      await expect(
        runActiveLearning({
          ...settings,
          backend: createEmulationBackend(dataset, { seed: 6 }),
          iterations: 4,
          signal: stop.signal,
          onProgress: (e) => {
            if ((e.data as { iteration?: number } | undefined)?.iteration === 2) stop.abort();
          },
        }),
      ).rejects.toMatchObject({ code: 'PROTEUS_CORE_ABORTED' });
      const saved = JSON.parse(await readFile(join(dir.path, 'bandit.json'), 'utf8'));
      expect(saved.bandit).toHaveLength(4);
      const resumed = await runActiveLearning({
        ...settings,
        backend: createEmulationBackend(dataset, { seed: 6 }),
        iterations: 4,
        resume: true,
      });
      expect(resumed.iterations.map((r) => r.requests)).toEqual(straight.iterations.map((r) => r.requests));
    } finally {
      await dir.dispose();
    }
  });

  it('sets a validation split aside from the pool only: the test split is unchanged and neither is ever drawn', () => {
    const plain = createEmulationBackend(dataset, { seed: 7 });
    const backend = createEmulationBackend(dataset, { seed: 7, validationFraction: 0.25 });
    expect(backend.testRunIds).toEqual(plain.testRunIds);
    const validation = backend.validationSet();
    expect(validation.runs).toBe(backend.validationRunIds.length);
    expect(validation.runs).toBeGreaterThan(80);
    const test = new Set(backend.testRunIds);
    const pool = new Set(backend.remaining());
    for (const id of validation.runIds) {
      expect(test.has(id) || pool.has(id)).toBe(false);
      expect(backend.isHeldOut(id)).toBe(true);
    }
    expect(pool.size + validation.runs + test.size).toBe(dataset.runs.length);
    expect(plain.validationSet().runs).toBe(0);
    expect(() => createEmulationBackend(dataset, { validationFraction: 1 })).toThrow(
      expect.objectContaining({ code: 'PROTEUS_AL_INVALID_OPTION' }),
    );
  });

  it('lists unlabelled pool candidates of a type and replays the ones named in hints.runIds', async () => {
    const backend = createEmulationBackend(dataset, { seed: 8, validationFraction: 0.2 });
    const candidates = backend.candidates('hdd_5');
    const available = backend
      .options()
      .filter((o) => o.label === 'hdd_5')
      .reduce((sum, o) => sum + (o.available ?? 0), 0);
    expect(candidates.runs).toBe(available);
    expect(candidates.x).toHaveLength(candidates.runs * backend.nodes * backend.features);
    expect(candidates.runIds.some((id) => backend.isHeldOut(id))).toBe(false);
    const wanted = [candidates.runIds[5] as string, candidates.runIds[2] as string];
    const request = { workflow: 'eht_imaging', anomaly: 'hdd', level: 5, anomalousWorkers: 1, runs: 3 };
    const out = await backend.runExperiments({ requests: [{ ...request, hints: { runIds: wanted } }] });
    expect(out.runIds.slice(0, 2)).toEqual(wanted);
    expect(out.labels).toEqual(['hdd_5', 'hdd_5', 'hdd_5']);
    expect(backend.candidates('hdd_5').runIds).not.toContain(wanted[0]);
    // A run already replayed falls back to a random draw of the type; a held-out run is refused.
    const again = await backend.runExperiments({ requests: [{ ...request, runs: 1, hints: { runIds: wanted } }] });
    expect(wanted).not.toContain(again.runIds[0]);
    await expect(
      backend.runExperiments({
        requests: [{ ...request, runs: 1, hints: { runIds: [backend.validationRunIds[0] as string] } }],
      }),
    ).rejects.toMatchObject({ code: 'PROTEUS_AL_TEST_LEAK' });
  });

  it('replays the most uncertain candidate runs of the queried type with runSelection "uncertain"', async () => {
    const backend = createEmulationBackend(dataset, { seed: 9 });
    const result = await runActiveLearning({
      backend,
      iterations: 3,
      burnIn: 1,
      reselectEvery: 0,
      stepsPerIteration: 2,
      runSelection: 'uncertain',
      typeScore: 'pool',
      runReduce: 'max',
      classWeights: 'balanced',
    });
    const [burnIn, second, third] = result.iterations;
    expect(burnIn?.requests[0]?.hints?.runIds).toBeUndefined();
    for (const record of [second, third]) {
      const requests = record?.requests ?? [];
      expect(requests.flatMap((r) => r.hints?.runIds ?? [])).toHaveLength(2);
      for (const r of requests) expect(r.hints?.runIds).toHaveLength(r.runs);
      expect(record?.ran).toEqual(requests.flatMap((r) => Array<string>(r.runs).fill(requestLabel(r))));
    }
    await expect(
      runActiveLearning({ backend: createEmulationBackend(dataset), iterations: 1, runReduce: 'median' as 'max' }),
    ).rejects.toMatchObject({ code: 'PROTEUS_AL_INVALID_OPTION' });
    const live = { ...createEmulationBackend(dataset), candidates: undefined };
    await expect(runActiveLearning({ backend: live, iterations: 1, runSelection: 'uncertain' })).rejects.toMatchObject({
      code: 'PROTEUS_AL_INVALID_OPTION',
    });
  });

  it('stops when the score norm ||s_k|| falls to the threshold', async () => {
    const backend = createEmulationBackend(dataset, { seed: 6 });
    const result = await runActiveLearning({ backend, iterations: 5, stepsPerIteration: 1, threshold: 1e9 });
    expect(result.stopped).toBe('threshold');
    expect(result.iterations).toHaveLength(1);
    expect(result.iterations[0]?.scoreNorm).toBeGreaterThan(0);
  });

  it.each([
    ['gcn', {}],
    ['ssl', {}],
    ['gcn', { runSelection: 'uncertain', typeScore: 'pool', classWeights: 'balanced', candidatesPerType: 8 }],
  ] as const)('resumes an interrupted %s run (%j) to the identical result', async (model, extra) => {
    const dir = await createTempDir();
    try {
      const settings = {
        ...extra,
        model,
        iterations: 4,
        stepsPerIteration: 3,
        burnIn: 1,
        seed: 4,
        strategy: 'gradient' as const,
      };
      const fresh = createEmulationBackend(dataset, { seed: 4 });
      const whole = await runActiveLearning({ ...settings, backend: fresh, evaluation: fresh.testSet() });

      const checkpoint = join(dir.path, 'state.json');
      const controller = new AbortController();
      const first = createEmulationBackend(dataset, { seed: 4 });
      await expect(
        runActiveLearning({
          ...settings,
          backend: first,
          evaluation: first.testSet(),
          checkpoint,
          signal: controller.signal,
          onProgress: (e) => {
            if ((e.data as { iteration: number }).iteration === 2) controller.abort();
          },
        }),
      ).rejects.toMatchObject({ code: 'PROTEUS_CORE_ABORTED' });
      expect(JSON.parse(await readFile(checkpoint, 'utf8')).iteration).toBe(2);

      const second = createEmulationBackend(dataset, { seed: 4 });
      const resumed = await runActiveLearning({
        ...settings,
        backend: second,
        evaluation: second.testSet(),
        checkpoint,
        resume: true,
      });
      // Everything but each iteration's wall time, which no rerun repeats.
      const untimed = (iterations: typeof whole.iterations) =>
        iterations.map(({ wallSeconds: _wallSeconds, ...rest }) => rest);
      expect(untimed(resumed.iterations)).toEqual(untimed(whole.iterations));
      expect(resumed.iterations.every((it) => typeof it.wallSeconds === 'number')).toBe(true);
      expect(resumed.state).toEqual(whole.state);
      await expect(
        runActiveLearning({
          ...settings,
          seed: 5,
          backend: createEmulationBackend(dataset, { seed: 4 }),
          checkpoint,
          resume: true,
        }),
      ).rejects.toMatchObject({ code: 'PROTEUS_AL_CHECKPOINT_INVALID' });
    } finally {
      await dir.dispose();
    }
  });
});
