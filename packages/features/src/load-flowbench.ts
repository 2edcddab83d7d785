/*
 * Flow-Bench trace loading: zip or folder -> validated, DAG-aligned Arrow table of jobs.
 * Reference: ../shared/datasets/README.md; ml.md §1.1–1.2 (map rows by exact job name, never by CSV order).
 */
import { isUtf8 } from 'node:buffer';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import {
  isProteusError,
  type LongOperationOptions,
  ProteusError,
  type ProteusErrorCode,
  reportProgress,
  throwIfAborted,
} from '@proteus-wf/core';
import { normalizeGen1JobName, parseFlowBenchAdjacency, type WorkflowGraph } from '@proteus-wf/workflow-graph';
import { Table as ArrowTable, type Table, type Vector } from 'apache-arrow';
import { computeCompositeFeatures, type JobTimestamps } from './compute-composite-features.js';
import {
  codeOf,
  createTextColumn,
  createUtf8Arena,
  float64Vector,
  int32Vector,
  putUtf8,
  putUtf8Bytes,
  reserveUtf8,
  type TextColumnBuilder,
  textVector,
  type Utf8ArenaBuilder,
  utf8Vector,
} from './internal/arrow-columns.js';
import {
  ByteKeyedMap,
  type ByteRunPlan,
  createByteRunScratch,
  FALLBACK,
  headerEnd,
  scanRunBytes,
} from './internal/csv-bytes.js';
import { CsvSyntaxError, parseCsv } from './internal/parse-csv.js';
import { openTraceArchive, readEntries, type TraceEntry } from './internal/read-archive.js';
import { NORMAL_LABEL, normalizeJobLabel } from './labels.js';
import {
  derivableColumns,
  type Generation,
  isTextColumn,
  TIMESTAMP_COLUMNS,
  type TraceColumn,
  traceColumns,
} from './trace-schema.js';

/** Options of `loadFlowBench`. */
export interface LoadFlowBenchOptions extends LongOperationOptions {
  /** The DAG: a Flow-Bench adjacency JSON path or a built graph. Default: `adjacency_list_dags/<workflow>.json` beside the input. */
  adjacency?: string | WorkflowGraph;
  /** Skip detection. 1: exogeni-2020 traces (label folders), 2: Flow-Bench (anomaly_type column). */
  generation?: Generation;
  /** Throw at the first bad run instead of skipping it. Default false. */
  strict?: boolean;
}

/** One loaded run (workflow execution). */
export interface RunInfo {
  /** Position in `dataset.runs` and the `run_index` column. */
  runIndex: number;
  /** The CSV path inside the archive without `.csv` (`montage-run0001`, `cpu_2/1000genome-...-run0003`). */
  runId: string;
  /** The CSV path inside the archive. */
  file: string;
  /** `normal` or the anomaly: gen-1 the label folder; gen-2 the anomaly of its anomalous jobs. */
  label: string;
  /** Jobs whose label is not `normal`. */
  anomalousJobs: number;
  /** Columns the CSV lacked and that were computed from raw timestamps. */
  derivedColumns: string[];
}

/** One problem of a run. */
export interface RunProblem {
  code: ProteusErrorCode;
  message: string;
}

/** A run left out of the dataset, and why. */
export interface SkippedRun {
  file: string;
  /** The first problem's code. */
  code: ProteusErrorCode;
  /** The first problem's message, plus how many more there are. */
  message: string;
  /** Every problem found in the run. */
  problems: RunProblem[];
}

/** A loaded Flow-Bench workflow: its DAG, one Arrow row per (run, job), and per-run labels. */
export interface FlowBenchDataset {
  workflow: string;
  generation: Generation;
  /** The zip or folder it came from. */
  source: string;
  graph: WorkflowGraph;
  /** Rows ordered by run, then node index: row = runIndex * jobsPerRun + nodeIndex. */
  jobs: Table;
  runs: RunInfo[];
  jobsPerRun: number;
  /** Trace columns of the generation, in published order (every one is in `jobs`). */
  columns: readonly TraceColumn[];
  skipped: SkippedRun[];
  /** Archive entries that are not CSVs. */
  ignoredFiles: string[];
}

const WHERE = 'features/loadFlowBench';
const MAX_EXAMPLES = 5;
/** Text some writers use for a missing number; pandas (Flow-Bench) and Proteus write an empty cell instead. */
const NAN_TEXT = new Set(['nan', 'NaN', 'NA', 'NAN']);
/**
 * Columns that cannot be negative in a real trace: epoch timestamps, byte and call counters, rates and the runtime.
 * NOTE: not `kickstart_status` (-1 for a failed job) nor gen-1 `kickstart_executables_cpu_time`, which the published
 * exogeni-2020 nowcast traces hold negative in most runs; delays are differences that clock skew can make negative.
 */
const NON_NEGATIVE = new Set<string>([
  ...TIMESTAMP_COLUMNS,
  'runtime',
  'stage_in_bytes',
  'stage_out_bytes',
  'stage_in_effective_bytes_per_sec',
  'stage_out_effective_bytes_per_sec',
  'kickstart_online_iowait',
  'kickstart_online_bytes_read',
  'kickstart_online_bytes_written',
  'kickstart_online_read_system_calls',
  'kickstart_online_write_system_calls',
  'kickstart_online_utime',
  'kickstart_online_stime',
  'kickstart_online_bytes_read_per_second',
  'kickstart_online_bytes_written_per_second',
]);
/** Start/end pairs whose end may not come before the start. */
const INTERVALS = [
  ['pre_script_start', 'pre_script_end'],
  ['stage_in_start', 'stage_in_end'],
  ['execute_start', 'execute_end'],
  ['stage_out_start', 'stage_out_end'],
  ['post_script_start', 'post_script_end'],
] as const;
// Paths and argv are nearly unique per job: stored as plain utf8, not dictionary-encoded.
const UNIQUE_TEXT = new Set<string>(['kickstart_executables', 'kickstart_executables_argv']);

