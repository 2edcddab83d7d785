import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
// Vitest loads a global setup without the `@proteus-wf/source` condition, before anything is built: import sources by path.
import { ProteusError } from '../../../packages/core/src/proteus-error.js';
import { datasetsRoot, repoRoot } from './paths.js';

const SUITE_FOLDERS = ['packages/*/src', 'packages/*/test', 'examples/*/test', 'tooling/*/src'];
const SKIPS_WITHOUT_DATASETS = /(?:skipIf|if)\s*\([^)]*\bhasSharedDatasets\b/;

function listTestFiles(folder: string): string[] {
  if (!existsSync(folder)) return [];
  return readdirSync(folder, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.test.ts'))
    .map((entry) => join(entry.parentPath, entry.name))
    .filter((path) => !path.includes('node_modules'));
}

/** Test files that skip tests without `../shared/datasets` (`skipIf(!hasSharedDatasets)`, `if (hasSharedDatasets)`), sorted. */
export function findSharedDatasetSuites(root: string = repoRoot): string[] {
  const files: string[] = [];
  for (const pattern of SUITE_FOLDERS) {
    const [top, , inner] = pattern.split('/') as [string, string, string];
    const topPath = join(root, top);
    if (!existsSync(topPath)) continue;
    for (const dir of readdirSync(topPath)) files.push(...listTestFiles(join(topPath, dir, inner)));
  }
  return files
    .filter((file) => SKIPS_WITHOUT_DATASETS.test(readFileSync(file, 'utf8')))
    .map((file) => relative(root, file))
    .sort();
}

/** What the test run says and does about absent shared datasets. */
export interface SharedDatasetsVerdict {
  /** The one loud line to print, when suites will skip. */
  line?: string;
  /** Set when `required` and the datasets are absent: the run must fail with it. */
  error?: ProteusError;
}

/**
 * Decides what to say when `../shared/datasets` is absent: one line naming the suites that skip, and with `required`
 * (`PROTEUS_REQUIRE_DATASETS=1`, which `.ci/run` sets) a `PROTEUS_TEST_DATASETS_MISSING` error that fails the run.
 */
export function judgeSharedDatasets(options: {
  present: boolean;
  required: boolean;
  suites: readonly string[];
  datasetsRoot: string;
}): SharedDatasetsVerdict {
  if (options.present) return {};
  const line =
    `!!! ${options.datasetsRoot} is absent: ${options.suites.length} test files skip their real-data tests ` +
    `(${options.suites.join(', ')}). Put the shared datasets there (see README.md).`;
  if (!options.required) return { line };
  const error = new ProteusError(
    'PROTEUS_TEST_DATASETS_MISSING',
    `test-utils: ${options.datasetsRoot} is absent and PROTEUS_REQUIRE_DATASETS=1 forbids skipping ` +
      `${options.suites.length} test files. Provide the datasets, or unset PROTEUS_REQUIRE_DATASETS to let them skip.`,
    { details: { suites: options.suites } },
  );
  return { line, error };
}

/** Vitest global setup (see vitest.config.ts): runs once per test run, before any suite. */
export default function setup(): void {
  const present = existsSync(datasetsRoot);
  const verdict = judgeSharedDatasets({
    present,
    required: process.env.PROTEUS_REQUIRE_DATASETS === '1',
    suites: present ? [] : findSharedDatasetSuites(),
    datasetsRoot,
  });
  if (verdict.line) process.stderr.write(`\n${verdict.line}\n\n`);
  if (verdict.error) throw verdict.error;
}
