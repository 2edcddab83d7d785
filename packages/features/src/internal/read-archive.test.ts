import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTempDir,
  EHT_IMAGING,
  EHT_IMAGING_DAG,
  firstRuns,
  hasSharedDatasets,
  writeArchive,
} from '../../test/support.js';
import { RunLoader } from '../load-flowbench.js';
import { readFloatColumn, readTextColumn } from './arrow-columns.js';
import { openTraceArchive, readEntries, type TraceEntry } from './read-archive.js';

describe.skipIf(!hasSharedDatasets)('readEntries', () => {
  let temp: { path: string; dispose: () => Promise<void> };
  let zip: string;
  beforeAll(async () => {
    temp = await createTempDir('proteus-features-entries-');
    zip = await writeArchive(
      temp.path,
      'eht_imaging',
      firstRuns(EHT_IMAGING, 6),
      readFileSync(EHT_IMAGING_DAG, 'utf8'),
    );
  });
  afterAll(async () => temp.dispose());

  it('reads one entry at a time: the next is inflated only after the previous one was released', async () => {
    const archive = await openTraceArchive(zip);
    const events: string[] = [];
    let held = 0;
    let mostHeld = 0;
    const spied = archive.entries.map(
      (entry): TraceEntry => ({
        ...entry,
        read: async () => {
          held++;
          mostHeld = Math.max(mostHeld, held);
          events.push(`read ${entry.file}`);
          return entry.read();
        },
        release: () => {
          held--;
          events.push(`release ${entry.file}`);
          entry.release();
        },
      }),
    );
    const seen: string[] = [];
    for await (const read of readEntries(spied)) {
      expect(held).toBe(1);
      expect(read.bytes?.byteLength).toBeGreaterThan(0);
      seen.push(read.entry.file);
    }
    expect(seen).toEqual(archive.entries.map((entry) => entry.file));
    expect(mostHeld).toBe(1);
    expect(held).toBe(0);
    expect(events).toEqual(seen.flatMap((file) => [`read ${file}`, `release ${file}`]));
  });

  it('releases the entry in hand when the consumer stops early', async () => {
    const archive = await openTraceArchive(zip);
    let released = 0;
    const spied = archive.entries.map((entry): TraceEntry => ({ ...entry, release: () => void released++ }));
    for await (const _ of readEntries(spied)) break;
    expect(released).toBe(1);
  });

  it('loaded runs keep no view into the entry bytes (they can be reused as soon as the run is parsed)', async () => {
    const archive = await openTraceArchive(zip);
    const entry = archive.entries[0] as TraceEntry;
    const bytes = await entry.read();
    const graph = (await import('@proteus-wf/workflow-graph')).parseFlowBenchAdjacency(
      readFileSync(EHT_IMAGING_DAG, 'utf8'),
      { generation: 2, workflow: 'eht_imaging' },
    );
    const snapshot = (loader: RunLoader) => {
      const table = loader.toTable();
      return table.schema.fields.map((field) =>
        field.type.toString().startsWith('Float')
          ? Array.from(readFloatColumn(table, field.name) ?? [])
          : readTextColumn(table, field.name),
      );
    };
    const reused = new RunLoader(graph, 2, 1);
    expect(reused.loadBytes(entry.file, entry.folder, bytes)).toEqual([]);
    const before = snapshot(reused);
    bytes.fill(0x30);
    const fresh = new RunLoader(graph, 2, 1);
    expect(fresh.loadBytes(entry.file, entry.folder, await entry.read())).toEqual([]);
    expect(snapshot(reused)).toEqual(before);
    expect(snapshot(fresh)).toEqual(before);
  });
});
