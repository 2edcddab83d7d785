// The byte path of loadFlowBench against the text path it replaced (decode the whole CSV, parse it into string
// cells, load the cells), which stays in the code as the reference and as the fallback for unusual files.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseFlowBenchAdjacency } from '@proteus-wf/workflow-graph';
import { type Table, Type } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFloatColumn, readTextColumn } from '../src/internal/arrow-columns.js';
import { openTraceArchive } from '../src/internal/read-archive.js';
import { type FlowBenchDataset, loadFlowBench, RunLoader, type SkippedRun } from '../src/load-flowbench.js';
import {
  createTempDir,
  EHT_IMAGING,
  EHT_IMAGING_DAG,
  firstRuns,
  hasSharedDatasets,
  sharedDataset,
  WIND_GEN1,
  writeArchive,
} from './support.js';

/** The text path: every entry decoded and parsed as text, in archive order. */
async function loadByText(dataset: FlowBenchDataset): Promise<{ jobs: Table; runs: unknown[]; skipped: SkippedRun[] }> {
  const archive = await openTraceArchive(dataset.source);
  const loader = new RunLoader(dataset.graph, dataset.generation, archive.entries.length);
  const skipped: SkippedRun[] = [];
  for (const entry of archive.entries) {
    let problems: ReturnType<RunLoader['loadText']>;
    try {
      problems = loader.loadText(entry.file, entry.folder, new TextDecoder().decode(await entry.read()));
    } catch (error) {
      const { code, message } = error as { code: SkippedRun['code']; message: string };
      problems = [{ code, message }];
    }
    const first = problems[0];
    if (first) {
      const more =
        problems.length > 1 ? ` (+${problems.length - 1} more problem${problems.length > 2 ? 's' : ''})` : '';
      skipped.push({ file: entry.file, code: first.code, message: `${first.message}${more}`, problems });
    }
  }
  return { jobs: loader.toTable(), runs: loader.runs, skipped };
}

/** Every column of two job tables, value by value (NaN and null included) and dictionary by dictionary. */
function expectSameJobs(actual: Table, expected: Table): void {
  expect(actual.schema.fields.map((f) => `${f.name}:${f.type}`)).toEqual(
    expected.schema.fields.map((f) => `${f.name}:${f.type}`),
  );
  expect(actual.numRows).toBe(expected.numRows);
  for (const field of expected.schema.fields) {
    const name = field.name;
    const want = expected.getChild(name);
    const got = actual.getChild(name);
    expect(got?.nullCount, name).toBe(want?.nullCount);
    if (field.type.typeId === Type.Float) {
      const a = readFloatColumn(actual, name) as Float64Array;
      const b = readFloatColumn(expected, name) as Float64Array;
      const row = a.findIndex((value, i) => !Object.is(value, b[i]));
      expect(row === -1 ? 'same' : `${name} row ${row}: ${a[row]} vs ${b[row]}`).toBe('same');
    } else {
      const a = readTextColumn(actual, name) ?? [];
      const b = readTextColumn(expected, name) ?? [];
      const row = a.findIndex((value, i) => value !== b[i]);
      expect(row === -1 ? 'same' : `${name} row ${row}: ${a[row]} vs ${b[row]}`).toBe('same');
      const dictionary = (table: Table) => table.getChild(name)?.data[0]?.dictionary?.toArray() as string[] | undefined;
      expect(dictionary(actual), `${name} dictionary`).toEqual(dictionary(expected));
    }
  }
}

async function expectSameAsText(dataset: FlowBenchDataset): Promise<void> {
  const reference = await loadByText(dataset);
  expect(dataset.runs).toEqual(reference.runs);
  expect(dataset.skipped).toEqual(reference.skipped);
  expectSameJobs(dataset.jobs, reference.jobs);
}

