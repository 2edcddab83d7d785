import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Table, tableToIPC, vectorFromArray } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTempDir, EHT_IMAGING, hasSharedDatasets, WIND_GEN1 } from '../test/support.js';
import { readDatasetArrow, writeDatasetArrow } from './dataset-arrow.js';
import { extractFeatures } from './extract-features.js';
import { type FlowBenchDataset, loadFlowBench } from './load-flowbench.js';

describe.skipIf(!hasSharedDatasets)('writeDatasetArrow / readDatasetArrow', () => {
  let temp: { path: string; dispose: () => Promise<void> };
  let gen2: FlowBenchDataset;
  let gen1: FlowBenchDataset;
  beforeAll(async () => {
    temp = await createTempDir();
    [gen2, gen1] = await Promise.all([loadFlowBench(EHT_IMAGING), loadFlowBench(WIND_GEN1)]);
  });
  afterAll(async () => temp.dispose());

  it.each([
    ['gen-2 flowbench-v1', () => extractFeatures(gen2, { pipeline: 'flowbench-v1' })],
    ['gen-2 full', () => extractFeatures(gen2, { pipeline: 'full' })],
    ['gen-1 works22', () => extractFeatures(gen1, { pipeline: 'works22' })],
  ])('round-trips a %s feature set', async (name, make) => {
    const features = make();
    const path = join(temp.path, `${name.replace(/ /g, '-')}.arrow`);
    await writeDatasetArrow(features, path);
    const back = await readDatasetArrow(path);
    expect(sameFloats(back.values, features.values)).toBe(true);
    expect(back.runs).toEqual(features.runs);
    expect(back.jobLabels.join('\n')).toBe(features.jobLabels.join('\n'));
    expect(back.featureNames).toEqual(features.featureNames);
    expect(back.graph.jobNames()).toEqual(features.graph.jobNames());
    expect(back.graph.edges()).toEqual(features.graph.edges());
    expect(back).toMatchObject({
      workflow: features.workflow,
      generation: features.generation,
      pipeline: features.pipeline,
      pipelineVersion: 1,
    });
  });

  it('throws PROTEUS_FEATURES_PATH_NOT_FOUND for a missing file', async () => {
    await expect(readDatasetArrow(join(temp.path, 'none.arrow'))).rejects.toMatchObject({
      code: 'PROTEUS_FEATURES_PATH_NOT_FOUND',
    });
  });

  it('throws PROTEUS_FEATURES_ARROW_INVALID for a file that is not a Proteus feature set', async () => {
    const garbage = join(temp.path, 'garbage.arrow');
    await writeFile(garbage, 'not arrow at all');
    await expect(readDatasetArrow(garbage)).rejects.toMatchObject({ code: 'PROTEUS_FEATURES_ARROW_INVALID' });
    const foreign = join(temp.path, 'foreign.arrow');
    await writeFile(foreign, tableToIPC(new Table({ x: vectorFromArray([1, 2, 3]) }), 'file'));
    await expect(readDatasetArrow(foreign)).rejects.toMatchObject({ code: 'PROTEUS_FEATURES_ARROW_INVALID' });
    const truncated = join(temp.path, 'truncated.arrow');
    const good = join(temp.path, 'good.arrow');
    await writeDatasetArrow(extractFeatures(gen2), good);
    const { readFile } = await import('node:fs/promises');
    const bytes = await readFile(good);
    await writeFile(truncated, bytes.subarray(0, bytes.length >> 1));
    await expect(readDatasetArrow(truncated)).rejects.toMatchObject({ code: 'PROTEUS_FEATURES_ARROW_INVALID' });
  });

  it('detects a changed feature value through the checksum', async () => {
    const features = extractFeatures(gen2);
    const path = join(temp.path, 'flipped.arrow');
    await writeDatasetArrow(features, path);
    const { readFile } = await import('node:fs/promises');
    const bytes = await readFile(path);
    // Find the float32 bytes of a known runtime value and change one bit of it.
    const value = Buffer.from(new Float32Array([features.values[2] as number]).buffer);
    const at = bytes.indexOf(value);
    expect(at).toBeGreaterThan(0);
    bytes[at] = (bytes[at] as number) ^ 1;
    await writeFile(path, bytes);
    await expect(readDatasetArrow(path)).rejects.toMatchObject({ code: 'PROTEUS_FEATURES_ARROW_INVALID' });
  });
});

function sameFloats(a: Float32Array, b: Float32Array): boolean {
  return (
    a.length === b.length &&
    Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength))
  );
}

describe('writeDatasetArrow arguments', () => {
  const featureSetShape = { runs: [], featureNames: ['runtime'], jobsPerRun: 1 };

  it('throws PROTEUS_FEATURES_INVALID_ARGUMENT for swapped arguments, and writes nothing', async () => {
    const temp = await createTempDir();
    try {
      const path = join(temp.path, 'swapped.arrow');
      const error = await writeDatasetArrow(path as never, featureSetShape as never).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'PROTEUS_FEATURES_INVALID_ARGUMENT' });
      expect((error as Error).message).toContain('swapped');
      await expect(readDatasetArrow(path)).rejects.toMatchObject({ code: 'PROTEUS_FEATURES_PATH_NOT_FOUND' });
    } finally {
      await temp.dispose();
    }
  });

  it.each([
    ['no path', [featureSetShape, undefined]],
    ['an empty path', [featureSetShape, '']],
    ['not a feature set', [{ rows: [] }, 'x.arrow']],
  ])('throws PROTEUS_FEATURES_INVALID_ARGUMENT for %s', async (_name, args) => {
    await expect(writeDatasetArrow(...(args as [never, never]))).rejects.toMatchObject({
      code: 'PROTEUS_FEATURES_INVALID_ARGUMENT',
    });
  });
});
