import { describe, expect, it } from 'vitest';
import { labelIndex, labelMapFor, mergedLabel, normalizeJobLabel } from './labels.js';

describe('normalizeJobLabel', () => {
  it.each([['None'], [''], ['NaN'], ['nan'], [null], [undefined], [' None ']])('treats %j as normal', (value) => {
    expect(normalizeJobLabel(value)).toBe('normal');
  });
  it('keeps anomalies', () => {
    expect(normalizeJobLabel('cpu_4')).toBe('cpu_4');
  });
});

describe('labelMapFor', () => {
  it('has the published classes, normal first', () => {
    expect(labelMapFor(2).classes).toEqual(['normal', 'cpu_2', 'cpu_3', 'cpu_4', 'hdd_5', 'hdd_10']);
    expect(labelMapFor(2, 'merged').classes).toEqual(['normal', 'cpu', 'hdd']);
    expect(labelMapFor(1).classes).toEqual(['normal', 'cpu', 'hdd', 'loss']);
    expect(labelMapFor(1, 'fine').classes).toHaveLength(14);
  });
  it('throws PROTEUS_FEATURES_INVALID_OPTION for an unknown granularity', () => {
    expect(() => labelMapFor(2, 'coarse' as 'fine')).toThrow(
      expect.objectContaining({ code: 'PROTEUS_FEATURES_INVALID_OPTION' }),
    );
  });
});

describe('labelIndex', () => {
  it('maps fine and merged labels', () => {
    expect(labelIndex(labelMapFor(2), 'hdd_10')).toBe(5);
    expect(labelIndex(labelMapFor(2, 'merged'), 'hdd_10')).toBe(2);
    expect(labelIndex(labelMapFor(1), 'loss_0.5')).toBe(3);
    expect(mergedLabel('normal')).toBe('normal');
  });
  it('throws PROTEUS_FEATURES_LABEL_UNKNOWN for a label without a class', () => {
    expect(() => labelIndex(labelMapFor(2), 'cpu_9')).toThrow(
      expect.objectContaining({ code: 'PROTEUS_FEATURES_LABEL_UNKNOWN' }),
    );
    expect(() => labelIndex(labelMapFor(2, 'merged'), 'loss_1')).toThrow(
      expect.objectContaining({ code: 'PROTEUS_FEATURES_LABEL_UNKNOWN' }),
    );
  });
});
