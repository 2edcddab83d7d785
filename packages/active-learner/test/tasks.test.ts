import { loadFlowBench } from '@proteus-wf/features';
import { hasSharedDatasets, sharedDataset } from '@proteus-wf/test-utils';
import { describe, expect, it } from 'vitest';
import { emulateActiveLearning } from '../src/emulate-active-learning.js';
import { createEmulationBackend } from '../src/emulation-backend.js';
import { classIndex, defineLearningTask, macroRocAuc } from '../src/learning-task.js';
import { runActiveLearning } from '../src/run-active-learning.js';

describe('macroRocAuc', () => {
  it("equals sklearn's macro one-vs-rest ROC-AUC on a fixed example", () => {
    // python3 -c "from sklearn.metrics import roc_auc_score; import numpy as np; print(roc_auc_score([0,1,2,2,1,0,2,1],
    //   np.array([[.7,.2,.1],[.3,.4,.3],[.2,.2,.6],[.1,.5,.4],[.2,.3,.5],[.5,.1,.4],[.3,.3,.4],[.4,.5,.1]]),
    //   multi_class='ovr', average='macro'))"  # scikit-learn 1.9.1: 0.8666666666666666
    const y = [0, 1, 2, 2, 1, 0, 2, 1];
    const p = Float32Array.from([
      0.7, 0.2, 0.1, 0.3, 0.4, 0.3, 0.2, 0.2, 0.6, 0.1, 0.5, 0.4, 0.2, 0.3, 0.5, 0.5, 0.1, 0.4, 0.3, 0.3, 0.4, 0.4, 0.5,
      0.1,
    ]);
    expect(macroRocAuc(y, p, 3)).toBeCloseTo(0.8666666666666666, 12);
  });
});

describe('defineLearningTask', () => {
  it('names normal class 0 and the other run labels sorted; binary maps every anomaly to 1', () => {
    const task = defineLearningTask({ level: 'graph', labels: 'multiclass' }, ['loss_0.1', 'normal', 'cpu_2', 'cpu_2']);
    expect(task.classes).toEqual(['normal', 'cpu_2', 'loss_0.1']);
    expect(task.metric).toBe('run macro OvR ROC-AUC');
    expect(classIndex(task, 'loss_0.1')).toBe(2);
    expect(classIndex(defineLearningTask({}, []), 'hdd_50')).toBe(1);
  });

  it('throws PROTEUS_AL_INVALID_OPTION for an unknown level and for multiclass with one anomaly label', () => {
    expect(() => defineLearningTask({ level: 'edge' as 'node' }, [])).toThrow(
      expect.objectContaining({ code: 'PROTEUS_AL_INVALID_OPTION' }),
    );
    expect(() => defineLearningTask({ labels: 'multiclass' }, ['normal', 'cpu_2'])).toThrow(
      expect.objectContaining({ code: 'PROTEUS_AL_INVALID_OPTION' }),
    );
  });

  it('throws PROTEUS_AL_LABEL_UNKNOWN for a label outside the classes', () => {
    const task = defineLearningTask({ labels: 'multiclass' }, ['normal', 'cpu_2', 'hdd_5']);
    expect(() => classIndex(task, 'hdd_10')).toThrow(expect.objectContaining({ code: 'PROTEUS_AL_LABEL_UNKNOWN' }));
  });
});

describe.skipIf(!hasSharedDatasets)('graph-level and multiclass active learning', () => {
  const casa = () =>
    loadFlowBench(sharedDataset('exogeni-2020/wind_clustering_casa.zip'), {
      adjacency: sharedDataset('exogeni-2020/adjacency_list_dags/wind_clustering_casa.json'),
    });

  it('emulates graph-level binary detection on exogeni-2020: label-folder options, a run ROC-AUC curve per strategy', async () => {
    const dataset = await casa();
    expect(dataset.generation).toBe(1);
    const backend = createEmulationBackend(dataset, { seed: 0 });
    const options = backend.options().map((o) => o.label);
    expect(options).toContain('normal');
    expect(options).toContain('loss_0.1');
    expect(new Set(options).size).toBe(options.length);
    const summary = await emulateActiveLearning(dataset, {
      task: { level: 'graph', labels: 'binary' },
      strategy: 'entropy',
      compare: ['random'],
      seeds: 2,
      iterations: 2,
      perIteration: 2,
      typeScore: 'pool',
      runSelection: 'uncertain',
      candidatesPerType: 4,
      training: { kind: 'converge', maxSteps: 10, minSteps: 10 },
      fullPoolSteps: 10,
      stopping: { rule: 'never' },
    });
    expect(summary.settings.task).toMatchObject({ level: 'graph', labels: 'binary', metric: 'run ROC-AUC' });
    expect(summary.strategies.map((s) => s.curve.map((p) => p.samples))).toEqual([
      [2, 4],
      [2, 4],
    ]);
    const aucs = summary.strategies.flatMap((s) => s.curve.map((p) => p.rocAuc.mean));
    expect(aucs.every((auc) => auc > 0 && auc <= 1)).toBe(true);
    expect(summary.fullPool?.perSeed).toHaveLength(2);
    expect(summary.comparisons?.[0]?.strategy).toBe('entropy');
  }, 60_000);

  it('scores each test run once at graph level: run ROC-AUC, not job ROC-AUC', async () => {
    const dataset = await casa();
    const backend = createEmulationBackend(dataset, { seed: 1 });
    const test = backend.testSet();
    const result = await runActiveLearning({
      backend,
      evaluation: test,
      task: defineLearningTask(
        { level: 'graph' },
        dataset.runs.map((r) => r.label),
      ),
      strategy: 'margin',
      iterations: 2,
      perIteration: 2,
      training: { kind: 'converge', maxSteps: 20, minSteps: 10 },
      stopping: { rule: 'never' },
    });
    expect(result.iterations).toHaveLength(2);
    expect(test.runLabels).toHaveLength(test.runs);
    expect(result.iterations.at(-1)?.metrics?.rocAuc).toBeGreaterThan(0);
  }, 60_000);

  it('keeps balanced a design under pool-based run selection: no request names the runs the model doubts', async () => {
    const dataset = await casa();
    const backend = createEmulationBackend(dataset, { seed: 2 });
    const result = await runActiveLearning({
      backend,
      strategy: 'balanced',
      typeScore: 'pool',
      runSelection: 'uncertain',
      candidatesPerType: 4,
      iterations: 3,
      perIteration: 2,
      training: { kind: 'converge', maxSteps: 10, minSteps: 10 },
      stopping: { rule: 'never' },
    });
    const named = result.iterations.flatMap((it) => it.requests.filter((r) => Array.isArray(r.hints?.runIds)));
    expect(result.iterations).toHaveLength(3);
    expect(named).toEqual([]);
  }, 60_000);

  it('throws PROTEUS_AL_TASK_UNSUPPORTED for the label-free SSL with a graph-level task', async () => {
    const dataset = await casa();
    const backend = createEmulationBackend(dataset, { seed: 0 });
    await expect(
      runActiveLearning({
        backend,
        model: 'ssl',
        task: defineLearningTask({ level: 'graph' }, []),
        iterations: 1,
      }),
    ).rejects.toMatchObject({ code: 'PROTEUS_AL_TASK_UNSUPPORTED' });
  }, 30_000);
});
