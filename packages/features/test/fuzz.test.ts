// Fuzz-style robustness: truncated and corrupted CSV, zip, adjacency JSON and Arrow bytes must give a dataset with
// the bad runs skipped, or a ProteusError, never another exception. Seeded, so a failure replays.
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createRng, isProteusError, type Rng } from '@proteus-wf/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readDatasetArrow, writeDatasetArrow } from '../src/dataset-arrow.js';
import { extractFeatures } from '../src/extract-features.js';
import { loadFlowBench } from '../src/load-flowbench.js';
import { buildZip, createTempDir, EHT_IMAGING_DAG, firstRuns, hasSharedDatasets, sharedDataset } from './support.js';

const ROUNDS = 60;
const NOISE = [',', '"', '\n', '\r', 'x', '\u0000', '-', '.', 'é', ''];

function mutateText(rng: Rng, text: string): string {
  switch (rng.int(0, 3)) {
    case 0:
      return text.slice(0, rng.int(0, text.length));
    case 1: {
      const chars = text.split('');
      for (let k = rng.int(1, 20); k > 0; k--)
        chars[rng.int(0, chars.length - 1)] = NOISE[rng.int(0, NOISE.length - 1)] as string;
      return chars.join('');
    }
    case 2: {
      const lines = text.split('\n');
      lines.splice(rng.int(0, lines.length - 1), rng.int(1, 3));
      return lines.join('\n');
    }
    default: {
      const lines = text.split('\n');
      const line = lines[rng.int(1, lines.length - 2)] as string;
      lines.splice(rng.int(1, lines.length - 1), 0, line);
      return lines.join('\n');
    }
  }
}

function mutateBytes(rng: Rng, bytes: Uint8Array): Uint8Array {
  if (rng.float() < 0.4) return bytes.slice(0, rng.int(0, bytes.length));
  const out = bytes.slice();
  for (let k = rng.int(1, 12); k > 0; k--) out[rng.int(0, out.length - 1)] = rng.int(0, 255);
  return out;
}

async function outcome(work: () => Promise<unknown>): Promise<string> {
  try {
    await work();
    return 'ok';
  } catch (error) {
    if (isProteusError(error)) return error.code;
    throw error;
  }
}

describe.skipIf(!hasSharedDatasets)('fuzz: corrupted input gives only ProteusErrors', () => {
  let temp: { path: string; dispose: () => Promise<void> };
  let runs: Record<string, string>;
  const adjacency = hasSharedDatasets ? readFileSync(EHT_IMAGING_DAG, 'utf8') : '{}';
  beforeAll(async () => {
    temp = await createTempDir();
    runs = {
      ...firstRuns(sharedDataset('flowbench/eht_imaging.zip'), 3),
      ...firstRuns(sharedDataset('flowbench/pycbc_inference.zip'), 1),
    };
    await mkdir(join(temp.path, 'adjacency_list_dags'), { recursive: true });
    await writeFile(join(temp.path, 'adjacency_list_dags', 'fuzz.json'), adjacency);
  });
  afterAll(async () => temp.dispose());

  it('corrupted CSV content', async () => {
    const rng = createRng(2024);
    const codes = new Set<string>();
    for (let round = 0; round < ROUNDS; round++) {
      const files = Object.fromEntries(
        Object.entries(runs).map(([name, text]) => [name, rng.float() < 0.5 ? mutateText(rng, text) : text]),
      );
      const zip = join(temp.path, 'fuzz.zip');
      await writeFile(zip, buildZip(files));
      codes.add(
        await outcome(async () => {
          const dataset = await loadFlowBench(zip);
          // Nothing dropped silently: every CSV is either a run or a skipped entry.
          expect(dataset.runs.length + dataset.skipped.length).toBe(Object.keys(files).length);
          for (const skipped of dataset.skipped) expect(skipped.code).toMatch(/^PROTEUS_FEATURES_/);
        }),
      );
    }
    expect(codes.size).toBeGreaterThan(1);
  });

  it('corrupted zip bytes', async () => {
    const rng = createRng(7);
    const bytes = buildZip(runs);
    for (let round = 0; round < ROUNDS; round++) {
      const zip = join(temp.path, 'fuzz.zip');
      await writeFile(zip, mutateBytes(rng, bytes));
      await outcome(() => loadFlowBench(zip));
    }
  });

  it('corrupted adjacency JSON', async () => {
    const rng = createRng(11);
    const zip = join(temp.path, 'fuzz.zip');
    await writeFile(zip, buildZip(runs));
    for (let round = 0; round < ROUNDS; round++) {
      const dag = join(temp.path, 'dag.json');
      await writeFile(dag, mutateText(rng, adjacency));
      await outcome(() => loadFlowBench(zip, { adjacency: dag }));
    }
  });

  it('corrupted Arrow feature files', async () => {
    const rng = createRng(5);
    const zip = join(temp.path, 'fuzz.zip');
    await writeFile(zip, buildZip(runs));
    const good = join(temp.path, 'good.arrow');
    await writeDatasetArrow(extractFeatures(await loadFlowBench(zip)), good);
    const bytes = new Uint8Array(readFileSync(good));
    for (let round = 0; round < ROUNDS; round++) {
      const bad = join(temp.path, 'bad.arrow');
      await writeFile(bad, mutateBytes(rng, bytes));
      await outcome(() => readDatasetArrow(bad));
    }
  });
});
