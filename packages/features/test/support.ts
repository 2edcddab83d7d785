// Test helpers: real Flow-Bench files from ../shared/datasets and small archives built from them.

import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { strToU8, unzipSync, zipSync } from 'fflate';

export { createTempDir, hasSharedDatasets, sharedDataset } from '@proteus-wf/test-utils';

import { sharedDataset } from '@proteus-wf/test-utils';

/** The small gen-2 workflow used by unit tests: 12 jobs, 18 edges, 501 runs. */
export const EHT_IMAGING = sharedDataset('flowbench/eht_imaging.zip');
export const EHT_IMAGING_DAG = sharedDataset('flowbench/adjacency_list_dags/eht_imaging.json');
export const WIND_GEN1 = sharedDataset('exogeni-2020/wind_clustering_casa.zip');
export const WIND_GEN1_DAG = sharedDataset('exogeni-2020/adjacency_list_dags/wind_clustering_casa.json');

/** The text of some entries of a real zip. */
export function readZipEntries(zip: string, names: (name: string) => boolean): Record<string, string> {
  const files = unzipSync(readFileSync(zip), { filter: (file) => names(file.name) });
  return Object.fromEntries(Object.entries(files).map(([name, bytes]) => [name, Buffer.from(bytes).toString('utf8')]));
}

/** The first `count` CSVs of a real zip, by name. */
export function firstRuns(zip: string, count: number): Record<string, string> {
  const names: string[] = [];
  unzipSync(readFileSync(zip), {
    filter: (file) => {
      if (file.name.endsWith('.csv')) names.push(file.name);
      return false;
    },
  });
  const chosen = new Set(names.sort().slice(0, count));
  return readZipEntries(zip, (name) => chosen.has(name));
}

/** A zip (bytes) of the given files. */
export function buildZip(files: Record<string, string | Uint8Array>): Uint8Array {
  return zipSync(
    Object.fromEntries(
      Object.entries(files).map(([name, data]) => [name, typeof data === 'string' ? strToU8(data) : data]),
    ),
  );
}

/** Writes `files` as `<folder>/<name>.zip` plus `adjacency_list_dags/<name>.json`; returns the zip path. */
export async function writeArchive(
  folder: string,
  name: string,
  files: Record<string, string | Uint8Array>,
  adjacency: string,
): Promise<string> {
  const zip = join(folder, `${name}.zip`);
  await mkdir(join(folder, 'adjacency_list_dags'), { recursive: true });
  await writeFile(join(folder, 'adjacency_list_dags', `${name}.json`), adjacency);
  await writeFile(zip, buildZip(files));
  return zip;
}

/** Writes `files` as an extracted folder `<folder>/<name>/...`; returns its path. */
export async function writeFolder(
  folder: string,
  name: string,
  files: Record<string, string>,
  adjacency: string,
): Promise<string> {
  await mkdir(join(folder, 'adjacency_list_dags'), { recursive: true });
  await writeFile(join(folder, 'adjacency_list_dags', `${name}.json`), adjacency);
  for (const [file, text] of Object.entries(files)) {
    const path = join(folder, name, file);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, text);
  }
  return join(folder, name);
}

/** Edits one CSV: `edit(rows)` gets the header and rows as cell arrays (naive split; the eht files have no quotes). */
export function editCsv(text: string, edit: (table: string[][]) => string[][]): string {
  const table = text
    .trimEnd()
    .split('\n')
    .map((line) => line.split(','));
  return `${edit(table)
    .map((row) => row.join(','))
    .join('\n')}\n`;
}
