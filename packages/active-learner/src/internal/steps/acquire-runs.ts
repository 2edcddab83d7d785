/* The acquire step: run the requested experiments, check that no held-out run comes back, label them into the set. */
import { join } from 'node:path';
import { ProteusError } from '@proteus-wf/core';
import type { ExperimentBackend, LabelledRuns } from '../../experiment-backend.js';
import { type ExperimentRequestFile, writeExperimentRequests } from '../../experiment-requests.js';
import { appendRuns, type LabelledSet } from '../labelled-set.js';

const WHERE = 'active-learner/runActiveLearning';

/** Throws PROTEUS_AL_TEST_LEAK when a held-out run is among `ids`. */
export function assertTrainable(
  ids: readonly string[],
  where: string,
  heldOut: ReadonlySet<string>,
  backend: ExperimentBackend,
): void {
  for (const id of ids) {
    if (heldOut.has(id) || backend.isHeldOut?.(id)) {
      throw new ProteusError(
        'PROTEUS_AL_TEST_LEAK',
        `${WHERE}: held-out test run ${id} reached the ${where}; test runs must never be trained on`,
      );
    }
  }
}

/** Runs iteration `k`'s requests (writing the request file when `requestsDir` is set); returns the new runs' indices. */
export async function acquireRuns(
  k: number,
  file: ExperimentRequestFile,
  backend: ExperimentBackend,
  set: LabelledSet,
  context: { heldOut: ReadonlySet<string>; requestsDir?: string; signal?: AbortSignal },
): Promise<{ runs: LabelledRuns; fresh: number[] }> {
  if (context.requestsDir)
    await writeExperimentRequests(file, join(context.requestsDir, `iter-${String(k).padStart(4, '0')}.json`));
  const runs = await backend.runExperiments(file, context.signal ? { signal: context.signal } : {});
  assertTrainable(runs.runIds, 'training data', context.heldOut, backend);
  const fresh = appendRuns(set, runs, backend.nodes, backend.features);
  assertTrainable(set.runIds, 'replay memory', context.heldOut, backend);
  return { runs, fresh };
}
