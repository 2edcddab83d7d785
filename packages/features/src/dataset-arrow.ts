/*
 * Arrow IPC (file format) storage of a prepared FeatureSet, so later steps skip CSV parsing.
 * One row per (run, job) in the FeatureSet's order; one float32 column per feature; the rest in schema metadata.
 */
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { ProteusError, writeFileAtomic } from '@proteus-wf/core';
import { parseFlowBenchAdjacency, type WorkflowGraph } from '@proteus-wf/workflow-graph';
import { type Field, Schema, Table, tableFromIPC, tableToIPC } from 'apache-arrow';
import type { FeatureRun, FeatureSet } from './extract-features.js';
import { FEATURE_PIPELINES, type FeaturePipelineName } from './feature-pipelines.js';
import {
  codeOf,
  createTextColumn,
  float32Vector,
  int32Vector,
  readFloatColumn,
  readInt32Column,
  readTextColumn,
  textVector,
} from './internal/arrow-columns.js';

const FORMAT = 'proteus-feature-set';
const FORMAT_VERSION = '1';
const FEATURE_PREFIX = 'feature:';
// Integrity: the schema metadata holds `proteus-sha256:<64 hex>`, the SHA-256 of the whole file with those 64 hex
// digits read as zeros. Checked before apache-arrow parses anything: a damaged IPC file can make its reader
// allocate without bound, and a flipped bit in a float would otherwise load silently.
const CHECKSUM_PREFIX = Buffer.from('proteus-sha256:');
const CHECKSUM_DIGITS = 64;
const CHECKSUM_ZEROS = Buffer.from('0'.repeat(CHECKSUM_DIGITS));

function describeArgument(value: unknown): string {
  if (typeof value === 'string') return `the string "${value}"`;
  if (value === null || typeof value !== 'object') return String(value);
  return Array.isArray(value) ? 'an array' : 'an object';
}

function isFeatureSet(value: unknown): value is FeatureSet {
  const candidate = value as Partial<FeatureSet> | null;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    Array.isArray(candidate.runs) &&
    Array.isArray(candidate.featureNames) &&
    typeof candidate.jobsPerRun === 'number'
  );
}

/**
 * Writes a feature set as an Arrow IPC file, atomically (readers never see a torn file). Columns: `run_index`,
 * `run_id`, `node_index`, `job_name`, `job_label`, `run_label`, then `feature:<name>` (float32) per feature;
 * workflow, generation, pipeline, runs, the DAG and a SHA-256 checksum go in the schema metadata (`proteus.*` keys).
 *
 * @example await writeDatasetArrow(extractFeatures(dataset), 'out/montage.flowbench-v1.arrow');
 * @throws ProteusError PROTEUS_FEATURES_INVALID_ARGUMENT when `features` is not a FeatureSet or `path` not a path
 *   (the feature set comes first, the destination last); Error from the file system (no space, no permission)
 */
