import { open, readdir, stat } from 'node:fs/promises';
import { extname } from 'node:path';
import { type LongOperationOptions, ProteusError } from '@proteus-wf/core';
import { type FlowBenchDataset, type Generation, loadFlowBench, loadWfInstances } from '@proteus-wf/features';
import { findSubmitDirs, loadSubmitDirs } from '@proteus-wf/pegasus';
import { loadWorkflowGraph, type WorkflowGraph } from '@proteus-wf/workflow-graph';

/** Options of {@link loadDatasetInput}. */
export interface LoadDatasetInputOptions extends LongOperationOptions {
  /** A DAG file (any format loadWorkflowGraph reads) or a graph. */
  adjacency?: string | WorkflowGraph;
  /** The DAG a saved model was trained on: submit directories and WfFormat instances align to it by default. */
  modelGraph?: () => WorkflowGraph;
  generation?: Generation;
  strict?: boolean;
}

/** What a dataset path holds, told from the content (not the name). */
export type DatasetInputKind = 'flowbench' | 'submit-dirs' | 'wfformat';

const ZIP_MAGIC = Buffer.from([0x50, 0x4b, 0x03, 0x04]);

/**
 * Loads whatever a `--dataset` / `dataset inspect` path holds as a dataset, told from the content: a Flow-Bench zip
 * (zip magic) or folder of CSVs (`loadFlowBench`), one or many Pegasus submit directories (a folder with, or above,
 * a braindump.yml: `loadSubmitDirs`), or WfFormat instances with execution data (`.json` files: `loadWfInstances`).
 * @throws ProteusError PROTEUS_CLI_DATASET_FORMAT when the file is none of these (the message says what was expected
 *   and what was found), and every code of the loader it picks
 */
export async function loadDatasetInput(path: string, options: LoadDatasetInputOptions = {}): Promise<FlowBenchDataset> {
  const { signal, onProgress, strict } = options;
  const kind = await detectDatasetInput(path);
  const graph = async (): Promise<WorkflowGraph | undefined> =>
    typeof options.adjacency === 'string'
      ? loadWorkflowGraph(options.adjacency)
      : (options.adjacency ?? options.modelGraph?.());
  if (kind === 'submit-dirs') {
    const adjacency = await graph();
    return loadSubmitDirs(path, {
      ...(adjacency ? { adjacency } : {}),
      ...(strict ? { strict } : {}),
      ...(signal ? { signal } : {}),
      ...(onProgress ? { onProgress } : {}),
    });
  }
  if (kind === 'wfformat') {
    const adjacency = await graph();
    return loadWfInstances(path, {
      ...(adjacency ? { adjacency } : {}),
      ...(strict ? { strict } : {}),
      ...(signal ? { signal } : {}),
      ...(onProgress ? { onProgress } : {}),
    });
  }
  return loadFlowBench(path, {
    ...(options.adjacency !== undefined ? { adjacency: options.adjacency } : {}),
    ...(options.generation !== undefined ? { generation: options.generation } : {}),
    ...(strict !== undefined ? { strict } : {}),
    ...(signal ? { signal } : {}),
    ...(onProgress ? { onProgress } : {}),
  });
}

/**
 * Tells what a dataset path holds from its content: a folder of run CSVs is Flow-Bench (a campaign's output keeps
 * each run's submit directory beside its CSV), another folder with (or above) a braindump.yml Pegasus submit
 * directories, another folder Flow-Bench CSVs (or WfFormat instances when it holds only `.json` files); a file starting
 * with the zip magic is a Flow-Bench zip, one starting with `{` a WfFormat instance.
 * @throws ProteusError PROTEUS_CLI_DATASET_FORMAT for a file that is none of these
 */
export async function detectDatasetInput(path: string): Promise<DatasetInputKind> {
  let isFolder: boolean;
  try {
    isFolder = (await stat(path)).isDirectory();
  } catch {
    // A missing path: loadFlowBench says so with its own code and fix.
    return 'flowbench';
  }
  if (isFolder) {
    const names = await readdir(path);
    const csv = names.some((name) => name.toLowerCase().endsWith('.csv'));
    // A campaign folder holds each run's CSV beside the submit directory it was read back from: the CSVs are the dataset.
    if (!csv && (await findSubmitDirs(path).catch(() => [])).length > 0) return 'submit-dirs';
    const json = names.filter((name) => name.toLowerCase().endsWith('.json'));
    return !csv && json.length > 0 && json.length === names.filter((name) => !name.startsWith('.')).length
      ? 'wfformat'
      : 'flowbench';
  }
  const head = await readHead(path, 512);
  if (head.subarray(0, 4).equals(ZIP_MAGIC)) return 'flowbench';
  const text = head
    .toString('utf8')
    .replace(/^\uFEFF/, '')
    .trimStart();
  if (text.startsWith('{')) return 'wfformat';
  if (extname(path).toLowerCase() === '.zip') return 'flowbench';
  throw new ProteusError(
    'PROTEUS_CLI_DATASET_FORMAT',
    `proteus: ${path} is not a dataset: expected a Flow-Bench zip (starting with the zip signature PK), a folder of run CSVs, a Pegasus submit directory (with braindump.yml) or a WfFormat instance JSON with execution data; found ${describeHead(text)}.` +
      (/^(JOB|PARENT|<|pegasus:|jobs:)/m.test(text) ? ' It looks like a workflow DAG: pass it as --adjacency.' : ''),
    { details: { path } },
  );
}

async function readHead(path: string, bytes: number): Promise<Buffer> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(bytes);
    const { bytesRead } = await handle.read(buffer, 0, bytes, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

function describeHead(text: string): string {
  if (text === '') return 'an empty file';
  return `text starting ${JSON.stringify(text.slice(0, 40).replace(/\s+/g, ' '))}`;
}