/**
 * Loads a Flow-Bench workflow (zip or extracted folder) into a DAG-aligned Arrow table of jobs plus run labels.
 * Every run is checked (columns, numbers, jobs against the DAG); bad runs are skipped and listed in `skipped`
 * unless `strict` is set. Impossible numbers (NaN text, infinities, negative timestamps or counters, an end before its
 * start) make a run bad (`PROTEUS_FEATURES_VALUE_CORRUPT`): it is left out, never imputed.
 *
 * @example
 * const dataset = await loadFlowBench('../shared/datasets/flowbench/1000genome.zip');
 * dataset.runs.length; // 351
 * dataset.jobsPerRun; // 137
 * @throws ProteusError PROTEUS_FEATURES_PATH_NOT_FOUND, PROTEUS_FEATURES_ZIP_INVALID, PROTEUS_FEATURES_ADJACENCY_NOT_FOUND,
 *   PROTEUS_FEATURES_GENERATION_UNKNOWN, PROTEUS_FEATURES_DATASET_EMPTY, PROTEUS_FEATURES_INVALID_OPTION,
 *   PROTEUS_CORE_ABORTED, PROTEUS_GRAPH_* (adjacency JSON); in strict mode also the first run problem's code
 *   (PROTEUS_FEATURES_COLUMN_MISSING, PROTEUS_FEATURES_JOB_NOT_IN_DAG, ...)
 */
export async function loadFlowBench(path: string, options: LoadFlowBenchOptions = {}): Promise<FlowBenchDataset> {
  const { signal, onProgress, strict = false } = options;
  if (options.generation !== undefined && options.generation !== 1 && options.generation !== 2) {
    throw new ProteusError(
      'PROTEUS_FEATURES_INVALID_OPTION',
      `${WHERE}: generation must be 1 or 2, got ${String(options.generation)}`,
    );
  }
  throwIfAborted(signal, WHERE);
  const archive = await openTraceArchive(path);
  if (archive.entries.length === 0) {
    throw new ProteusError(
      'PROTEUS_FEATURES_DATASET_EMPTY',
      `${WHERE}: no CSV file in ${path}${archive.ignored.length ? ` (found only ${archive.ignored.slice(0, 3).join(', ')})` : ''}. Expected <workflow>-runNNNN.csv files.`,
      { details: { ignored: archive.ignored } },
    );
  }
  const generation = options.generation ?? (await detectGeneration(archive.entries, path));
  const graph = await resolveGraph(path, archive.workflow, generation, options.adjacency);
  const loader = new RunLoader(graph, generation, archive.entries.length);
  const skipped: SkippedRun[] = [];
  const total = archive.entries.length;
  let i = -1;
  for await (const read of readEntries(archive.entries)) {
    i++;
    throwIfAborted(signal, WHERE);
    const entry = read.entry;
    const problems =
      read.error === undefined
        ? loader.loadBytes(entry.file, entry.folder, read.bytes)
        : [{ code: read.error.code, message: read.error.message }];
    if (problems.length > 0) {
      const first = problems[0] as RunProblem;
      if (strict) {
        throw new ProteusError(first.code, `${WHERE}: ${entry.file}: ${first.message}`, {
          details: { file: entry.file, problems },
        });
      }
      const more =
        problems.length > 1 ? ` (+${problems.length - 1} more problem${problems.length > 2 ? 's' : ''})` : '';
      skipped.push({ file: entry.file, code: first.code, message: `${first.message}${more}`, problems });
    }
    if ((i & 15) === 15 || i === total - 1) {
      reportProgress(onProgress, {
        phase: 'load',
        ratio: (i + 1) / total,
        data: { runs: loader.runs.length, skipped: skipped.length },
      });
    }
  }
  if (loader.runs.length === 0) {
    const reasons = [...new Set(skipped.map((s) => s.code))].join(', ');
    throw new ProteusError(
      'PROTEUS_FEATURES_DATASET_EMPTY',
      `${WHERE}: every one of the ${total} runs in ${path} was skipped (${reasons}); first: ${skipped[0]?.file}: ${skipped[0]?.message}`,
      { details: { skipped } },
    );
  }
  return {
    workflow: archive.workflow,
    generation,
    source: path,
    graph,
    jobs: loader.toTable(),
    runs: loader.runs,
    jobsPerRun: graph.size,
    columns: traceColumns(generation),
    skipped,
    ignoredFiles: archive.ignored,
  };
}

