/*
 * The translation layer (active-learning paper §3.2.2): queries become experiment request files that the controller
 * (`@proteus-wf/controller` `parseExperimentRequests`) executes, and the CSVs it writes come back as labelled traces.
 */
import { readFile } from 'node:fs/promises';
import { ProteusError, writeFileAtomic } from '@proteus-wf/core';
import { type FlowBenchDataset, type LoadFlowBenchOptions, loadFlowBench } from '@proteus-wf/features';
import { z } from 'zod';

/** One experiment to run: `runs` executions of `workflow` with `anomaly` (at `level`) on `anomalousWorkers` workers. */
export interface ExperimentRequest {
  workflow: string;
  /** `normal`, a family (`cpu`, `hdd`) completed by `level`, or a full name (`cpu_2`). */
  anomaly: string;
  level?: number;
  /** How many workers get the anomaly, or exactly which ones. */
  anomalousWorkers: number | string[];
  runs: number;
  /**
   * The least confident jobs for this anomaly (the paper's per-job hints) and their confidences; in pool-based
   * emulation also `runIds`, the pool runs the learner ranked most uncertain (a live controller ignores them).
   */
  hints?: { jobs?: string[]; confidence?: number[]; runIds?: string[]; [key: string]: unknown };
}

/** A request file: `{ id?, requests }`, the exact shape the controller consumes. */
export interface ExperimentRequestFile {
  id?: string;
  requests: ExperimentRequest[];
}

const requestSchema = z
  .object({
    workflow: z.string().min(1),
    anomaly: z.string().min(1),
    level: z.number().positive().optional(),
    anomalousWorkers: z.union([z.number().int().nonnegative(), z.array(z.string().min(1)).min(1)]),
    runs: z.number().int().positive(),
    hints: z
      .looseObject({
        jobs: z.array(z.string()).optional(),
        confidence: z.array(z.number().min(0).max(1)).optional(),
        runIds: z.array(z.string().min(1)).optional(),
      })
      .optional(),
  })
  .strict();

/** The zod schema of a request file (also the controller's). */
export const experimentRequestFileSchema = z
  .object({
    id: z
      .string()
      .regex(/^[A-Za-z0-9._-]+$/)
      .optional(),
    requests: z.array(requestSchema).min(1),
  })
  .strict();

/**
 * Validates a request file, listing every problem at once.
 * @example const file = parseExperimentRequestFile(JSON.parse(text));
 * @throws ProteusError PROTEUS_AL_INVALID_REQUESTS with `details: [{ path, message }]`
 */
export function parseExperimentRequestFile(input: unknown, source = 'experiment requests'): ExperimentRequestFile {
  const parsed = experimentRequestFileSchema.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => ({
      path: issue.path.join('.') || '(root)',
      message: issue.message,
    }));
    throw new ProteusError(
      'PROTEUS_AL_INVALID_REQUESTS',
      `active-learner/parseExperimentRequestFile: ${source} has ${problems.length} problem(s): ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`,
      { details: problems },
    );
  }
  return parsed.data as ExperimentRequestFile;
}

/**
 * Writes a request file atomically after validating it.
 * @example await writeExperimentRequests('al/requests/iter-0003.json', { id: 'al-s0-k3', requests });
 * @throws ProteusError PROTEUS_AL_INVALID_REQUESTS when the requests do not match the schema
 */
export async function writeExperimentRequests(path: string, file: ExperimentRequestFile): Promise<void> {
  const valid = parseExperimentRequestFile(file, path);
  await writeFileAtomic(path, `${JSON.stringify(valid, null, 2)}\n`);
}

/**
 * Reads and validates a request file.
 * @example const file = await readExperimentRequests('al/requests/iter-0003.json');
 * @throws ProteusError PROTEUS_AL_FILE_NOT_FOUND, PROTEUS_AL_INVALID_REQUESTS
 */
export async function readExperimentRequests(path: string): Promise<ExperimentRequestFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new ProteusError('PROTEUS_AL_FILE_NOT_FOUND', `active-learner/readExperimentRequests: cannot read ${path}`, {
      cause,
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new ProteusError(
      'PROTEUS_AL_INVALID_REQUESTS',
      `active-learner/readExperimentRequests: ${path} is not JSON (${(cause as Error).message})`,
      {
        cause,
      },
    );
  }
  return parseExperimentRequestFile(json, path);
}

/**
 * Reads the traces an executed request file produced (a folder of gen-2 Flow-Bench CSVs, as the controller writes
 * them) as a dataset with labels; pass the workflow's DAG.
 * @example const traces = await readExperimentResults('al/results/iter-0003', { adjacency: graph });
 * @throws ProteusError the `PROTEUS_FEATURES_*` codes of `loadFlowBench` (missing folder, bad CSVs, empty results)
 */
export function readExperimentResults(folder: string, options: LoadFlowBenchOptions): Promise<FlowBenchDataset> {
  return loadFlowBench(folder, { generation: 2, ...options });
}

/**
 * The option label of a request (`cpu_2`, `normal`): the key labelled traces carry.
 * @example requestLabel({ anomaly: 'hdd', level: 10 }) // 'hdd_10'
 */
export function requestLabel(request: Pick<ExperimentRequest, 'anomaly' | 'level'>): string {
  if (request.anomaly === 'normal' || request.level === undefined) return request.anomaly;
  return `${request.anomaly}_${request.level}`;
}

/**
 * The request fields of an option label.
 * @example optionOf('hdd_10') // { anomaly: 'hdd', level: 10 }
 */
export function optionOf(label: string): { anomaly: string; level?: number } {
  const match = /^(.*)_(\d+(?:\.\d+)?)$/.exec(label);
  if (!match) return { anomaly: label };
  return { anomaly: match[1] as string, level: Number(match[2]) };
}
