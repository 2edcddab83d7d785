import { readFile } from 'node:fs/promises';
import { ProteusError } from '@proteus-wf/core';
import type { GivenSplit } from './train.js';

/**
 * Reads a split for `train({ split })` from a JSON file `{ "train": [...], "validation": [...], "test": [...] }` whose
 * entries are run ids or trace file names (e.g. the split another tool used, for a like-for-like comparison).
 * `train` checks the entries against the dataset's runs.
 * @example const split = await readSplitFile('splits/montage-seed0.json'); await train(dataset, { split });
 * @throws ProteusError PROTEUS_MODELS_INVALID_SPLIT when the file cannot be read, is not JSON, or a part is missing or
 * not a list of strings
 */
export async function readSplitFile(path: string): Promise<GivenSplit> {
  const where = 'models/readSplitFile';
  if (typeof path !== 'string' || path === '') {
    throw new ProteusError('PROTEUS_MODELS_INVALID_SPLIT', `${where}: path must be a file path, got ${String(path)}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path, 'utf8'));
  } catch (cause) {
    throw new ProteusError(
      'PROTEUS_MODELS_INVALID_SPLIT',
      `${where}: cannot read ${path} as JSON (${(cause as Error).message}). Pass a file like {"train": ["run-1", ...], "validation": [...], "test": [...]}.`,
      { cause },
    );
  }
  const problems: string[] = [];
  const record = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as Record<string, unknown>;
  for (const part of ['train', 'validation', 'test']) {
    const value = record[part];
    if (!Array.isArray(value) || !value.every((entry) => typeof entry === 'string')) {
      problems.push(`"${part}" must be a list of run ids or file names, got ${JSON.stringify(value)?.slice(0, 60)}`);
    }
  }
  if (problems.length > 0) {
    throw new ProteusError(
      'PROTEUS_MODELS_INVALID_SPLIT',
      `${where}: ${path}: ${problems.join('; ')}. Pass a file like {"train": [...], "validation": [...], "test": [...]}.`,
      { details: { problems } },
    );
  }
  return { train: record.train as string[], validation: record.validation as string[], test: record.test as string[] };
}
