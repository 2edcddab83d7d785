import { describe, expect, it } from 'vitest';
import { majorityBaseline, predictedSingleClass } from './majority-baseline.js';

describe('majorityBaseline', () => {
  it('scores always predicting the anomalous majority like the model metrics do (binary)', () => {
    // 10 normal, 54 anomalous test runs (the montage graph-level split).
    const baseline = majorityBaseline({
      classes: ['normal', 'anomalous'],
      confusionMatrix: [
        [3, 7],
        [4, 50],
      ],
    });
    expect(baseline).toEqual({
      majorityClass: 'anomalous',
      accuracy: 54 / 64,
      precision: 54 / 64,
      recall: 1,
      f1: (2 * (54 / 64)) / (1 + 54 / 64),
    });
  });

  it('gives F1 0 when the majority is normal', () => {
    const baseline = majorityBaseline({
      classes: ['normal', 'anomalous'],
      confusionMatrix: [
        [80, 0],
        [20, 0],
      ],
    });
    expect(baseline).toMatchObject({ majorityClass: 'normal', accuracy: 0.8, recall: 0, f1: 0 });
  });

  it('weights per-class scores by support for more than two classes', () => {
    const baseline = majorityBaseline({
      classes: ['normal', 'cpu', 'hdd'],
      confusionMatrix: [
        [1, 0, 0],
        [0, 2, 0],
        [0, 0, 5],
      ],
    });
    // Only `hdd` is ever right: its F1 is 2 * 5/8 / (1 + 5/8), weighted by its support 5/8.
    expect(baseline?.majorityClass).toBe('hdd');
    expect(baseline?.accuracy).toBe(5 / 8);
    expect(baseline?.f1).toBeCloseTo((5 / 8) * ((2 * (5 / 8)) / (1 + 5 / 8)), 12);
  });

  it('is null for an empty test set', () => {
    expect(
      majorityBaseline({
        classes: ['normal', 'anomalous'],
        confusionMatrix: [
          [0, 0],
          [0, 0],
        ],
      }),
    ).toBeNull();
  });
});

describe('predictedSingleClass', () => {
  it('names the one class predicted for every item', () => {
    expect(
      predictedSingleClass({
        classes: ['normal', 'anomalous'],
        confusionMatrix: [
          [0, 10],
          [0, 54],
        ],
      }),
    ).toBe('anomalous');
  });

  it('is null when the predictions differ', () => {
    expect(
      predictedSingleClass({
        classes: ['normal', 'anomalous'],
        confusionMatrix: [
          [9, 1],
          [0, 54],
        ],
      }),
    ).toBeNull();
  });
});
