import { beforeAll, describe, expect, it } from 'vitest';
import { EHT_IMAGING, hasSharedDatasets } from '../test/support.js';
import { extractFeatures, type FeatureSet } from './extract-features.js';
import { loadFlowBench } from './load-flowbench.js';
import { applyJobTypeScaler, applyScaler, fitJobTypeScaler, fitScaler, standardizeJobTypesPerRun } from './scaler.js';
import { splitByRun } from './split.js';

describe.skipIf(!hasSharedDatasets)('fitScaler', () => {
  let features: FeatureSet;
  beforeAll(async () => {
    features = extractFeatures(await loadFlowBench(EHT_IMAGING), { pipeline: 'works22' });
  });
  const width = 24;

  /** Values of feature f over the given runs. */
  function column(set: FeatureSet, runs: readonly number[], f: number): number[] {
    const out: number[] = [];
    for (const run of runs)
      for (let node = 0; node < set.jobsPerRun; node++)
        out.push(set.values[(run * set.jobsPerRun + node) * width + f] as number);
    return out;
  }

  it('min-max: training values land in [0, 1]; constant columns map to 0', () => {
    const split = splitByRun(features, { seed: 3 });
    const scaler = fitScaler(features, { kind: 'minmax', runs: split.train });
    expect(scaler.fittedOn).toEqual({ runs: split.train.length, jobs: split.train.length * 12 });
    const scaled = applyScaler(features, scaler);
    for (let f = 0; f < width; f++) {
      const raw = column(features, split.train, f);
      const out = column(scaled, split.train, f);
      if (Math.min(...raw) === Math.max(...raw)) {
        expect(scaler.divisor[f]).toBe(0);
        expect(out.every((v) => v === 0)).toBe(true);
      } else {
        expect(Math.min(...out)).toBeCloseTo(0, 6);
        expect(Math.max(...out)).toBeCloseTo(1, 6);
      }
    }
    // pre_script_delay is missing everywhere: constant 0.
    expect(scaler.divisor[features.featureNames.indexOf('pre_script_delay')]).toBe(0);
  });

  it('standard: training values have mean 0 and std 1', () => {
    const split = splitByRun(features, { seed: 4 });
    const scaled = applyScaler(features, fitScaler(features, { kind: 'standard', runs: split.train }));
    const f = features.featureNames.indexOf('runtime');
    const out = column(scaled, split.train, f);
    const mean = out.reduce((a, b) => a + b, 0) / out.length;
    const std = Math.sqrt(out.reduce((a, b) => a + (b - mean) ** 2, 0) / out.length);
    expect(mean).toBeCloseTo(0, 5);
    expect(std).toBeCloseTo(1, 5);
  });

  it('never reads test or validation runs: changing them leaves the scaler unchanged', () => {
    const split = splitByRun(features, { seed: 5 });
    const before = fitScaler(features, { kind: 'minmax', runs: split.train });
    const poisoned = new Float32Array(features.values);
    for (const run of [...split.validation, ...split.test]) {
      poisoned.fill(1e9, run * 12 * width, (run + 1) * 12 * width);
    }
    const after = fitScaler({ ...features, values: poisoned }, { kind: 'minmax', runs: split.train });
    expect(after).toEqual(before);
    const standard = fitScaler({ ...features, values: poisoned }, { kind: 'standard', runs: split.train });
    expect(standard).toEqual(fitScaler(features, { kind: 'standard', runs: split.train }));
  });

  it('fits on training jobs of the transductive split', () => {
    const jobs = [0, 1, 2, 30, 31];
    const scaler = fitScaler(features, { kind: 'minmax', jobs });
    const f = features.featureNames.indexOf('runtime');
    const values = jobs.map((j) => features.values[j * width + f] as number);
    expect(scaler.offset[f]).toBe(Math.min(...values));
    expect(scaler.fittedOn).toEqual({ runs: 2, jobs: 5 });
  });

  it('survives JSON', () => {
    const scaler = fitScaler(features, { runs: [0, 1, 2, 3] });
    const viaJson = applyScaler(features, JSON.parse(JSON.stringify(scaler))).values;
    const direct = applyScaler(features, scaler).values;
    expect(Buffer.from(viaJson.buffer).equals(Buffer.from(direct.buffer))).toBe(true);
  });

  it('throws PROTEUS_FEATURES_INVALID_OPTION without training data or with bad indices', () => {
    const code = { code: 'PROTEUS_FEATURES_INVALID_OPTION' };
    expect(() => fitScaler(features, {})).toThrow(expect.objectContaining(code));
    expect(() => fitScaler(features, { runs: [0], jobs: [0] })).toThrow(expect.objectContaining(code));
    expect(() => fitScaler(features, { runs: [] })).toThrow(expect.objectContaining(code));
    expect(() => fitScaler(features, { runs: [501] })).toThrow(expect.objectContaining(code));
    expect(() => fitScaler(features, { jobs: [-1] })).toThrow(expect.objectContaining(code));
    expect(() => fitScaler(features, { runs: [0], kind: 'robust' as 'minmax' })).toThrow(expect.objectContaining(code));
  });

  it('throws PROTEUS_FEATURES_SCALER_INVALID for a scaler of other features or a malformed one', () => {
    const scaler = fitScaler(features, { runs: [0, 1] });
    const other = { ...features, featureNames: features.featureNames.slice(1).concat('x') };
    expect(() => applyScaler(other, scaler)).toThrow(
      expect.objectContaining({ code: 'PROTEUS_FEATURES_SCALER_INVALID' }),
    );
    expect(() => applyScaler(features, { ...scaler, offset: [1] })).toThrow(
      expect.objectContaining({ code: 'PROTEUS_FEATURES_SCALER_INVALID' }),
    );
  });
});

