import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  createTempDir,
  EHT_IMAGING_DAG,
  firstRuns,
  hasSharedDatasets,
  sharedDataset,
  writeFolder,
} from '../test/support.js';
import { type FlowBenchCsvRow, formatFlowBenchCsv, formatPythonFloat } from './format-flowbench-csv.js';
import { parseCsv } from './internal/parse-csv.js';
import { loadFlowBench } from './load-flowbench.js';
import { GEN2_COLUMNS, isTextColumn, type TraceColumn } from './trace-schema.js';

/** A published CSV as typed rows: numbers for numeric columns, strings for text, null for empty cells. */
function toRows(text: string): FlowBenchCsvRow[] {
  const { header, rows } = parseCsv(text);
  return rows.map((cells) => {
    const row: FlowBenchCsvRow = { job: cells[0] as string };
    header.slice(1).forEach((column, i) => {
      const cell = cells[i + 1] as string;
      row[column as TraceColumn] = cell === '' ? null : isTextColumn(column) ? cell : Number(cell);
    });
    return row;
  });
}

describe('formatPythonFloat', () => {
  it.each([
    [3, '3.0'],
    [1659744775, '1659744775.0'],
    [0.1, '0.1'],
    [934.6, '934.6'],
    [1e-5, '1e-05'],
    [0.0001, '0.0001'],
    [1.5e16, '1.5e+16'],
    [1e22, '1e+22'],
    [-0, '-0.0'],
    [Number.NaN, ''],
  ])('writes %d like Python repr: %s', (value, text) => {
    expect(formatPythonFloat(value)).toBe(text);
  });
});

describe('formatFlowBenchCsv', () => {
  it('writes the published header, None for normal jobs, empty cells and quoting', () => {
    const text = formatFlowBenchCsv([
      { job: 'j1', type: 'compute', is_clustered: 0, ready: 10, kickstart_executables_argv: 'a, "b"' },
    ]);
    const [header, row] = text.trimEnd().split('\n');
    expect(header).toBe(`,${GEN2_COLUMNS.join(',')}`);
    expect(row?.startsWith('j1,None,compute,0,10.0,,')).toBe(true);
    expect(row).toContain(',"a, ""b""",');
  });

  it.skipIf(!hasSharedDatasets)('writes published files back byte for byte', () => {
    for (const zip of [
      'flowbench/1000genome.zip',
      'flowbench/montage.zip',
      'flowbench/predict_future_sales.zip',
      'flowbench/eht_smili.zip',
    ]) {
      for (const [name, text] of Object.entries(firstRuns(sharedDataset(zip), 2))) {
        expect(formatFlowBenchCsv(toRows(text)), `${zip} ${name}`).toBe(text);
      }
    }
  });

  it.skipIf(!hasSharedDatasets)('writes live runs that loadFlowBench reads like published data', async () => {
    const temp = await createTempDir();
    try {
      const runs = firstRuns(sharedDataset('flowbench/eht_imaging.zip'), 2);
      const rewritten = Object.fromEntries(
        Object.entries(runs).map(([name, text]) => [name, formatFlowBenchCsv(toRows(text))]),
      );
      const folder = await writeFolder(
        join(temp.path, 'live'),
        'eht_imaging',
        rewritten,
        readFileSync(EHT_IMAGING_DAG, 'utf8'),
      );
      const dataset = await loadFlowBench(folder);
      expect(dataset.skipped).toEqual([]);
      expect(dataset.runs).toHaveLength(2);
    } finally {
      await temp.dispose();
    }
  });
});
