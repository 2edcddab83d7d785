/*
 * The translation layer (active-learning paper §3.2.2): queries become experiment request files that the controller
 * (`@proteus-wf/controller` `parseExperimentRequests`) executes, and the CSVs it writes come back as labelled traces.
 * The file's shape and its validator live in `@proteus-wf/core`; this module reads and writes it.
 */
import { readFile } from 'node:fs/promises';
import type { ErrorScope, ExperimentRequest, ExperimentRequestFile } from '@proteus-wf/core';
import { ProteusError, validateExperimentRequestFile, writeFileAtomic } from '@proteus-wf/core';
import { type FlowBenchDataset, type LoadFlowBenchOptions, loadFlowBench } from '@proteus-wf/features';

export type { ExperimentRequest, ExperimentRequestFile } from '@proteus-wf/core';

const SCOPE: ErrorScope = { prefix: 'AL', where: 'active-learner' };

/**
 * Validates a request file against the one contract in `@proteus-wf/core`, listing every problem at once.
 * @example const file = parseExperimentRequestFile(JSON.parse(text));
 * @throws ProteusError PROTEUS_AL_INVALID_REQUESTS with `details: [{ path, message }]` (`path` like `requests[0].runs`)
 */
export function parseExperimentRequestFile(input: unknown, source = 'experiment requests'): ExperimentRequestFile {
  return validateExperimentRequestFile(input, { source, scope: SCOPE });
}

/**
 * Writes a request file atomically after validating it; the file comes first and the destination last.
 * @example await writeExperimentRequests({ id: 'al-s0-k3', requests }, 'al/requests/iter-0003.json');
 * @throws ProteusError PROTEUS_AL_INVALID_ARGUMENT when `path` is not a path (e.g. the arguments are swapped),
 *   PROTEUS_AL_INVALID_REQUESTS when the requests do not match the schema
 */
export async function writeExperimentRequests(file: ExperimentRequestFile, path: string): Promise<void> {
  if (typeof path !== 'string' || path === '') {
    const swapped = typeof file === 'string';
    throw new ProteusError(
      'PROTEUS_AL_INVALID_ARGUMENT',
      `active-learner/writeExperimentRequests: expected (file, path), got a ${typeof file} and a ${typeof path}. ` +
        `${swapped ? 'The arguments are swapped: ' : ''}pass the request file first and the destination last: ` +
        "writeExperimentRequests({ id, requests }, 'al/requests/iter-0001.json').",
    );
  }
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