describe.skipIf(!hasSharedDatasets)('loadFlowBench byte path', () => {
  let temp: { path: string; dispose: () => Promise<void> };
  beforeAll(async () => {
    temp = await createTempDir('proteus-features-bytes-');
  });
  afterAll(async () => temp.dispose());

  it('gives exactly the text path dataset on montage (quoted argv in every run)', async () => {
    await expectSameAsText(await loadFlowBench(sharedDataset('flowbench/montage.zip')));
  });

  it('gives exactly the text path dataset on pycbc_inference and on a gen-1 archive', async () => {
    await expectSameAsText(await loadFlowBench(sharedDataset('flowbench/pycbc_inference.zip')));
    await expectSameAsText(await loadFlowBench(WIND_GEN1));
  });

  it('loads unusual runs (BOM, CRLF, quotes, escaped quotes, exponents) and rejects bad ones exactly as the text path', async () => {
    const runs = firstRuns(EHT_IMAGING, 18);
    const names = Object.keys(runs).sort();
    const edits: Array<(text: string) => string | Uint8Array> = [
      (text) => `\ufeff${text}`,
      (text) => text.replaceAll('\n', '\r\n'),
      (text) => `\n\n${text}\n\n`,
      (text) => text.replace(/,auxiliary,/, ',"aux""iliary",'),
      (text) => text.replace(/,auxiliary,/, ',"auxiliary",'),
      (text) => text.replaceAll(/,(pegasus-kickstart[^,\n]*),/g, ',"$1 --label ""a,b""",'),
      (text) => text.replace(/,1\.0,/, ',1e0,'),
      (text) => text.replace(/,1\.0,/, ',1.00000000000000001,'),
      (text) => text.replace(/,1\.0,/, ', 1.0 ,'),
      (text) => text.replace(/,1\.0,/, ',NaN,'),
      (text) => text.replace(/,0\.0,/, ',-1.0,'),
      (text) => text.replace(/,1\.0,/, ',1.0,1,'),
      (text) => {
        const bytes = Buffer.from(text.replace('poseidon', 'pos\u00e9idon'));
        bytes[bytes.indexOf(0xc3)] = 0xff;
        return bytes;
      },
      (text) => text.replace(/,(\/mnt\/[^,]*pegasus-transfer),/, ',"$1\nx,y",'),
      (text) => text.replace(/\n[^\n]*\n$/, '\n'),
      (text) => text.replace(/\n([^,\n]*),/, '\n$1x,'),
    ];
    const files: Record<string, string | Uint8Array> = {};
    names.forEach((name, i) => {
      const edit = edits[i];
      files[name] = edit ? edit(runs[name] as string) : (runs[name] as string);
    });
    const zip = await writeArchive(
      join(temp.path, 'edited'),
      'eht_imaging',
      files,
      await import('node:fs').then((fs) => fs.readFileSync(EHT_IMAGING_DAG, 'utf8')),
    );
    const dataset = await loadFlowBench(zip);
    expect(dataset.skipped.map((s) => s.code).sort()).toEqual([
      'PROTEUS_FEATURES_CSV_INVALID',
      'PROTEUS_FEATURES_JOB_MISSING',
      'PROTEUS_FEATURES_JOB_NOT_IN_DAG',
      'PROTEUS_FEATURES_VALUE_CORRUPT',
      'PROTEUS_FEATURES_VALUE_CORRUPT',
    ]);
    await expectSameAsText(dataset);
  });
});