export async function writeDatasetArrow(features: FeatureSet, path: string): Promise<void> {
  if (!isFeatureSet(features) || typeof path !== 'string' || path === '') {
    const swapped = typeof features === 'string' && isFeatureSet(path);
    throw new ProteusError(
      'PROTEUS_FEATURES_INVALID_ARGUMENT',
      `features/writeDatasetArrow: expected (features, path), got (${describeArgument(features)}, ` +
        `${describeArgument(path)}). ${swapped ? 'The arguments are swapped: ' : ''}pass the FeatureSet from ` +
        "extractFeatures first and the destination last: writeDatasetArrow(features, 'out/x.arrow').",
    );
  }
  const runs = features.runs.length;
  const jobs = features.jobsPerRun;
  const rows = runs * jobs;
  const width = features.featureNames.length;
  const runIndex = new Int32Array(rows);
  const nodeIndex = new Int32Array(rows);
  const jobName = new Int32Array(rows);
  const runLabel = createTextColumn(rows);
  const jobLabel = createTextColumn(rows);
  for (let run = 0; run < runs; run++) {
    const labelCode = codeOf(runLabel, (features.runs[run] as FeatureRun).label);
    for (let node = 0; node < jobs; node++) {
      const row = run * jobs + node;
      runIndex[row] = run;
      nodeIndex[row] = node;
      jobName[row] = node;
      runLabel.codes[row] = labelCode;
      jobLabel.codes[row] = codeOf(jobLabel, features.jobLabels[row] ?? 'normal');
    }
  }
  const vectors: Record<
    string,
    ReturnType<typeof int32Vector> | ReturnType<typeof float32Vector> | ReturnType<typeof textVector>
  > = {
    run_index: int32Vector(runIndex),
    // Arrow's IPC writer mis-sizes the body when two columns share one buffer, so every column gets its own array.
    run_id: textVector(
      runIndex.slice(),
      features.runs.map((run) => run.runId),
    ),
    node_index: int32Vector(nodeIndex),
    job_name: textVector(jobName, features.graph.jobNames()),
    job_label: textVector(jobLabel.codes, jobLabel.values),
    run_label: textVector(runLabel.codes, runLabel.values),
  };
  features.featureNames.forEach((name, f) => {
    const column = new Float32Array(rows);
    for (let row = 0; row < rows; row++) column[row] = features.values[row * width + f] as number;
    vectors[`${FEATURE_PREFIX}${name}`] = float32Vector(column);
  });
  const table = new Table(vectors);
  const adjacency: Record<string, string[]> = {};
  for (const name of features.graph.jobNames()) adjacency[name] = features.graph.children(name);
  const metadata = new Map<string, string>([
    ['proteus.format', FORMAT],
    ['proteus.formatVersion', FORMAT_VERSION],
    ['proteus.workflow', features.workflow],
    ['proteus.generation', String(features.generation)],
    ['proteus.pipeline', features.pipeline],
    ['proteus.pipelineVersion', String(features.pipelineVersion)],
    ['proteus.featureNames', JSON.stringify(features.featureNames)],
    ['proteus.runs', JSON.stringify(features.runs.map(({ runId, file, label }) => ({ runId, file, label })))],
    ['proteus.adjacency', JSON.stringify(adjacency)],
    ['proteus.checksum', `${CHECKSUM_PREFIX.toString()}${CHECKSUM_ZEROS.toString()}`],
  ]);
  const withMetadata = new Table(new Schema(table.schema.fields as Field[], metadata), table.batches);
  const bytes = Buffer.from(tableToIPC(withMetadata, 'file'));
  const digest = Buffer.from(checksumOf(bytes, checksumSlots(bytes)));
  for (const slot of checksumSlots(bytes)) digest.copy(bytes, slot);
  await writeFileAtomic(path, bytes);
}

/** Offsets of the hex digits after every `proteus-sha256:` in the file. */
function checksumSlots(bytes: Buffer): number[] {
  const slots: number[] = [];
  for (let at = bytes.indexOf(CHECKSUM_PREFIX); at !== -1; at = bytes.indexOf(CHECKSUM_PREFIX, at + 1)) {
    const slot = at + CHECKSUM_PREFIX.length;
    if (slot + CHECKSUM_DIGITS <= bytes.length) slots.push(slot);
  }
  return slots;
}

/** SHA-256 (hex) of the file with every checksum slot read as zeros. */
function checksumOf(bytes: Buffer, slots: readonly number[]): string {
  const hash = createHash('sha256');
  let from = 0;
  for (const slot of slots) {
    hash.update(bytes.subarray(from, slot));
    hash.update(CHECKSUM_ZEROS);
    from = slot + CHECKSUM_DIGITS;
  }
  hash.update(bytes.subarray(from));
  return hash.digest('hex');
}

function isNodeOrder(nodeIndex: Int32Array, jobs: number): boolean {
  for (let row = 0, node = 0; row < nodeIndex.length; row++) {
    if (nodeIndex[row] !== node) return false;
    node = node + 1 === jobs ? 0 : node + 1;
  }
  return true;
}

/** The file in one read into a buffer of its size (fs/promises' readFile reads large files in 512 KiB rounds). */
async function readWhole(path: string): Promise<Buffer> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    const bytes = Buffer.allocUnsafe(size);
    let filled = 0;
    while (filled < size) {
      const { bytesRead } = await handle.read(bytes, filled, size - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return filled === size ? bytes : bytes.subarray(0, filled);
  } finally {
    await handle.close();
  }
}

/** The last graph read, by its adjacency JSON, workflow and path: a WorkflowGraph is immutable, so reading the same
 * file again shares it instead of rebuilding it. */
let lastGraph: { key: string; graph: WorkflowGraph } | undefined;

function graphOf(
  json: string,
  adjacency: () => Record<string, string[]>,
  workflow: string,
  path: string,
): WorkflowGraph {
  const key = `${workflow}\0${path}\0${json}`;
  if (lastGraph?.key === key) return lastGraph.graph;
  const graph = parseFlowBenchAdjacency(adjacency(), { generation: 2, workflow, source: path });
  lastGraph = { key, graph };
  return graph;
}

/**
 * Reads a feature set written by `writeDatasetArrow` (milliseconds: no CSV parsing, no zip).
 *
 * @example const features = await readDatasetArrow('out/montage.flowbench-v1.arrow');
 * @throws ProteusError PROTEUS_FEATURES_PATH_NOT_FOUND when the file does not exist
 * @throws ProteusError PROTEUS_FEATURES_ARROW_INVALID when it is not an Arrow file or not a Proteus feature set
 */
