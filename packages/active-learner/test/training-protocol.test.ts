import { loadFlowBench } from '@proteus-wf/features';
import { hasSharedDatasets, sharedDataset } from '@proteus-wf/test-utils';
import { describe, expect, it } from 'vitest';
import { createEmulationBackend } from '../src/emulation-backend.js';
import { runActiveLearning } from '../src/run-active-learning.js';
import { defineTrainingProtocol } from '../src/training-protocol.js';

describe('defineTrainingProtocol', () => {
  it('defaults to training to convergence and keeps the paper fixed-step protocol on request', () => {
    expect(defineTrainingProtocol()).toMatchObject({
      kind: 'converge',
      patience: 3,
      checkEvery: 10,
      selectBy: 'rocAuc',
    });
    expect(defineTrainingProtocol({ selectBy: 'loss' })).toMatchObject({ selectBy: 'loss' });
    expect(defineTrainingProtocol({ kind: 'fixed', steps: 60 })).toEqual({ kind: 'fixed', steps: 60, memoryRuns: 8 });
  });

  it('throws PROTEUS_AL_INVALID_OPTION for a bad count, share or kind', () => {
    for (const bad of [
      { maxSteps: 0 },
      { validationShare: 1 },
      { minSteps: 50, maxSteps: 10 },
      { kind: 'epochs' },
      { selectBy: 'auc' },
    ]) {
      expect(() => defineTrainingProtocol(bad as never)).toThrow(
        expect.objectContaining({ code: 'PROTEUS_AL_INVALID_OPTION' }),
      );
    }
  });
});

// Issue 14: with 10 update steps per iteration the curves measured optimizer steps, not data. One-shot training on the
// first 2 random runs of 1000genome (150 steps) reached ROC-AUC .78 (seeds 0-2: .800, .777, .770), while the loop's
// first iteration on the same 2 runs stopped at .724 (.741, .655, .775) and needed 4-10 runs to get there. Under the
// default protocol an iteration trains to convergence, so the first point of the curve is what those 2 runs can teach.
describe.skipIf(!hasSharedDatasets)('the default protocol measures data, not optimizer steps', () => {
  it("puts the loop's first iteration within .025 of one-shot training to convergence on the same 2 runs (1000genome, 3 seeds)", async () => {
    const dataset = await loadFlowBench(sharedDataset('flowbench/1000genome.zip'));
    const gaps: number[] = [];
    for (const seed of [0, 1, 2]) {
      const common = { strategy: 'random' as const, iterations: 1, seed, stopping: { rule: 'never' as const } };
      const loopBackend = createEmulationBackend(dataset, { seed });
      const loop = await runActiveLearning({ ...common, backend: loopBackend, evaluation: loopBackend.testSet() });
      const shotBackend = createEmulationBackend(dataset, { seed });
      const oneShot = await runActiveLearning({
        ...common,
        backend: shotBackend,
        evaluation: shotBackend.testSet(),
        stepsPerIteration: 150,
      });
      expect(loop.iterations[0]?.ran).toEqual(oneShot.iterations[0]?.ran);
      gaps.push((oneShot.iterations[0]?.metrics?.rocAuc as number) - (loop.iterations[0]?.metrics?.rocAuc as number));
    }
    const meanGap = gaps.reduce((a, b) => a + b, 0) / gaps.length;
    expect(meanGap).toBeLessThan(0.025);
  }, 180_000);
});

// Issue 14 §1/§2: the montage full-pool references (.52-.68) fell below what 16 labelled runs reach (.65-.73). Patience
// watched the class-weighted loss of the validation fold, which stops improving (and picks its weights) long before the
// ranking does: on montage, seed 0, 32 runs trained from cold, keeping the weights with the lowest loss gave test
// ROC-AUC .608 after 40 steps, keeping those with the best validation ROC-AUC .637 after 90 (load ~33 on 2 cores);
// the full pool (600 steps) .567 by loss vs .717 by ROC-AUC. Deterministic (seeded, 1 thread).
describe.skipIf(!hasSharedDatasets)('patience watches the validation ROC-AUC, not the weighted loss', () => {
  it('trains montage (seed 0, 32 runs from cold) at least .02 ROC-AUC higher than selecting by loss', async () => {
    const dataset = await loadFlowBench(sharedDataset('flowbench/montage.zip'));
    const aucs: Record<string, number> = {};
    for (const selectBy of ['loss', 'rocAuc'] as const) {
      const backend = createEmulationBackend(dataset, { seed: 0 });
      const result = await runActiveLearning({
        backend,
        evaluation: backend.testSet(),
        strategy: 'random',
        seed: 0,
        iterations: 1,
        perIteration: 32,
        training: { kind: 'converge', selectBy },
        stopping: { rule: 'never' },
      });
      aucs[selectBy] = result.iterations[0]?.metrics?.rocAuc as number;
    }
    expect(aucs.rocAuc).toBeGreaterThanOrEqual((aucs.loss as number) + 0.02);
  }, 600_000);
});