async function detectGeneration(entries: readonly TraceEntry[], path: string): Promise<Generation> {
  let readable = 0;
  for (const entry of entries) {
    let header: string;
    try {
      const bytes = await entry.read();
      const head = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.byteLength, 4096)).toString('utf8');
      header = (head.split('\n', 1)[0] ?? '').trim();
    } catch (error) {
      if (isProteusError(error)) continue;
      throw error;
    }
    readable++;
    if (header.length === 0) continue;
    const columns = header.split(',').map((c) => c.trim().replace(/^"|"$/g, ''));
    if (columns.includes('anomaly_type')) return 2;
    if (columns.includes('type') && entry.folder !== undefined) return 1;
    throw new ProteusError(
      'PROTEUS_FEATURES_GENERATION_UNKNOWN',
      `${WHERE}: cannot tell the trace generation of ${path}: ${entry.file} has no "anomaly_type" column (gen-2) and is not inside a label folder such as normal/ or cpu_2/ (gen-1). Pass { generation: 1 | 2 }.`,
      { details: { file: entry.file, header: columns.slice(0, 8) } },
    );
  }
  if (readable > 0) {
    throw new ProteusError(
      'PROTEUS_FEATURES_DATASET_EMPTY',
      `${WHERE}: every CSV in ${path} is empty (${entries.length} files); expected a header and one row per job.`,
    );
  }
  throw new ProteusError(
    'PROTEUS_FEATURES_ZIP_INVALID',
    `${WHERE}: none of the ${entries.length} CSVs in ${path} could be inflated; the zip is damaged. Re-download it.`,
  );
}

async function resolveGraph(
  path: string,
  workflow: string,
  generation: Generation,
  adjacency: LoadFlowBenchOptions['adjacency'],
): Promise<WorkflowGraph> {
  if (adjacency !== undefined && typeof adjacency !== 'string') return adjacency;
  const file = adjacency ?? join(dirname(path), 'adjacency_list_dags', `${workflow}.json`);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if (adjacency !== undefined) {
      throw new ProteusError(
        'PROTEUS_FEATURES_PATH_NOT_FOUND',
        `${WHERE}: cannot read the adjacency JSON ${file}. Check the { adjacency } path.`,
        {
          cause: error,
        },
      );
    }
    throw new ProteusError(
      'PROTEUS_FEATURES_ADJACENCY_NOT_FOUND',
      `${WHERE}: no DAG given and ${file} does not exist. Pass { adjacency: 'path/to/${workflow}.json' } (CLI: --adjacency).`,
      { cause: error, details: { looked: file } },
    );
  }
  return parseFlowBenchAdjacency(text, { generation, workflow, source: file });
}

interface NumericColumn {
  name: string;
  data: Float64Array;
}

/** @internal Accumulates runs into preallocated columns; a bad run's slot is reused by the next run. buildDataset shares it. */
export class RunLoader {
  readonly runs: RunInfo[] = [];
  readonly #graph: WorkflowGraph;
  readonly #generation: Generation;
  readonly #size: number;
  readonly #nodeOf: Map<string, number>;
  readonly #schema: readonly TraceColumn[];
  readonly #schemaSet: ReadonlySet<string>;
  readonly #derivable: ReadonlySet<string>;
  readonly #numeric: NumericColumn[];
  readonly #text: Map<string, TextColumnBuilder>;
  readonly #uniqueText: Map<string, Utf8ArenaBuilder>;
  readonly #traceName: TextColumnBuilder;
  readonly #jobLabel: TextColumnBuilder;
  readonly #runIds: string[] = [];
  readonly #decoder = new TextDecoder('utf-8');
  // Byte path state: plans per header line, byte-keyed caches of job names and dictionary values, per-run scratch.
  readonly #plans = new ByteKeyedMap<ByteRunPlan & PlanExtras>();
  readonly #names = new ByteKeyedMap<NameEntry>();
  readonly #valueCodes = new Map<TextColumnBuilder, ByteKeyedMap<number>>();
  readonly #jobLabels = new ByteKeyedMap<LabelEntry>();
  readonly #seen: Int32Array;
  readonly #capacityRuns: number;
  #stamp = 0;
  #rowEntries: NameEntry[] = [];
  #scratch = createByteRunScratch();

