import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isProteusError, type ProteusErrorCode } from '@proteus-wf/core';
import { parseFlowBenchAdjacency } from '@proteus-wf/workflow-graph';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTempDir,
  EHT_IMAGING,
  EHT_IMAGING_DAG,
  editCsv,
  firstRuns,
  hasSharedDatasets,
  sharedDataset,
  WIND_GEN1,
  WIND_GEN1_DAG,
  writeArchive,
  writeFolder,
} from '../test/support.js';
import { type FlowBenchCsvRow, formatFlowBenchCsv } from './format-flowbench-csv.js';
import { readFloatColumn, readTextColumn } from './internal/arrow-columns.js';
import { loadFlowBench } from './load-flowbench.js';
import { GEN2_COLUMNS, isTextColumn } from './trace-schema.js';

describe.skipIf(!hasSharedDatasets)('loadFlowBench', () => {
  let temp: { path: string; dispose: () => Promise<void> };
  let runs: Record<string, string>;
  let names: string[];
  const adjacency = hasSharedDatasets ? readFileSync(EHT_IMAGING_DAG, 'utf8') : '{}';
  let counter = 0;

  beforeAll(async () => {
    temp = await createTempDir('proteus-features-');
    runs = firstRuns(EHT_IMAGING, 4);
    names = Object.keys(runs).sort();
  });
  afterAll(async () => temp.dispose());

  /** A zip of the 4 runs with `edit` applied to the second one. */
  async function zipWithSecondRun(edit: (text: string) => string | Uint8Array): Promise<string> {
    const files: Record<string, string | Uint8Array> = { ...runs };
    files[names[1] as string] = edit(runs[names[1] as string] as string);
    return writeArchive(join(temp.path, `case${counter++}`), 'eht_imaging', files, adjacency);
  }

  it('loads a zip: rows aligned to DAG node order, labels per job and per run', async () => {
    const dataset = await loadFlowBench(EHT_IMAGING);
    expect(dataset).toMatchObject({
      workflow: 'eht_imaging',
      generation: 2,
      jobsPerRun: 12,
      skipped: [],
      ignoredFiles: [],
    });
    expect(dataset.runs).toHaveLength(501);
    expect(dataset.jobs.numRows).toBe(501 * 12);
    const names = readTextColumn(dataset.jobs, 'job_name') ?? [];
    const trace = readTextColumn(dataset.jobs, 'trace_job_name') ?? [];
    const graphNames = dataset.graph.jobNames();
    names.forEach((name, row) => {
      expect(name).toBe(graphNames[row % 12]);
      expect(trace[row]).toBe(name);
    });
    const jobLabels = readTextColumn(dataset.jobs, 'job_label') ?? [];
    const anomalyType = readTextColumn(dataset.jobs, 'anomaly_type') ?? [];
    expect(jobLabels).toEqual(anomalyType.map((value) => (value === 'None' ? 'normal' : value)));
    for (const run of dataset.runs) {
      const labels = jobLabels.slice(run.runIndex * 12, run.runIndex * 12 + 12);
      expect(run.anomalousJobs).toBe(labels.filter((l) => l !== 'normal').length);
      expect(run.label).toBe(labels.find((l) => l !== 'normal') ?? 'normal');
      expect(run.derivedColumns).toEqual([]);
    }
  });

  it('keeps every trace column: the table written back with formatFlowBenchCsv gives the original bytes', async () => {
    const montage = firstRuns(sharedDataset('flowbench/montage.zip'), 2);
    const folder = await writeFolder(
      join(temp.path, 'montage-roundtrip'),
      'montage',
      montage,
      readFileSync(sharedDataset('flowbench/adjacency_list_dags/montage.json'), 'utf8'),
    );
    const dataset = await loadFlowBench(folder);
    const columns = new Map(
      GEN2_COLUMNS.map(
        (c) => [c, isTextColumn(c) ? readTextColumn(dataset.jobs, c) : readFloatColumn(dataset.jobs, c)] as const,
      ),
    );
    for (const run of dataset.runs) {
      const original = montage[run.file] as string;
      expect(original).toContain('"');
      const rows = original
        .split('\n')
        .slice(1)
        .filter((line) => line.length > 0)
        .map((line) => {
          const job = line.slice(0, line.indexOf(','));
          const row = run.runIndex * dataset.jobsPerRun + dataset.graph.indexOf(job);
          const record: FlowBenchCsvRow = { job };
          for (const [column, values] of columns) {
            const value = values?.[row];
            record[column] = value === undefined || value === null || Number.isNaN(value) ? null : value;
          }
          return record;
        });
      expect(formatFlowBenchCsv(rows)).toBe(original);
    }
  });

  it('reads an extracted folder exactly like the zip', async () => {
    const folder = await writeFolder(join(temp.path, 'folder'), 'eht_imaging', runs, adjacency);
    const fromFolder = await loadFlowBench(folder);
    const zip = await writeArchive(join(temp.path, 'zip'), 'eht_imaging', runs, adjacency);
    const fromZip = await loadFlowBench(zip);
    expect(fromFolder.runs).toEqual(fromZip.runs);
    expect(readFloatColumn(fromFolder.jobs, 'runtime')).toEqual(readFloatColumn(fromZip.jobs, 'runtime'));
  });

  it('accepts the DAG as a path or a built graph', async () => {
    const zip = await writeArchive(join(temp.path, 'dag'), 'renamed', runs, '{}');
    const byPath = await loadFlowBench(zip, { adjacency: EHT_IMAGING_DAG });
    const byGraph = await loadFlowBench(zip, {
      adjacency: parseFlowBenchAdjacency(adjacency, { workflow: 'eht_imaging' }),
    });
    expect(byPath.runs).toHaveLength(4);
    expect(byGraph.runs).toEqual(byPath.runs);
  });

  it('throws PROTEUS_FEATURES_ADJACENCY_NOT_FOUND when no DAG is beside the zip', async () => {
    const folder = join(temp.path, 'nodag');
    const zip = await writeArchive(folder, 'eht_imaging', runs, adjacency);
    await writeFile(join(folder, 'other.zip'), readFileSync(zip));
    await expect(loadFlowBench(join(folder, 'other.zip'))).rejects.toMatchObject({
      code: 'PROTEUS_FEATURES_ADJACENCY_NOT_FOUND',
    });
  });

  it('throws PROTEUS_FEATURES_PATH_NOT_FOUND for a missing input', async () => {
    await expect(loadFlowBench(join(temp.path, 'nope.zip'))).rejects.toMatchObject({
      code: 'PROTEUS_FEATURES_PATH_NOT_FOUND',
    });
  });

  it('throws PROTEUS_FEATURES_ZIP_INVALID for a truncated zip', async () => {
    const folder = join(temp.path, 'truncated');
    const zip = await writeArchive(folder, 'eht_imaging', runs, adjacency);
    const bytes = readFileSync(zip);
    await writeFile(zip, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
    await expect(loadFlowBench(zip)).rejects.toMatchObject({ code: 'PROTEUS_FEATURES_ZIP_INVALID' });
  });

  it('skips only a run whose zip entry is corrupt (PROTEUS_FEATURES_ZIP_ENTRY_INVALID)', async () => {
    const folder = join(temp.path, 'corrupt-entry');
    const zip = await writeArchive(folder, 'eht_imaging', runs, adjacency);
    const bytes = new Uint8Array(readFileSync(zip));
    // Damage the compressed data of the second entry: find its local header and overwrite bytes after it.
    const name = Buffer.from(names[1] as string);
    const at = Buffer.from(bytes).indexOf(name) + name.length;
    for (let i = at + 5; i < at + 40; i++) bytes[i] = 0xff;
    await writeFile(zip, bytes);
    const dataset = await loadFlowBench(zip);
    expect(dataset.runs.map((r) => r.file)).toEqual([names[0], names[2], names[3]]);
    expect(dataset.skipped).toEqual([
      expect.objectContaining({
        file: names[1],
        code: expect.stringMatching(
          /^PROTEUS_FEATURES_(ZIP_ENTRY_INVALID|CSV_INVALID|RUN_EMPTY|COLUMN_MISSING|JOB_NOT_IN_DAG)$/,
        ),
      }),
    ]);
  });

  const badRuns: Array<[string, string, (text: string) => string]> = [
    [
      'PROTEUS_FEATURES_COLUMN_MISSING',
      'a required column is missing',
      (t) => editCsv(t, (rows) => rows.map((r) => r.filter((_, i) => i !== 30))),
    ],
    [
      'PROTEUS_FEATURES_COLUMN_UNEXPECTED',
      'an extra column is present',
      (t) => editCsv(t, (rows) => rows.map((r, i) => [...r, i === 0 ? 'bonus' : '1'])),
    ],
    [
      'PROTEUS_FEATURES_VALUE_NOT_NUMERIC',
      'a numeric cell holds text',
      (t) => editCsv(t, (rows) => rows.map((r, i) => (i === 3 ? r.map((c, k) => (k === 21 ? 'fast' : c)) : r))),
    ],
    ['PROTEUS_FEATURES_VALUE_CORRUPT', 'a runtime is NaN text', (t) => setCell(t, 'runtime', 'NaN')],
    ['PROTEUS_FEATURES_VALUE_CORRUPT', 'a runtime is Infinity', (t) => setCell(t, 'runtime', 'Infinity')],
    [
      'PROTEUS_FEATURES_VALUE_CORRUPT',
      'a byte count overflows to infinity',
      (t) => setCell(t, 'stage_in_bytes', '1e400'),
    ],
    ['PROTEUS_FEATURES_VALUE_CORRUPT', 'a timestamp is negative', (t) => setCell(t, 'submit', '-5')],
    [
      'PROTEUS_FEATURES_VALUE_CORRUPT',
      'a byte count is negative',
      (t) => setCell(t, 'kickstart_online_bytes_read', '-1'),
    ],
    [
      'PROTEUS_FEATURES_VALUE_CORRUPT',
      'a job ends before it starts',
      (t) => {
        const header = t.split('\n')[0]?.split(',') ?? [];
        const start = header.indexOf('execute_start');
        return editCsv(t, (rows) =>
          rows.map((r, i) =>
            i === 2 ? r.map((c, k) => (k === header.indexOf('execute_end') ? String(Number(r[start]) - 10) : c)) : r,
          ),
        );
      },
    ],
    [
      'PROTEUS_FEATURES_JOB_NOT_IN_DAG',
      'a job is not in the DAG',
      (t) => editCsv(t, (rows) => rows.map((r, i) => (i === 2 ? [`${r[0]}_x`, ...r.slice(1)] : r))),
    ],
    [
      'PROTEUS_FEATURES_JOB_MISSING',
      'a DAG job has no row',
      (t) => editCsv(t, (rows) => rows.filter((_, i) => i !== 5)),
    ],
    [
      'PROTEUS_FEATURES_JOB_DUPLICATE',
      'a job has two rows',
      (t) => editCsv(t, (rows) => [...rows, rows[4] as string[]]),
    ],
    ['PROTEUS_FEATURES_RUN_EMPTY', 'the run has no rows', (t) => `${t.split('\n')[0]}\n`],
    ['PROTEUS_FEATURES_RUN_EMPTY', 'the file is empty', () => ''],
    ['PROTEUS_FEATURES_CSV_INVALID', 'a quote is never closed', (t) => t.replace(',None,', ',"None,')],
    [
      'PROTEUS_FEATURES_CSV_INVALID',
      'a row is ragged',
      (t) => editCsv(t, (rows) => rows.map((r, i) => (i === 1 ? r.slice(0, 10) : r))),
    ],
  ];

  it.each(badRuns)('skips the run and reports %s when %s', async (code, _why, edit) => {
    const zip = await zipWithSecondRun(edit);
    const dataset = await loadFlowBench(zip);
    expect(dataset.runs.map((r) => r.file)).toEqual([names[0], names[2], names[3]]);
    expect(dataset.runs.map((r) => r.runIndex)).toEqual([0, 1, 2]);
    expect(dataset.jobs.numRows).toBe(3 * 12);
    expect(dataset.skipped).toHaveLength(1);
    expect(dataset.skipped[0]).toMatchObject({ file: names[1], code });
    expect(dataset.skipped[0]?.message.length).toBeGreaterThan(20);
    // The kept runs are intact: the third file's values sit in slot 1.
    const reference = await loadFlowBench(
      await writeArchive(join(temp.path, `ref${counter++}`), 'eht_imaging', runs, adjacency),
    );
    const runtime = readFloatColumn(dataset.jobs, 'runtime') as Float64Array;
    const expected = readFloatColumn(reference.jobs, 'runtime') as Float64Array;
    expect(Array.from(runtime.subarray(12, 24))).toEqual(Array.from(expected.subarray(24, 36)));
  });

  it.each(badRuns)('throws %s in strict mode when %s', async (code, _why, edit) => {
    const zip = await zipWithSecondRun(edit);
    const error = await loadFlowBench(zip, { strict: true }).catch((e: unknown) => e);
    expect(isProteusError(error, code as ProteusErrorCode)).toBe(true);
    expect((error as Error).message).toContain(names[1]);
  });

  it('collects every problem of a run', async () => {
    const zip = await zipWithSecondRun((t) =>
      editCsv(t, (rows) => [...rows.map((r, i) => (i === 2 ? [`${r[0]}_x`, ...r.slice(1)] : r)), rows[4] as string[]]),
    );
    const dataset = await loadFlowBench(zip);
    expect(dataset.skipped[0]?.problems.map((p) => p.code)).toEqual([
      'PROTEUS_FEATURES_JOB_NOT_IN_DAG',
      'PROTEUS_FEATURES_JOB_DUPLICATE',
      'PROTEUS_FEATURES_JOB_MISSING',
    ]);
    expect(dataset.skipped[0]?.message).toMatch(/\+2 more problems/);
  });

  it('throws PROTEUS_FEATURES_DATASET_EMPTY when every run is bad or there is no CSV', async () => {
    const bad = Object.fromEntries(Object.entries(runs).map(([name]) => [name, '']));
    await expect(
      loadFlowBench(await writeArchive(join(temp.path, 'allbad'), 'eht_imaging', bad, adjacency)),
    ).rejects.toMatchObject({
      code: 'PROTEUS_FEATURES_DATASET_EMPTY',
    });
    await expect(
      loadFlowBench(await writeArchive(join(temp.path, 'nocsv'), 'eht_imaging', { 'README.md': 'hi' }, adjacency)),
    ).rejects.toMatchObject({
      code: 'PROTEUS_FEATURES_DATASET_EMPTY',
    });
  });

  it('lists non-CSV entries instead of dropping them silently', async () => {
    const dataset = await loadFlowBench(
      await writeArchive(join(temp.path, 'extra'), 'eht_imaging', { ...runs, 'notes.txt': 'x' }, adjacency),
    );
    expect(dataset.ignoredFiles).toEqual(['notes.txt']);
  });

  function strip(columns: readonly string[]): Record<string, string> {
    return Object.fromEntries(
      Object.entries(runs).map(([name, text]) => [
        name,
        editCsv(text, (rows) => {
          const drop = new Set(columns.map((c) => (rows[0] as string[]).indexOf(c)));
          return rows.map((r) => r.filter((_, i) => !drop.has(i)));
        }),
      ]),
    );
  }

  it('computes the delays from raw timestamps when a CSV lacks them, equal to the published values', async () => {
    const delays = [
      'wms_delay',
      'pre_script_delay',
      'queue_delay',
      'runtime',
      'post_script_delay',
      'stage_in_delay',
      'stage_out_delay',
    ];
    const original = await loadFlowBench(await writeArchive(join(temp.path, 'orig'), 'eht_imaging', runs, adjacency));
    const recomputed = await loadFlowBench(
      await writeArchive(join(temp.path, 'stripped'), 'eht_imaging', strip(delays), adjacency),
    );
    expect(recomputed.skipped).toEqual([]);
    expect(recomputed.runs[0]?.derivedColumns).toEqual(delays);
    for (const column of delays) {
      expect(Array.from(readFloatColumn(recomputed.jobs, column) ?? []), column).toEqual(
        Array.from(readFloatColumn(original.jobs, column) ?? []),
      );
    }
  });

  it('computes ready from the DAG when a CSV lacks it; roots get the earliest submit (the workflow start is not in the file)', async () => {
    const original = await loadFlowBench(
      await writeArchive(join(temp.path, 'orig-ready'), 'eht_imaging', runs, adjacency),
    );
    const recomputed = await loadFlowBench(
      await writeArchive(join(temp.path, 'no-ready'), 'eht_imaging', strip(['ready', 'wms_delay']), adjacency),
    );
    const ready = readFloatColumn(recomputed.jobs, 'ready') as Float64Array;
    const published = readFloatColumn(original.jobs, 'ready') as Float64Array;
    const submit = readFloatColumn(original.jobs, 'submit') as Float64Array;
    const roots = new Set(recomputed.graph.roots().map((name) => recomputed.graph.indexOf(name)));
    for (let run = 0; run < 4; run++) {
      const earliestSubmit = Math.min(...submit.subarray(run * 12, run * 12 + 12));
      for (let node = 0; node < 12; node++) {
        const row = run * 12 + node;
        expect(ready[row]).toBe(roots.has(node) ? earliestSubmit : published[row]);
      }
    }
  });

  it('detects gen-1 from label folders, truncates create_dir/cleanup names and gives jobs the folder label', async () => {
    const dataset = await loadFlowBench(WIND_GEN1);
    expect(dataset.generation).toBe(1);
    expect(dataset.jobsPerRun).toBe(7);
    const trace = readTextColumn(dataset.jobs, 'trace_job_name') ?? [];
    const names = readTextColumn(dataset.jobs, 'job_name') ?? [];
    expect(trace.some((name, row) => name !== names[row] && name?.startsWith('create_dir_'))).toBe(true);
    const labels = readTextColumn(dataset.jobs, 'job_label') ?? [];
    for (const run of dataset.runs) {
      expect(run.label).toBe(run.file.split('/')[0]);
      expect(new Set(labels.slice(run.runIndex * 7, run.runIndex * 7 + 7))).toEqual(new Set([run.label]));
    }
  });

  it('says which generation to pass when the files do not match the one given', async () => {
    const error = await loadFlowBench(WIND_GEN1, { generation: 2, adjacency: WIND_GEN1_DAG, strict: true }).catch(
      (e: unknown) => e,
    );
    expect(isProteusError(error, 'PROTEUS_FEATURES_COLUMN_MISSING')).toBe(true);
    expect((error as Error).message).toMatch(/generation: 1/);
  });

  it('throws PROTEUS_FEATURES_GENERATION_UNKNOWN for flat CSVs without anomaly_type', async () => {
    const gen1 = firstRuns(WIND_GEN1, 2);
    const flat = Object.fromEntries(
      Object.entries(gen1).map(([name, text]) => [name.split('/').pop() as string, text]),
    );
    const zip = await writeArchive(join(temp.path, 'flat'), 'wind', flat, readFileSync(WIND_GEN1_DAG, 'utf8'));
    await expect(loadFlowBench(zip)).rejects.toMatchObject({ code: 'PROTEUS_FEATURES_GENERATION_UNKNOWN' });
  });

  it('reports progress within 0..1 and stops on abort', async () => {
    const ratios: number[] = [];
    await loadFlowBench(EHT_IMAGING, { onProgress: (e) => ratios.push(e.ratio) });
    expect(ratios.at(-1)).toBe(1);
    expect(ratios.every((r, i) => r >= 0 && r <= 1 && (i === 0 || r >= (ratios[i - 1] as number)))).toBe(true);
    const controller = new AbortController();
    controller.abort(new Error('user'));
    await expect(loadFlowBench(EHT_IMAGING, { signal: controller.signal })).rejects.toMatchObject({
      code: 'PROTEUS_CORE_ABORTED',
    });
  });

  it('rejects an invalid generation option', async () => {
    await expect(loadFlowBench(EHT_IMAGING, { generation: 3 as 1 })).rejects.toMatchObject({
      code: 'PROTEUS_FEATURES_INVALID_OPTION',
    });
  });
});

/** Sets one cell of the second job row by column name. */
function setCell(text: string, column: string, value: string): string {
  const header = text.split('\n')[0]?.split(',') ?? [];
  const at = header.indexOf(column);
  if (at < 0) throw new Error(`no column ${column}`);
  return editCsv(text, (rows) => rows.map((r, i) => (i === 2 ? r.map((c, k) => (k === at ? value : c)) : r)));
}