export async function readDatasetArrow(path: string): Promise<FeatureSet> {
  const where = 'features/readDatasetArrow';
  const bytes = await readWhole(path).catch((error: unknown) => {
    throw new ProteusError(
      'PROTEUS_FEATURES_PATH_NOT_FOUND',
      `${where}: cannot read ${path}. Write one with \`proteus dataset convert\`.`,
      {
        cause: error,
      },
    );
  });
  const invalid = (what: string, cause?: unknown) =>
    new ProteusError(
      'PROTEUS_FEATURES_ARROW_INVALID',
      `${where}: ${path} is not a Proteus feature set (${what}). Re-create it with \`proteus dataset convert\`.`,
      {
        cause,
      },
    );
  const slots = checksumSlots(bytes);
  if (slots.length === 0) throw invalid('no proteus checksum');
  const claimed = slots.map((slot) => bytes.subarray(slot, slot + CHECKSUM_DIGITS).toString('latin1'));
  if (claimed.some((value) => value !== claimed[0]) || checksumOf(bytes, slots) !== claimed[0]) {
    throw invalid('checksum mismatch: the file is damaged or was changed after writing');
  }
  let table: Table;
  try {
    table = tableFromIPC(bytes);
  } catch (error) {
    throw invalid(`not an Arrow IPC file: ${error instanceof Error ? error.message : String(error)}`, error);
  }
  const meta = table.schema.metadata;
  if (meta.get('proteus.format') !== FORMAT) throw invalid('no proteus.format metadata');
  if (meta.get('proteus.formatVersion') !== FORMAT_VERSION)
    throw invalid(`format version ${meta.get('proteus.formatVersion')}, expected ${FORMAT_VERSION}`);
  try {
    const workflow = meta.get('proteus.workflow') as string;
    const generation = Number(meta.get('proteus.generation'));
    const pipeline = meta.get('proteus.pipeline') as FeaturePipelineName;
    const pipelineVersion = Number(meta.get('proteus.pipelineVersion'));
    const featureNames = JSON.parse(meta.get('proteus.featureNames') ?? 'null') as string[];
    const runs = JSON.parse(meta.get('proteus.runs') ?? 'null') as FeatureRun[];
    const adjacency = (): Record<string, string[]> =>
      JSON.parse(meta.get('proteus.adjacency') ?? 'null') as Record<string, string[]>;
    if (
      (generation !== 1 && generation !== 2) ||
      !Object.hasOwn(FEATURE_PIPELINES, pipeline) ||
      !Array.isArray(featureNames) ||
      !Array.isArray(runs)
    ) {
      throw invalid('metadata is incomplete');
    }
    const graph = graphOf(meta.get('proteus.adjacency') as string, adjacency, workflow, path);
    const jobs = graph.size;
    const rows = runs.length * jobs;
    if (table.numRows !== rows) throw invalid(`${table.numRows} rows for ${runs.length} runs x ${jobs} jobs`);
    const nodeIndex = readInt32Column(table, 'node_index');
    if (nodeIndex === undefined || !isNodeOrder(nodeIndex, jobs)) throw invalid('rows are not in node-index order');
    const width = featureNames.length;
    const values = new Float32Array(rows * width);
    const columns = featureNames.map((name) => {
      const column = table.getChild(`${FEATURE_PREFIX}${name}`);
      if (column === null) throw invalid(`feature column "${name}" missing`);
      const chunk = column.data.length === 1 ? column.data[0] : undefined;
      // The written layout (one float32 batch, no nulls) is read in place; anything else is copied first.
      return chunk !== undefined && chunk.nullCount === 0 && chunk.values instanceof Float32Array
        ? chunk.values.subarray(chunk.offset, chunk.offset + chunk.length)
        : (readFloatColumn(table, `${FEATURE_PREFIX}${name}`) as Float32Array | Float64Array);
    });
    // Rows in order: the writes are sequential and each feature column is read sequentially.
    for (let row = 0, at = 0; row < rows; row++) {
      for (let f = 0; f < width; f++, at++) values[at] = (columns[f] as Float32Array | Float64Array)[row] as number;
    }
    const jobLabels = readTextColumn(table, 'job_label', 'normal') ?? [];
    return {
      workflow,
      generation,
      pipeline,
      pipelineVersion,
      featureNames,
      graph,
      runs,
      jobsPerRun: jobs,
      values,
      jobLabels,
    };
  } catch (error) {
    if (error instanceof ProteusError && error.code === 'PROTEUS_FEATURES_ARROW_INVALID') throw error;
    throw invalid(error instanceof Error ? error.message : String(error), error);
  }
}
