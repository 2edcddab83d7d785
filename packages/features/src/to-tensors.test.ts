import { beforeAll, describe, expect, it } from 'vitest';
import { EHT_IMAGING, hasSharedDatasets, WIND_GEN1 } from '../test/support.js';
import { extractFeatures, type FeatureSet } from './extract-features.js';
import { loadFlowBench } from './load-flowbench.js';
import { applyScaler, fitScaler } from './scaler.js';
import { toTensors } from './to-tensors.js';

describe.skipIf(!hasSharedDatasets)('toTensors', () => {
  let gen2: FeatureSet;
  let gen1: FeatureSet;
  beforeAll(async () => {
    gen2 = extractFeatures(await loadFlowBench(EHT_IMAGING));
    gen1 = extractFeatures(await loadFlowBench(WIND_GEN1));
  });

  it('packs X [runs, jobs, features] and fine labels for gen-2', () => {
    const t = toTensors(gen2);
    expect(t.shape).toEqual([501, 12, 7]);
    expect(t.X).toBe(gen2.values);
    expect(t.labelMap.classes).toEqual(['normal', 'cpu_2', 'cpu_3', 'cpu_4', 'hdd_5', 'hdd_10']);
    const wrong = gen2.jobLabels.filter(
      (label, i) =>
        t.labelMap.classes[t.jobLabels[i] as number] !== label || t.jobBinary[i] !== (label === 'normal' ? 0 : 1),
    );
    expect(wrong).toEqual([]);
    gen2.runs.forEach((run, r) => {
      expect(t.labelMap.classes[t.runLabels[r] as number]).toBe(run.label);
      expect(t.runBinary[r]).toBe(run.label === 'normal' ? 0 : 1);
    });
    expect(Array.from(t.runBinary).filter(Boolean)).toHaveLength(501 - 212);
  });

  it('merges levels and defaults gen-1 to normal/cpu/hdd/loss', () => {
    expect(toTensors(gen2, { labels: 'merged' }).labelMap.classes).toEqual(['normal', 'cpu', 'hdd']);
    const t = toTensors(gen1);
    expect(t.labelMap.classes).toEqual(['normal', 'cpu', 'hdd', 'loss']);
    const counts = [0, 0, 0, 0];
    for (const label of t.runLabels) counts[label] = (counts[label] as number) + 1;
    expect(counts).toEqual([270, 300, 360, 300]);
  });

  it('scales X with a scaler, leaving the feature set untouched', () => {
    const scaler = fitScaler(gen2, { runs: [0, 1, 2, 3, 4] });
    const t = toTensors(gen2, { scaler });
    expect(t.X).not.toBe(gen2.values);
    expect(Buffer.from(t.X.buffer).equals(Buffer.from(applyScaler(gen2, scaler).values.buffer))).toBe(true);
  });

  it('throws PROTEUS_FEATURES_LABEL_UNKNOWN for a label outside the map', () => {
    const odd = { ...gen2, runs: gen2.runs.map((run, i) => (i === 0 ? { ...run, label: 'mem_9' } : run)) };
    expect(() => toTensors(odd)).toThrow(expect.objectContaining({ code: 'PROTEUS_FEATURES_LABEL_UNKNOWN' }));
  });
});
