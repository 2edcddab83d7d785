import { createRng } from '@proteus-wf/core';
import { describe, expect, it } from 'vitest';
import { defineModelSpec, type ModelSpec, type ModelWeights, weightShapes } from './model-spec.js';
import { randomGcnAdjacency, referenceLogits, softmaxRow } from './reference.test-helpers.js';
import { createTrainer } from './trainer.js';

// Every weight of the real training graph (forward, masked class-weighted cross-entropy, autodiff, SGD update) against
// a float64 finite difference of an independent JS loss: every bias element and every matrix element, for each
// model the trainer builds. One SGD step with lr 1 and no momentum moves each weight by exactly minus its gradient.
const N = 6;
const F = 4;
const HIDDEN = 5;
const CLASSES = 3;
const BATCH = 3;
const CLASS_WEIGHTS = [1, 2.5, 0.5];

const adjacency = randomGcnAdjacency(createRng(3), N);
const MODELS: Record<string, ModelSpec> = {};
for (const level of ['graph', 'node'] as const) {
  for (const aggregation of ['sparse', 'dense'] as const) {
    for (const rootWeight of [false, true]) {
      MODELS[`gcn${rootWeight ? ' + root weight' : ''} ${level} ${aggregation}`] = {
        kind: 'gcn',
        level,
        aggregation,
        rootWeight,
        nodes: N,
        features: F,
        classes: CLASSES,
        hidden: HIDDEN,
        adjacency,
      };
    }
  }
}
MODELS['mlp node'] = { kind: 'mlp', nodes: N, features: F, classes: CLASSES, hidden: HIDDEN };
MODELS['mlp rows'] = { kind: 'mlp', features: F, classes: CLASSES, hidden: HIDDEN };

/** Items per sample: one label per run (graph level), per job (node level, MLP over jobs), or per row. */
function itemsPerSample(spec: ModelSpec): number {
  if (spec.kind === 'gcn') return spec.level === 'graph' ? 1 : N;
  return spec.nodes === undefined ? 1 : N;
}

function referenceLoss(
  spec: ModelSpec,
  weights: ModelWeights,
  x: Float32Array,
  labels: readonly number[],
  mask: Float32Array,
): number {
  const resolved = defineModelSpec(spec);
  const sampleSize = x.length / BATCH;
  const perSample = itemsPerSample(spec);
  let total = 0;
  let norm = 0;
  for (let b = 0; b < BATCH; b++) {
    const rows = referenceLogits(resolved, weights, x.subarray(b * sampleSize, (b + 1) * sampleSize));
    rows.forEach((row, k) => {
      const item = b * perSample + k;
      const label = labels[item] as number;
      const weight = (CLASS_WEIGHTS[label] as number) * (mask[item] as number);
      total -= weight * Math.log(softmaxRow(row)[label] as number);
      norm += weight;
    });
  }
  return total / norm;
}

describe('buildTrainingGraph gradients', () => {
  for (const [name, spec] of Object.entries(MODELS)) {
    it(`match a float64 finite difference for every weight: ${name}, mixed mask, class weights`, async () => {
      const rng = createRng(11);
      const sampleSize = spec.kind === 'mlp' && spec.nodes === undefined ? F : N * F;
      const x = Float32Array.from({ length: BATCH * sampleSize }, () => rng.normal());
      const items = BATCH * itemsPerSample(spec);
      const labels = Array.from({ length: items }, (_, i) => (i * 7 + 1) % CLASSES);
      // Masked-out items carry labels the others lack in places, so a loss that ignores the mask moves every weight.
      const mask = Float32Array.from({ length: items }, (_, i) => (i % 3 === 1 ? 0 : 1));
      await using trainer = await createTrainer({
        model: spec,
        seed: 8,
        optimizer: { kind: 'sgd', lr: 1 },
        classWeights: CLASS_WEIGHTS,
      });
      const before = trainer.weights();
      const loss = await trainer.step(x, labels, { mask });
      expect(loss).toBeCloseTo(referenceLoss(spec, before, x, labels, mask), 5);
      const after = trainer.weights();

      const names = weightShapes(defineModelSpec(spec)).map(([weight]) => weight);
      let probes = 0;
      for (const weight of names) {
        const start = before[weight]?.data as Float32Array;
        for (let j = 0; j < start.length; j++) {
          const lossAt = (delta: number) => {
            const shifted: ModelWeights = { ...before };
            const data = Float64Array.from(start);
            data[j] = (data[j] as number) + delta;
            shifted[weight] = { shape: before[weight]?.shape as number[], data: data as unknown as Float32Array };
            return referenceLoss(spec, shifted, x, labels, mask);
          };
          const fd = (lossAt(1e-6) - lossAt(-1e-6)) / 2e-6;
          const gradient = (start[j] as number) - (after[weight]?.data[j] as number);
          expect(Math.abs(gradient - fd), `${weight}[${j}]: engine ${gradient}, finite difference ${fd}`).toBeLessThan(
            2e-5 + 2e-3 * Math.abs(fd),
          );
          probes++;
        }
      }
      expect(probes).toBe(names.reduce((sum, weight) => sum + (before[weight]?.data.length ?? 0), 0));
    });
  }
});