describe.skipIf(!hasSharedDatasets)('fitJobTypeScaler / applyJobTypeScaler', () => {
  it('standardizes each job type over the fitted runs only (mean 0, std 1 per type and feature), other runs untouched', async () => {
    const features = extractFeatures(await loadFlowBench(EHT_IMAGING), { pipeline: 'flowbench-v1' });
    const width = features.featureNames.length;
    const split = splitByRun(features, { seed: 3 });
    const scaler = fitJobTypeScaler(features, { runs: split.train });
    expect(scaler.fittedOn).toEqual({ runs: split.train.length, jobs: split.train.length * features.jobsPerRun });
    const types = features.graph.jobs().map((job) => job.transformation);
    expect(Object.keys(scaler.types).sort()).toEqual([...new Set(types)].sort());
    const scaled = applyJobTypeScaler(features, JSON.parse(JSON.stringify(scaler)));
    for (const type of Object.keys(scaler.types)) {
      const nodes = types.flatMap((t, node) => (t === type ? [node] : []));
      for (let f = 0; f < width; f++) {
        const raw: number[] = [];
        const out: number[] = [];
        for (const run of split.train)
          for (const node of nodes) {
            raw.push(features.values[(run * features.jobsPerRun + node) * width + f] as number);
            out.push(scaled.values[(run * features.jobsPerRun + node) * width + f] as number);
          }
        const mean = out.reduce((a, b) => a + b, 0) / out.length;
        const variance = out.reduce((a, b) => a + (b - mean) ** 2, 0) / out.length;
        expect(Math.abs(mean)).toBeLessThan(1e-4);
        if (Math.min(...raw) === Math.max(...raw)) expect(variance).toBe(0);
        else expect(variance).toBeCloseTo(1, 3);
      }
    }
    // Fitted on the training runs only: the test runs are scaled with the same statistics, not their own.
    const onTest = fitJobTypeScaler(features, { runs: split.test });
    expect(onTest.types).not.toEqual(scaler.types);
  });

  it('throws PROTEUS_FEATURES_UNKNOWN_JOB_TYPE for a job type without statistics, unless { unknownJobTypes: "zero" }', async () => {
    const features = extractFeatures(await loadFlowBench(EHT_IMAGING), { pipeline: 'flowbench-v1' });
    const scaler = fitJobTypeScaler(features, { runs: [0, 1] });
    const [dropped] = Object.keys(scaler.types);
    const partial = { ...scaler, types: { ...scaler.types } };
    delete partial.types[dropped as string];
    expect(() => applyJobTypeScaler(features, partial)).toThrow(
      expect.objectContaining({ code: 'PROTEUS_FEATURES_UNKNOWN_JOB_TYPE' }),
    );
    const zeroed = applyJobTypeScaler(features, partial, { unknownJobTypes: 'zero' });
    const node = features.graph.jobs().findIndex((job) => job.transformation === dropped);
    const width = features.featureNames.length;
    expect(Array.from(zeroed.values.subarray(node * width, (node + 1) * width))).toEqual(new Array(width).fill(0));
    expect(() => fitJobTypeScaler(features, { runs: [] })).toThrow(
      expect.objectContaining({ code: 'PROTEUS_FEATURES_INVALID_OPTION' }),
    );
    const works22 = extractFeatures(await loadFlowBench(EHT_IMAGING), { pipeline: 'works22' });
    expect(() => applyJobTypeScaler(works22, scaler)).toThrow(
      expect.objectContaining({ code: 'PROTEUS_FEATURES_SCALER_INVALID' }),
    );
  });
  it("standardizes an unknown job type with the statistics of every fitted job under { unknownJobTypes: 'global' }", async () => {
    const features = extractFeatures(await loadFlowBench(EHT_IMAGING), { pipeline: 'flowbench-v1' });
    const runs = [0, 1, 2];
    const scaler = fitJobTypeScaler(features, { runs });
    const width = features.featureNames.length;
    const node = 0;
    const dropped = features.graph.jobs()[node]?.transformation as string;
    const partial = { ...scaler, types: { ...scaler.types } };
    delete partial.types[dropped];
    const pooled = fitScaler(features, { kind: 'standard', runs });
    const scaled = applyJobTypeScaler(features, partial, { unknownJobTypes: 'global' });
    for (let f = 0; f < width; f++) {
      expect(scaler.global?.offset[f]).toBeCloseTo(pooled.offset[f] as number, 2);
      const raw = features.values[node * width + f] as number;
      const divisor = scaler.global?.divisor[f] as number;
      const expected = divisor === 0 ? 0 : (raw - (scaler.global?.offset[f] as number)) / divisor;
      expect(scaled.values[node * width + f]).toBeCloseTo(expected, 4);
    }
    const { global: _, ...older } = partial;
    expect(() => applyJobTypeScaler(features, older, { unknownJobTypes: 'global' })).toThrow(
      expect.objectContaining({ code: 'PROTEUS_FEATURES_UNKNOWN_JOB_TYPE' }),
    );
  });
});

