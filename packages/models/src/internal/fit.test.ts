import { createRng } from '@proteus-wf/core';
import { describe, expect, it } from 'vitest';
import { type FitData, fit, PART, predictRuns } from './fit.js';

describe('fit', () => {
  it('trains on the training jobs only when a run holds jobs of several parts (node-level label mask)', async () => {
    // Every run mixes training jobs (label 0) and validation jobs (label 1) with features from one distribution: a
    // loss that ignored the mask would see half of each run labelled 1 and predict about 0.5 everywhere.
    const runs = 6;
    const nodes = 4;
    const features = 2;
    const rng = createRng(5);
    const part = Uint8Array.from({ length: runs * nodes }, (_, i) => (i % 2 === 0 ? PART.train : PART.validation));
    const data: FitData = {
      x: Float32Array.from({ length: runs * nodes * features }, () => rng.normal()),
      runs,
      nodes,
      features,
      level: 'node',
      y: Int32Array.from(part, (p) => (p === PART.train ? 0 : 1)),
      part,
    };
    const outcome = await fit(data, {
      spec: { kind: 'mlp', nodes, features, classes: 2, hidden: 8 },
      optimizer: { kind: 'adam', lr: 0.05 },
      epochs: 40,
      batchSize: 3,
      seed: 1,
      patience: undefined,
      selectBy: 'last',
    });
    try {
      const probabilities = await predictRuns(outcome.trainer, data, [0, 1, 2, 3, 4, 5]);
      let anomalous = 0;
      for (let item = 0; item < runs * nodes; item++) anomalous += probabilities[2 * item + 1] as number;
      expect(anomalous / (runs * nodes)).toBeLessThan(0.1);
      expect(outcome.history.at(-1)?.validationAccuracy).toBe(0);
    } finally {
      await outcome.trainer.release();
    }
  });

  it('cuts the learning rate after `patience` epochs without a better validation metric, and the steps use it', async () => {
    // Labels are noise, so the validation ROC-AUC plateaus. The history's rates must follow ReduceLROnPlateau
    // recomputed here from the recorded validation numbers; after the first cut (x 1e-6) the weights barely move, so
    // the full-batch training loss stops changing, while it changed before.
    const runs = 10;
    const nodes = 4;
    const features = 3;
    const rng = createRng(11);
    const part = Uint8Array.from({ length: runs * nodes }, (_, i) => (i < 7 * nodes ? PART.train : PART.validation));
    const data: FitData = {
      x: Float32Array.from({ length: runs * nodes * features }, () => rng.normal()),
      runs,
      nodes,
      features,
      level: 'node',
      y: Int32Array.from(part, (_, i) => (i % 3 === 0 ? 1 : 0)),
      part,
    };
    const lrDecay = { factor: 1e-6, patience: 3, minLr: 1e-9 };
    const outcome = await fit(data, {
      spec: { kind: 'mlp', nodes, features, classes: 2, hidden: 8 },
      optimizer: { kind: 'adam', lr: 0.05 },
      epochs: 40,
      batchSize: 7,
      seed: 2,
      patience: undefined,
      lrDecay,
    });
    await outcome.trainer.release();
    const history = outcome.history;
    let expected = 0.05;
    let bestRank: [number, number] | undefined;
    let sinceCut = 0;
    for (const record of history) {
      expect(record.lr).toBe(expected);
      const rank: [number, number] = [record.validationMetric as number, -(record.validationLoss as number)];
      const better = !bestRank || rank[0] > bestRank[0] || (rank[0] === bestRank[0] && rank[1] > bestRank[1]);
      if (better) {
        bestRank = rank;
        sinceCut = 0;
      } else if (++sinceCut >= lrDecay.patience && expected > lrDecay.minLr) {
        expected = Math.max(expected * lrDecay.factor, lrDecay.minLr);
        sinceCut = 0;
      }
    }
    const firstCut = history.findIndex((r) => r.lr < 0.05);
    expect(firstCut).toBeGreaterThan(1);
    expect(firstCut).toBeLessThan(history.length - 3);
    const change = (from: number, to: number) =>
      Math.max(
        ...history.slice(from + 1, to).map((r, i) => Math.abs(r.trainLoss - (history[from + i]?.trainLoss ?? 0))),
      );
    expect(change(0, firstCut)).toBeGreaterThan(1e-3);
    expect(change(firstCut, history.length)).toBeLessThan(1e-5);
  });
});