describe.skipIf(!hasSharedDatasets)('loadFlowBench decoding', () => {
  it('decodes only headers and distinct values of plain runs, never a whole CSV (quoted argv included)', async () => {
    const zip = sharedDataset('flowbench/pycbc_inference.zip');
    const archive = await openTraceArchive(zip);
    let csvBytes = 0;
    for (const entry of archive.entries) csvBytes += (await entry.read()).byteLength;
    const decode = TextDecoder.prototype.decode;
    let decoded = 0;
    TextDecoder.prototype.decode = function (this: InstanceType<typeof TextDecoder>, ...args) {
      decoded += (args[0] as ArrayBufferView | undefined)?.byteLength ?? 0;
      return decode.apply(this, args);
    };
    try {
      const dataset = await loadFlowBench(zip);
      expect(dataset.skipped).toEqual([]);
    } finally {
      TextDecoder.prototype.decode = decode;
    }
    // Detecting the generation decodes 4 KiB of the first CSV; the rest is headers, job names and dictionary values.
    expect(decoded / csvBytes).toBeLessThan(0.03);
  });

  it('decodes nothing for a run whose header, jobs and text values it has seen, numbers in exponent form or with 17+ digits included', async () => {
    const graph = parseFlowBenchAdjacency(readFileSync(EHT_IMAGING_DAG, 'utf8'), {
      generation: 2,
      workflow: 'eht_imaging',
    });
    const [name, text] = Object.entries(firstRuns(EHT_IMAGING, 1))[0] as [string, string];
    // Pandas and formatFlowBenchCsv write such numbers: 1e-05, 0.30000000000000004.
    const edited = text.replaceAll(/,0\.0(?=,)/g, ',0.00000000000000000').replaceAll(/,(\d+)\.0(?=,)/g, ',$1e0');
    expect(edited).toMatch(/,\d+e0,/);
    expect(edited).toMatch(/,0\.00000000000000000,/);
    const loader = new RunLoader(graph, 2, 2);
    expect(loader.loadBytes(name, undefined, Buffer.from(edited))).toEqual([]);
    const decode = TextDecoder.prototype.decode;
    let decoded = 0;
    TextDecoder.prototype.decode = function (this: InstanceType<typeof TextDecoder>, ...args) {
      decoded += (args[0] as ArrayBufferView | undefined)?.byteLength ?? 0;
      return decode.apply(this, args);
    };
    try {
      expect(loader.loadBytes(`again-${name}`, undefined, Buffer.from(edited))).toEqual([]);
    } finally {
      TextDecoder.prototype.decode = decode;
    }
    expect(decoded).toBe(0);
    const table = loader.toTable();
    const byText = new RunLoader(graph, 2, 1);
    expect(byText.loadText(name, undefined, edited)).toEqual([]);
    const expected = byText.toTable();
    for (const field of expected.schema.fields) {
      if (field.type.typeId !== Type.Float) continue;
      const want = readFloatColumn(expected, field.name) as Float64Array;
      const got = (readFloatColumn(table, field.name) as Float64Array).subarray(want.length);
      expect(
        got.every((value, i) => Object.is(value, want[i])),
        field.name,
      ).toBe(true);
    }
  });

  it('keeps no view into a run it has loaded: its buffer refilled with the next run (job names swapped in pairs) loads as the text path does', () => {
    const graph = parseFlowBenchAdjacency(
      readFileSync(sharedDataset('flowbench/adjacency_list_dags/montage.json'), 'utf8'),
      { generation: 2, workflow: 'montage' },
    );
    const [name, text] = Object.entries(firstRuns(sharedDataset('flowbench/montage.zip'), 1))[0] as [string, string];
    // The next run: job names swapped in pairs of rows whose names have the same length, so every byte stays in
    // place but the name cells (montage has many such names: stage_in_local_insidecontainer_0_1, ..._4_1).
    const lines = text.split('\n');
    const byLength = new Map<number, number[]>();
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i] as string;
      if (line.length === 0) continue;
      const length = line.indexOf(',');
      byLength.set(length, [...(byLength.get(length) ?? []), i]);
    }
    const swapped = [...lines];
    const rename = (row: number, from: number) => {
      const line = lines[row] as string;
      const source = lines[from] as string;
      swapped[row] = source.slice(0, source.indexOf(',')) + line.slice(line.indexOf(','));
    };
    for (const rows of byLength.values()) {
      for (let k = 0; k + 1 < rows.length; k += 2) {
        rename(rows[k] as number, rows[k + 1] as number);
        rename(rows[k + 1] as number, rows[k] as number);
      }
    }
    const next = swapped.join('\n');
    expect(next).not.toBe(text);
    const buffer = Buffer.from(text);
    const loader = new RunLoader(graph, 2, 2);
    expect(loader.loadBytes(name, undefined, buffer)).toEqual([]);
    buffer.write(next);
    expect(loader.loadBytes(`next-${name}`, undefined, buffer)).toEqual([]);
    const byText = new RunLoader(graph, 2, 2);
    expect(byText.loadText(name, undefined, text)).toEqual([]);
    expect(byText.loadText(`next-${name}`, undefined, next)).toEqual([]);
    const expected = byText.toTable();
    const table = loader.toTable();
    for (const field of expected.schema.fields) {
      if (field.type.typeId === Type.Float) {
        const want = readFloatColumn(expected, field.name) as Float64Array;
        const got = readFloatColumn(table, field.name) as Float64Array;
        expect(
          got.every((value, i) => Object.is(value, want[i])),
          field.name,
        ).toBe(true);
      } else {
        expect(readTextColumn(table, field.name), field.name).toEqual(readTextColumn(expected, field.name));
      }
    }
  });
});