describe.skipIf(!hasSharedDatasets)('standardizeJobTypesPerRun', () => {
  it('gives each job type mean 0 and std 1 (or all 0) within every run, and 0 to a type with one job', async () => {
    const features = extractFeatures(await loadFlowBench(EHT_IMAGING), { pipeline: 'flowbench-v1' });
    const width = features.featureNames.length;
    const n = features.jobsPerRun;
    const scaled = standardizeJobTypesPerRun(features);
    const types = features.graph.jobs().map((job) => job.transformation);
    for (const run of [0, features.runs.length - 1]) {
      for (const type of new Set(types)) {
        const nodes = types.flatMap((t, node) => (t === type ? [node] : []));
        for (let f = 0; f < width; f++) {
          const out = nodes.map((node) => scaled.values[(run * n + node) * width + f] as number);
          const mean = out.reduce((a, b) => a + b, 0) / out.length;
          const variance = out.reduce((a, b) => a + (b - mean) ** 2, 0) / out.length;
          expect(Math.abs(mean)).toBeLessThan(1e-4);
          if (nodes.length === 1) expect(out).toEqual([0]);
          else expect([0, 1].some((v) => Math.abs(variance - v) < 1e-3)).toBe(true);
        }
      }
    }
    expect(scaled.values).not.toBe(features.values);
  });
});
