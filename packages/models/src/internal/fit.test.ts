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
});