  constructor(graph: WorkflowGraph, generation: Generation, capacityRuns: number) {
    this.#graph = graph;
    this.#generation = generation;
    this.#size = graph.size;
    this.#nodeOf = new Map(graph.jobNames().map((name, i) => [name, i]));
    this.#schema = traceColumns(generation);
    this.#schemaSet = new Set(this.#schema);
    this.#derivable = derivableColumns(generation);
    const rows = capacityRuns * this.#size;
    this.#numeric = this.#schema
      .filter((c) => !isTextColumn(c))
      .map((name) => ({ name, data: new Float64Array(rows) }));
    this.#text = new Map(
      this.#schema.filter((c) => isTextColumn(c) && !UNIQUE_TEXT.has(c)).map((name) => [name, createTextColumn(rows)]),
    );
    this.#uniqueText = new Map(
      this.#schema.filter((c) => UNIQUE_TEXT.has(c)).map((name) => [name, createUtf8Arena(rows)]),
    );
    this.#traceName = createTextColumn(rows);
    this.#jobLabel = createTextColumn(rows);
    this.#seen = new Int32Array(this.#size);
    this.#capacityRuns = capacityRuns;
  }

  /**
   * Loads one run from its CSV bytes. A plain, valid run is read from the bytes directly; anything else (quotes, a
   * BOM, a problem) is decoded and parsed as text, which names every problem.
   */
  loadBytes(file: string, folder: string | undefined, bytes: Uint8Array): RunProblem[] {
    if (this.#loadPlainBytes(file, folder, bytes)) return [];
    return this.loadText(file, folder, this.#decoder.decode(bytes));
  }

  /** Loads one run from its CSV text (the reference path: every problem is found and named). */
  loadText(file: string, folder: string | undefined, text: string): RunProblem[] {
    let header: string[];
    let rows: string[][];
    try {
      ({ header, rows } = parseCsv(text));
    } catch (error) {
      if (!(error instanceof CsvSyntaxError)) throw error;
      return [
        {
          code: 'PROTEUS_FEATURES_CSV_INVALID',
          message: `not valid CSV: ${error.message}${error.line ? ` (line ${error.line})` : ''}`,
        },
      ];
    }
    return this.loadRows(file, folder, header, rows);
  }

  /**
   * The byte path: true when the run was plain and valid and is now loaded; false leaves the slot to the text path
   * (dictionaries untouched, numbers in the slot overwritten by it).
   */
  #loadPlainBytes(file: string, folder: string | undefined, bytes: Uint8Array): boolean {
    const csv = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const first = csv[0];
    // Empty files, a BOM, leading blank lines and invalid UTF-8 (which the decoder replaces) take the text path.
    if (first === undefined || first === 0xef || first === 10 || first === 13 || !isUtf8(bytes)) return false;
    const head = headerEnd(bytes);
    if (head === FALLBACK) return false;
    const problems: RunProblem[] = [];
    let plan = this.#plans.get(bytes, 0, head.stop);
    if (plan === undefined) {
      const header = this.#decoder.decode(bytes.subarray(0, head.stop)).split(',');
      const columnIndex = this.#checkHeader(header, problems);
      if (problems.length > 0) return false;
      plan = this.#planFor(header.length, columnIndex);
      this.#plans.set(bytes, 0, head.stop, plan);
    }
    const columnIndex = plan.columnIndex;
    const label = this.#runLabel(folder, problems);
    if (problems.length > 0) return false;
    const base = this.runs.length * this.#size;
    this.#stamp++;
    this.#rowEntries.length = 0;
    const scratch = this.#scratch;
    const rows = scanRunBytes(csv, head.next, plan, base, this.#nodeOfName, scratch);
    if (rows !== this.#size) return false;
    const rowNode = scratch.rowNode;
    const slow = scratch.slowCells;
    for (let k = 0; k < slow.length; k += 4) {
      const column = slow[k + 1] as number;
      const cell = numberText(csv, slow[k + 2] as number, slow[k + 3] as number, this.#decoder);
      const value = readCleanNumber(cell, plan.nonNegative[column] === 1);
      if (value === undefined) return false;
      (plan.numeric[column] as Float64Array)[base + (rowNode[slow[k] as number] as number)] = value;
    }
    for (const column of plan.absentNumeric) column.fill(Number.NaN, base, base + rows);
    for (const [starts, ends] of plan.intervals) {
      for (let at = base; at < base + rows; at++) {
        const from = starts[at] as number;
        const to = ends[at] as number;
        if (to < from && Number.isFinite(from) && Number.isFinite(to)) return false;
      }
    }
    // Valid: from here on the run is kept; dictionaries grow in the text path's order (column by column, row order).
    const { textStart, textEnd } = scratch;
    const slots = plan.textSlots;
    for (const [name, column] of this.#text) {
      const source = columnIndex.get(name);
      const slot = source === undefined ? -1 : (plan.textSlot[source] as number);
      const codes = column.codes;
      if (slot < 0) {
        for (let r = 0; r < rows; r++) codes[base + (rowNode[r] as number)] = -1;
        continue;
      }
      let cache = this.#valueCodes.get(column);
      if (cache === undefined) {
        cache = new ByteKeyedMap<number>();
        this.#valueCodes.set(column, cache);
      }
      let lastStart = -1;
      let lastEnd = -1;
      let lastCode = -1;
      for (let r = 0; r < rows; r++) {
        const start = textStart[r * slots + slot] as number;
        const end = textEnd[r * slots + slot] as number;
        let code = -1;
        if (start < 0) {
          code = codeOf(column, this.#quotedCell(csv, start, end));
        } else if (end > start) {
          if (end - start === lastEnd - lastStart && sameBytes(bytes, start, lastStart, end - start)) code = lastCode;
          else {
            code = cache.get(bytes, start, end) ?? -1;
            if (code === -1) {
              code = codeOf(column, this.#decoder.decode(bytes.subarray(start, end)));
              cache.set(bytes, start, end, code);
            }
            lastStart = start;
            lastEnd = end;
            lastCode = code;
          }
        }
        codes[base + (rowNode[r] as number)] = code;
      }
    }
    // Paths and argv go to their arenas in node order, so the arenas end up in table row order (no reordering copy).
    const rowOfNode = scratch.rowOfNode;
    for (let r = 0; r < rows; r++) rowOfNode[rowNode[r] as number] = r;
    for (const [name, arena] of this.#uniqueText) {
      const source = columnIndex.get(name);
      const slot = source === undefined ? -1 : (plan.textSlot[source] as number);
      for (let node = 0; node < rows; node++) {
        const r = rowOfNode[node] as number;
        const start = slot < 0 ? 0 : (textStart[r * slots + slot] as number);
        const end = slot < 0 ? 0 : (textEnd[r * slots + slot] as number);
        if (start < 0) putUtf8(arena, base + node, this.#quotedCell(csv, start, end));
        else if (end === start) arena.length[base + node] = -1;
        else putUtf8Bytes(arena, base + node, csv, start, end);
      }
    }
    const anomalySource = columnIndex.get('anomaly_type');
    const anomalySlot = anomalySource === undefined ? -1 : (plan.textSlot[anomalySource] as number);
    const runLabelEntry: LabelEntry = { label, code: -1 };
    const labelCounts = new Map<string, number>();
    let anomalous = 0;
    for (let r = 0; r < rows; r++) {
      const row = base + (rowNode[r] as number);
      let entry = runLabelEntry;
      if (this.#generation === 2) {
        const start = anomalySlot < 0 ? 0 : (textStart[r * slots + anomalySlot] as number);
        const end = anomalySlot < 0 ? 0 : (textEnd[r * slots + anomalySlot] as number);
        let found =
          start < 0
            ? { label: normalizeJobLabel(this.#quotedCell(csv, start, end)), code: -1 }
            : this.#jobLabels.get(bytes, start, end);
        if (found === undefined) {
          found = { label: normalizeJobLabel(this.#decoder.decode(bytes.subarray(start, end))), code: -1 };
          this.#jobLabels.set(bytes, start, end, found);
        }
        entry = found;
      }
      if (entry.label !== NORMAL_LABEL) {
        anomalous++;
        labelCounts.set(entry.label, (labelCounts.get(entry.label) ?? 0) + 1);
      }
      if (entry.code === -1) entry.code = codeOf(this.#jobLabel, entry.label);
      this.#jobLabel.codes[row] = entry.code;
      const name = this.#rowEntries[r] as NameEntry;
      if (name.traceCode === -1) name.traceCode = codeOf(this.#traceName, name.raw);
      this.#traceName.codes[row] = name.traceCode;
    }
    this.#finishRun(file, base, columnIndex, label, labelCounts, anomalous);
    return true;
  }

  /** The text of a quoted cell with escaped quotes (its start negated by the scan). */
  #quotedCell(bytes: Uint8Array, negatedStart: number, end: number): string {
    return this.#decoder.decode(bytes.subarray(~negatedStart, end)).replaceAll('""', '"');
  }

  /** Maps a job name's bytes to its node; -1 for a name not in the DAG or seen before in this run. */
  readonly #nodeOfName = (bytes: Uint8Array, start: number, end: number): number => {
    let entry = this.#names.get(bytes, start, end);
    if (entry === undefined) {
      const raw = this.#decoder.decode(bytes.subarray(start, end));
      const node = this.#nodeOf.get(this.#generation === 1 ? normalizeGen1JobName(raw) : raw) ?? -1;
      entry = { raw, node, traceCode: -1 };
      this.#names.set(bytes, start, end, entry);
    }
    this.#rowEntries.push(entry);
    if (entry.node < 0 || this.#seen[entry.node] === this.#stamp) return -1;
    this.#seen[entry.node] = this.#stamp;
    return entry.node;
  };

  #planFor(width: number, columnIndex: Map<string, number>): ByteRunPlan & PlanExtras {
    const numeric: Array<Float64Array | null> = new Array(width).fill(null);
    const nonNegative = new Uint8Array(width);
    const textSlot = new Int32Array(width).fill(-1);
    const absentNumeric: Float64Array[] = [];
    for (const column of this.#numeric) {
      const source = columnIndex.get(column.name);
      if (source === undefined) absentNumeric.push(column.data);
      else {
        numeric[source] = column.data;
        nonNegative[source] = NON_NEGATIVE.has(column.name) ? 1 : 0;
      }
    }
    let textSlots = 0;
    for (const name of [...this.#text.keys(), ...this.#uniqueText.keys()]) {
      const source = columnIndex.get(name);
      if (source !== undefined) textSlot[source] = textSlots++;
    }
    const longText = new Uint8Array(width);
    for (const name of this.#uniqueText.keys()) {
      const source = columnIndex.get(name);
      if (source !== undefined) longText[source] = 1;
    }
    const intervals: Array<[Float64Array, Float64Array]> = [];
    for (const [start, end] of INTERVALS) {
      const starts = this.#numeric.find((column) => column.name === start);
      const ends = this.#numeric.find((column) => column.name === end);
      if (starts && ends && columnIndex.has(start) && columnIndex.has(end)) intervals.push([starts.data, ends.data]);
    }
    return { width, numeric, nonNegative, textSlot, textSlots, longText, columnIndex, absentNumeric, intervals };
  }

  /**
   * Loads one run from parsed cells (the CSV's header, then one row per job); `maskMissingJobs` keeps a run that
   * lacks DAG jobs, their cells empty and their label normal.
   */
  loadRows(
    file: string,
    folder: string | undefined,
    header: readonly string[],
    rows: readonly string[][],
    maskMissingJobs = false,
  ): RunProblem[] {
    if (header.length === 0 || rows.length === 0) {
      return [
        {
          code: 'PROTEUS_FEATURES_RUN_EMPTY',
          message:
            header.length === 0
              ? 'the file is empty; expected a header and one row per job'
              : 'the CSV has a header but no job rows; did the run start?',
        },
      ];
    }
    const problems: RunProblem[] = [];
    const columnIndex = this.#checkHeader(header, problems);
    const slot = this.runs.length;
    const base = slot * this.#size;
    const { rowNode, absent } = this.#mapJobs(rows, problems, maskMissingJobs);
    const label = this.#runLabel(folder, problems);
    if (problems.length > 0) return problems;

    const nodeBase = new Int32Array(rows.length);
    for (let r = 0; r < rows.length; r++) nodeBase[r] = base + (rowNode[r] as number);
    const badNumbers: string[] = [];
    let badCount = 0;
    const corrupt: string[] = [];
    let corruptCount = 0;
    const noteCorrupt = (what: string): void => {
      corruptCount++;
      if (corrupt.length < MAX_EXAMPLES) corrupt.push(what);
    };
    for (const column of this.#numeric) {
      const source = columnIndex.get(column.name);
      const data = column.data;
      if (source === undefined) {
        for (let r = 0; r < rows.length; r++) data[nodeBase[r] as number] = Number.NaN;
        continue;
      }
      const nonNegative = NON_NEGATIVE.has(column.name);
      for (let r = 0; r < rows.length; r++) {
        const cell = (rows[r] as string[])[source] as string;
        const trimmed = cell.trim();
        let value = trimmed.length === 0 ? Number.NaN : parseDecimal(cell);
        const shown = (): string => `${column.name}=${JSON.stringify(cell.slice(0, 40))} (row ${r + 1})`;
        if (Number.isNaN(value) && trimmed.length > 0) {
          if (NAN_TEXT.has(trimmed)) noteCorrupt(`${shown()} is NaN`);
          else {
            badCount++;
            if (badNumbers.length < MAX_EXAMPLES) badNumbers.push(shown());
          }
          value = Number.NaN;
        } else if (value === Number.POSITIVE_INFINITY || value === Number.NEGATIVE_INFINITY) {
          noteCorrupt(`${shown()} is not finite`);
        } else if (nonNegative && value < 0) {
          noteCorrupt(`${shown()} is negative`);
        }
        data[nodeBase[r] as number] = value;
      }
    }
    for (const [start, end] of INTERVALS) {
      const starts = this.#numeric.find((column) => column.name === start);
      const ends = this.#numeric.find((column) => column.name === end);
      if (!starts || !ends || !columnIndex.has(start) || !columnIndex.has(end)) continue;
      for (let r = 0; r < rows.length; r++) {
        const at = nodeBase[r] as number;
        const from = starts.data[at] as number;
        const to = ends.data[at] as number;
        if (Number.isFinite(from) && Number.isFinite(to) && to < from) {
          noteCorrupt(`${end} ${to} is before ${start} ${from} (row ${r + 1})`);
        }
      }
    }
    const valueProblems: RunProblem[] = [];
    if (badCount > 0) {
      valueProblems.push({
        code: 'PROTEUS_FEATURES_VALUE_NOT_NUMERIC',
        message: `${badCount} non-numeric value${badCount > 1 ? 's' : ''} in numeric columns: ${badNumbers.join(', ')}${badCount > badNumbers.length ? ', ...' : ''}`,
      });
    }
    if (corruptCount > 0) {
      valueProblems.push({
        code: 'PROTEUS_FEATURES_VALUE_CORRUPT',
        message: `${corruptCount} impossible value${corruptCount > 1 ? 's' : ''}: ${corrupt.join(', ')}${corruptCount > corrupt.length ? ', ...' : ''}. A missing value is an empty cell; the run is left out rather than imputed`,
      });
    }
    if (valueProblems.length > 0) return valueProblems;
    for (const [name, column] of this.#text) {
      const source = columnIndex.get(name);
      for (let r = 0; r < rows.length; r++) {
        const cell = source === undefined ? '' : ((rows[r] as string[])[source] as string);
        column.codes[nodeBase[r] as number] = cell.length === 0 ? -1 : codeOf(column, cell);
      }
    }
    for (const [name, arena] of this.#uniqueText) {
      const source = columnIndex.get(name);
      for (let r = 0; r < rows.length; r++) {
        const cell = source === undefined ? '' : ((rows[r] as string[])[source] as string);
        if (cell.length === 0) arena.length[nodeBase[r] as number] = -1;
        else putUtf8(arena, nodeBase[r] as number, cell);
      }
    }
    const anomalyType = columnIndex.get('anomaly_type');
    const labelCounts = new Map<string, number>();
    let anomalous = 0;
    for (let r = 0; r < rows.length; r++) {
      const row = rows[r] as string[];
      const jobLabel =
        this.#generation === 1 ? label : normalizeJobLabel(anomalyType === undefined ? '' : row[anomalyType]);
      if (jobLabel !== NORMAL_LABEL) {
        anomalous++;
        labelCounts.set(jobLabel, (labelCounts.get(jobLabel) ?? 0) + 1);
      }
      this.#jobLabel.codes[nodeBase[r] as number] = codeOf(this.#jobLabel, jobLabel);
      this.#traceName.codes[nodeBase[r] as number] = codeOf(this.#traceName, row[0] as string);
    }
    if (absent.length > 0) this.#mask(base, absent);
    this.#finishRun(file, base, columnIndex, label, labelCounts, anomalous);
    return [];
  }

  #finishRun(
    file: string,
    base: number,
    columnIndex: ReadonlyMap<string, number>,
    label: string,
    labelCounts: ReadonlyMap<string, number>,
    anomalous: number,
  ): void {
    const derived = [...this.#derivable].filter((c) => !columnIndex.has(c));
    if (derived.length > 0) this.#derive(base, derived);
    this.runs.push({
      runIndex: this.runs.length,
      runId: file.replace(/\.csv$/i, ''),
      file,
      label: this.#generation === 1 ? label : majorityLabel(labelCounts),
      anomalousJobs: anomalous,
      derivedColumns: derived,
    });
    this.#runIds.push(file.replace(/\.csv$/i, ''));
    if (this.runs.length === 1) {
      // Size the path/argv arenas from the first run, so they are not regrown (and copied) run after run.
      for (const arena of this.#uniqueText.values())
        reserveUtf8(arena, Math.ceil(arena.used * this.#capacityRuns * 1.1));
    }
  }

  #checkHeader(header: readonly string[], problems: RunProblem[]): Map<string, number> {
    const index = new Map<string, number>();
    const extra: string[] = [];
    const repeated: string[] = [];
    for (let i = 1; i < header.length; i++) {
      const name = (header[i] as string).trim();
      if (index.has(name)) repeated.push(name);
      else index.set(name, i);
      if (!this.#schemaSet.has(name)) extra.push(name);
    }
    const missing = this.#schema.filter((c) => !index.has(c) && !this.#derivable.has(c));
    const got = `got ${header.length - 1} columns after the job name`;
    if (missing.length > 0) {
      const hint =
        this.#generation === 2 && missing.includes('anomaly_type')
          ? ' Is this a gen-1 (exogeni-2020) file? Pass { generation: 1 }.'
          : this.#generation === 1 && index.has('anomaly_type')
            ? ' Is this a gen-2 (Flow-Bench) file? Pass { generation: 2 }.'
            : '';
      problems.push({
        code: 'PROTEUS_FEATURES_COLUMN_MISSING',
        message: `column${missing.length > 1 ? 's' : ''} ${missing.map((c) => `"${c}"`).join(', ')} missing for a gen-${this.#generation} trace (${got}).${hint}`,
      });
    }
    if (extra.length > 0 || repeated.length > 0) {
      const parts = [
        extra.length
          ? `column${extra.length > 1 ? 's' : ''} ${extra.map((c) => `"${c}"`).join(', ')} not in the gen-${this.#generation} schema`
          : '',
        repeated.length
          ? `column${repeated.length > 1 ? 's' : ''} ${repeated.map((c) => `"${c}"`).join(', ')} repeated`
          : '',
      ].filter(Boolean);
      problems.push({
        code: 'PROTEUS_FEATURES_COLUMN_UNEXPECTED',
        message: `${parts.join('; ')} (${got}). Write traces with formatFlowBenchCsv, or pass the right { generation }.`,
      });
    }
    return index;
  }

  #mapJobs(
    rows: readonly string[][],
    problems: RunProblem[],
    maskMissingJobs: boolean,
  ): { rowNode: Int32Array; absent: number[] } {
    const rowNode = new Int32Array(rows.length);
    const seen = new Int32Array(this.#size).fill(-1);
    const unknown: string[] = [];
    const duplicates: string[] = [];
    for (let r = 0; r < rows.length; r++) {
      const raw = (rows[r] as string[])[0] as string;
      const name = this.#generation === 1 ? normalizeGen1JobName(raw) : raw;
      const node = this.#nodeOf.get(name);
      if (node === undefined) {
        unknown.push(raw);
        rowNode[r] = -1;
        continue;
      }
      if (seen[node] !== -1) duplicates.push(raw);
      seen[node] = r;
      rowNode[r] = node;
    }
    const workflow = `"${this.#graph.workflow}" (${this.#size} jobs)`;
    if (unknown.length > 0) {
      problems.push({
        code: 'PROTEUS_FEATURES_JOB_NOT_IN_DAG',
        message: `${unknown.length} job${unknown.length > 1 ? 's' : ''} not in the DAG of ${workflow}: ${list(unknown)}. Pass the adjacency of the workflow this run executed.`,
      });
    }
    if (duplicates.length > 0) {
      problems.push({
        code: 'PROTEUS_FEATURES_JOB_DUPLICATE',
        message: `${duplicates.length} job${duplicates.length > 1 ? 's' : ''} with more than one row: ${list(duplicates)}`,
      });
    }
    const absentNodes: number[] = [];
    for (let node = 0; node < this.#size; node++) if (seen[node] === -1) absentNodes.push(node);
    const absent = absentNodes.map((node) => this.#graph.nameAt(node));
    if (absent.length > 0 && !maskMissingJobs) {
      problems.push({
        code: 'PROTEUS_FEATURES_JOB_MISSING',
        message: `${absent.length} DAG job${absent.length > 1 ? 's' : ''} of ${workflow} without a row: ${list(absent)} (the run has ${rows.length} rows). Did the run fail part-way?`,
      });
    }
    return { rowNode, absent: absentNodes };
  }

  /** Empties the cells of jobs a run lacks (a slot may hold a skipped run's values). */
  #mask(base: number, nodes: readonly number[]): void {
    for (const node of nodes) {
      const row = base + node;
      for (const column of this.#numeric) column.data[row] = Number.NaN;
      for (const column of this.#text.values()) column.codes[row] = -1;
      for (const arena of this.#uniqueText.values()) arena.length[row] = -1;
      this.#jobLabel.codes[row] = codeOf(this.#jobLabel, NORMAL_LABEL);
      this.#traceName.codes[row] = codeOf(this.#traceName, this.#graph.nameAt(node));
    }
  }

  #runLabel(folder: string | undefined, problems: RunProblem[]): string {
    if (this.#generation === 2) return NORMAL_LABEL;
    if (folder === undefined) {
      problems.push({
        code: 'PROTEUS_FEATURES_LABEL_MISSING',
        message:
          'a gen-1 trace must sit in a label folder (normal/, cpu_2/, hdd_50/, loss_1/, ...); this one is at the top level',
      });
      return NORMAL_LABEL;
    }
    return folder;
  }

  /** Fills columns the CSV lacked from raw timestamps (our own testbeds' traces). */
  #derive(base: number, derived: readonly string[]): void {
    const column = new Map(this.#numeric.map((c) => [c.name, c.data]));
    const types = this.#text.get('type') as TextColumnBuilder;
    const at = (name: string, node: number): number | null => {
      const value = column.get(name)?.[base + node];
      return value === undefined || Number.isNaN(value) ? null : value;
    };
    const jobs: JobTimestamps[] = this.#graph.jobNames().map((job, node) => {
      const code = types.codes[base + node] as number;
      return {
        job,
        type: code >= 0 ? (types.values[code] ?? null) : null,
        ready: at('ready', node),
        pre_script_start: at('pre_script_start', node),
        pre_script_end: at('pre_script_end', node),
        submit: at('submit', node),
        stage_in_start: at('stage_in_start', node),
        stage_in_end: at('stage_in_end', node),
        execute_start: at('execute_start', node),
        execute_end: at('execute_end', node),
        stage_out_start: at('stage_out_start', node),
        stage_out_end: at('stage_out_end', node),
        post_script_start: at('post_script_start', node),
        post_script_end: at('post_script_end', node),
      };
    });
    const composite = computeCompositeFeatures(jobs, this.#graph);
    for (const name of derived) {
      const data = column.get(name) as Float64Array;
      composite.forEach((features, node) => {
        data[base + node] = (features[name as keyof typeof features] as number | null) ?? Number.NaN;
      });
    }
  }

  toTable(): Table {
    const rows = this.runs.length * this.#size;
    const runIndex = new Int32Array(rows);
    const nodeIndex = new Int32Array(rows);
    const runIdCodes = new Int32Array(rows);
    const runLabel = createTextColumn(rows);
    const jobName = createTextColumn(rows);
    const names = this.#graph.jobNames();
    for (const name of names) codeOf(jobName, name);
    for (let run = 0; run < this.runs.length; run++) {
      const info = this.runs[run] as RunInfo;
      const labelCode = codeOf(runLabel, info.label);
      for (let node = 0; node < this.#size; node++) {
        const row = run * this.#size + node;
        runIndex[row] = run;
        nodeIndex[row] = node;
        runIdCodes[row] = run;
        jobName.codes[row] = node;
        runLabel.codes[row] = labelCode;
      }
    }
    const vectors: Record<string, Vector> = {
      run_index: int32Vector(runIndex),
      run_id: textVector(runIdCodes, this.#runIds),
      node_index: int32Vector(nodeIndex),
      job_name: textVector(jobName.codes, jobName.values),
      trace_job_name: textVector(this.#traceName.codes.subarray(0, rows), this.#traceName.values),
      job_label: textVector(this.#jobLabel.codes.subarray(0, rows), this.#jobLabel.values),
      run_label: textVector(runLabel.codes, runLabel.values),
    };
    const numeric = new Map(this.#numeric.map((c) => [c.name, c]));
    for (const name of this.#schema) {
      const text = this.#text.get(name);
      const unique = this.#uniqueText.get(name);
      if (unique) vectors[name] = utf8Vector(unique, rows);
      else if (text) vectors[name] = textVector(text.codes.subarray(0, rows), text.values);
      else vectors[name] = float64Vector((numeric.get(name) as NumericColumn).data.subarray(0, rows));
    }
    return new ArrowTable(vectors);
  }
}

interface NameEntry {
  raw: string;
  /** -1: not in the DAG. */
  node: number;
  /** The `trace_job_name` code, once a kept run used it. */
  traceCode: number;
}

interface LabelEntry {
  label: string;
  /** The `job_label` code, once a kept run used it. */
  code: number;
}

interface PlanExtras {
  columnIndex: Map<string, number>;
  absentNumeric: Float64Array[];
  intervals: Array<[Float64Array, Float64Array]>;
}

/** A numeric cell as the text path reads it, or undefined where the text path reports a problem. */
function readCleanNumber(cell: string, nonNegative: boolean): number | undefined {
  if (cell.trim().length === 0) return Number.NaN;
  const value = parseDecimal(cell);
  if (Number.isNaN(value) || value === Number.POSITIVE_INFINITY || value === Number.NEGATIVE_INFINITY) return undefined;
  return nonNegative && value < 0 ? undefined : value;
}

/** A numeric cell's text: ASCII bytes as they are (no decoder), anything else decoded as UTF-8. */
function numberText(bytes: Buffer, start: number, end: number, decoder: { decode(input: Uint8Array): string }): string {
  for (let i = start; i < end; i++) {
    if ((bytes[i] as number) >= 0x80) return decoder.decode(bytes.subarray(start, end));
  }
  return bytes.toString('latin1', start, end);
}

function sameBytes(bytes: Uint8Array, a: number, b: number, length: number): boolean {
  for (let i = 0; i < length; i++) if (bytes[a + i] !== bytes[b + i]) return false;
  return true;
}

const POWERS_OF_TEN = Array.from({ length: 16 }, (_, k) => 10 ** k);

/**
 * `Number(text)` with a fast path for plain decimals (`-12.50`): up to 15 digits form an exact integer mantissa,
 * and one division by an exact power of ten rounds correctly, so the result is bit-identical to `Number(text)`.
 */
function parseDecimal(text: string): number {
  const length = text.length;
  let i = text.charCodeAt(0) === 45 ? 1 : 0;
  let mantissa = 0;
  let digits = 0;
  let scale = 0;
  let dot = false;
  for (; i < length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 48 && code <= 57) {
      mantissa = mantissa * 10 + (code - 48);
      digits++;
      if (dot) scale++;
    } else if (code === 46 && !dot) {
      dot = true;
    } else {
      return +text;
    }
  }
  if (digits === 0 || digits > 15) return +text;
  const value = scale === 0 ? mantissa : mantissa / (POWERS_OF_TEN[scale] as number);
  return text.charCodeAt(0) === 45 ? -value : value;
}

function majorityLabel(counts: ReadonlyMap<string, number>): string {
  let best = NORMAL_LABEL;
  let bestCount = 0;
  for (const [label, count] of [...counts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (count > bestCount) {
      best = label;
      bestCount = count;
    }
  }
  return best;
}

function list(names: readonly string[]): string {
  const shown = names.slice(0, MAX_EXAMPLES).map((n) => `"${n}"`);
  return names.length > MAX_EXAMPLES ? `${shown.join(', ')}, ... (${names.length} in all)` : shown.join(', ');
}
