import { ProteusError } from '@proteus-wf/core';
import type { Generation } from './trace-schema.js';

/** `fine`: every anomaly level is a class; `merged`: one class per anomaly kind (cpu, hdd, loss). */
export type LabelGranularity = 'fine' | 'merged';

/** Class names of a multi-class labelling; class 0 is always `normal`. JSON-serializable. */
export interface LabelMap {
  generation: Generation;
  granularity: LabelGranularity;
  classes: readonly string[];
}

/** The label of a normal job or run. */
export const NORMAL_LABEL = 'normal';

const CLASSES: Record<Generation, Record<LabelGranularity, readonly string[]>> = {
  1: {
    fine: [
      'normal',
      'cpu_2',
      'cpu_3',
      'hdd_50',
      'hdd_60',
      'hdd_70',
      'hdd_80',
      'hdd_90',
      'hdd_100',
      'loss_0.1',
      'loss_0.5',
      'loss_1',
      'loss_3',
      'loss_5',
    ],
    merged: ['normal', 'cpu', 'hdd', 'loss'],
  },
  2: {
    fine: ['normal', 'cpu_2', 'cpu_3', 'cpu_4', 'hdd_5', 'hdd_10'],
    merged: ['normal', 'cpu', 'hdd'],
  },
};

const NORMAL_SPELLINGS = new Set(['', 'None', 'none', 'nan', 'NaN', 'null', 'normal']);

/**
 * A job's label from the gen-2 `anomaly_type` cell: `None`, empty and NaN (and a missing cell) are `normal`;
 * anything else is the anomaly (`cpu_2`, `hdd_10`, ...).
 * @example normalizeJobLabel('None'); // 'normal'
 */
export function normalizeJobLabel(anomalyType: string | null | undefined): string {
  if (anomalyType === null || anomalyType === undefined) return NORMAL_LABEL;
  const trimmed = anomalyType.trim();
  return NORMAL_SPELLINGS.has(trimmed) ? NORMAL_LABEL : trimmed;
}

/**
 * The multi-class label map of a generation. Defaults: gen-2 `fine` (normal/cpu_2/cpu_3/cpu_4/hdd_5/hdd_10), gen-1
 * `merged` (normal/cpu/hdd/loss, the GNN paper's p = 4).
 * @example labelMapFor(2, 'merged').classes; // ['normal', 'cpu', 'hdd']
 * @throws ProteusError PROTEUS_FEATURES_INVALID_OPTION for another generation or granularity
 */
export function labelMapFor(generation: Generation, granularity?: LabelGranularity): LabelMap {
  const chosen = granularity ?? (generation === 1 ? 'merged' : 'fine');
  const classes = CLASSES[generation]?.[chosen];
  if (classes === undefined) {
    throw new ProteusError(
      'PROTEUS_FEATURES_INVALID_OPTION',
      `features/labelMapFor: expected generation 1 or 2 and granularity "fine" or "merged", got ${String(generation)} and ${String(granularity)}`,
    );
  }
  return { generation, granularity: chosen, classes };
}

/**
 * The class index of a label (`cpu_3` is class `cpu` in a merged map).
 * @example labelIndex(labelMapFor(2, 'merged'), 'hdd_10'); // 2
 * @throws ProteusError PROTEUS_FEATURES_LABEL_UNKNOWN when the map has no class for the label
 */
export function labelIndex(map: LabelMap, label: string): number {
  const key = map.granularity === 'merged' ? mergedLabel(label) : label;
  const index = map.classes.indexOf(key);
  if (index === -1) {
    throw new ProteusError(
      'PROTEUS_FEATURES_LABEL_UNKNOWN',
      `features/labelIndex: label "${label}" has no class in the gen-${map.generation} ${map.granularity} map (${map.classes.join(', ')}). Use { labels: 'merged' } or filter those runs.`,
      { details: { label, classes: map.classes } },
    );
  }
  return index;
}

/**
 * The anomaly kind of a label: the part before the first `_` (`hdd_50` -> `hdd`); `normal` stays `normal`.
 * @example mergedLabel('loss_0.5'); // 'loss'
 */
export function mergedLabel(label: string): string {
  const cut = label.indexOf('_');
  return cut === -1 ? label : label.slice(0, cut);
}
