import { join } from 'node:path';
import type { ExperimentRequest } from '@proteus-wf/controller';
import { type LongOperationOptions, ProteusError, type Rng, restoreRng, throwIfAborted } from '@proteus-wf/core';
import type { LabContext } from './internal/lab-context.js';
import { digestOf, firstError, invalidOptions, WHERE } from './internal/lab-errors.js';

/** Runs a lab collected for its own use (test set, calibration): ids, labels and CSVs. */
export interface LiveRunSet {
  /** `<folder>/<run>` (`test-set/1000genome-like-run0001`): unique across the lab's folders. */
  runIds: string[];
  /** Run kinds (`normal`, `cpu_1`, `cpu_1@individuals`, ...). */
  labels: string[];
  csvPaths: string[];
}

/** A collected set with the controller's run ids (the keys of its trace folder). */
export interface CollectedRunSet extends LiveRunSet {
  localIds: string[];
}

/**
 * Runs (or, after a crash, finishes) `runs` runs whose kinds cycle through seeded shuffles of every kind the lab
 * offers, in the test-set or calibration folder. The draw depends only on `rng`'s state, so it is resume-safe.
 * @throws ProteusError PROTEUS_LAB_INVALID_OPTIONS for fewer than 2 runs, PROTEUS_LAB_COLLECT_FAILED when fewer than 2
 *   runs, or only normal ones, succeed
 */
export async function collectRunSet(
  lab: LabContext,
  folder: 'test' | 'calibration',
  rng: Rng,
  runs: number,
  options: LongOperationOptions = {},
): Promise<CollectedRunSet> {
  lab.assertLive();
  const name = folder === 'test' ? 'test-set' : 'calibration';
  if (!Number.isInteger(runs) || runs < 2) {
    throw invalidOptions([`the ${name} needs at least 2 runs (one normal, one anomalous); got ${String(runs)}`]);
  }
  throwIfAborted(options.signal, `${WHERE}/${name}`);
  const kinds = drawKinds(restoreRng(rng.save()), lab.kinds, runs);
  const requests: ExperimentRequest[] = kinds.map((kind) => lab.requestOf(kind, 1));
  const result = await lab.runBatch(folder, `${name}-${runs}r-s${lab.seed}-${digestOf(requests)}`, requests, options);
  const done = result.runs.flatMap((run, index) =>
    run.status === 'done' ? [{ run, kind: kinds[index] as string }] : [],
  );
  if (done.length < 2 || done.every(({ run }) => run.anomaly === 'normal')) {
    throw new ProteusError(
      'PROTEUS_LAB_COLLECT_FAILED',
      `${WHERE}/${name}: ${result.failed} of ${result.runs.length} runs failed (${firstError(result)}); see ${join(lab.folders[folder], 'experiments.log.jsonl')}`,
      { details: result.runs },
    );
  }
  return {
    runIds: done.map(({ run }) => `${name}/${run.id}`),
    localIds: done.map(({ run }) => run.id),
    labels: done.map(({ kind }) => kind),
    csvPaths: done.map(({ run }) => run.csv as string),
  };
}

/** `runs` kinds: consecutive seeded shuffles of all kinds, so every kind appears once before any appears twice. */
function drawKinds(rng: Rng, kinds: readonly string[], runs: number): string[] {
  const drawn: string[] = [];
  while (drawn.length < runs) drawn.push(...rng.fork().shuffle([...kinds]));
  return drawn.slice(0, runs);
}
