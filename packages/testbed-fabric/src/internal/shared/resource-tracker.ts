import { readFile } from 'node:fs/promises';
import { type Deployment, ProteusError, writeFileAtomic } from '@proteus-wf/core';
import type { ErrorScope } from './http.js';

/** One cloud resource that Proteus created and must release. */
export interface TrackedResource {
  kind: string;
  id: string;
  name?: string;
  /** Extra facts needed to release or report it (an address, a site); never a secret. */
  data?: Record<string, string>;
}

/** What a testbed writes to its state file: enough for a later `status` or `release`, and no secret. */
export interface TestbedState {
  version: 1;
  testbed: string;
  name: string;
  resources: TrackedResource[];
  deployment?: Deployment;
}

/**
 * Tracks created resources in memory and, when a state file is named, on disk after every change
 * (atomically, mode 0600), so a crash between "created" and "released" still leaves a record to release from.
 */
export interface ResourceTracker {
  readonly state: TestbedState;
  add(resource: TrackedResource): Promise<void>;
  remove(kind: string, id: string): Promise<void>;
  setDeployment(deployment: Deployment | undefined): Promise<void>;
  list(kind?: string): TrackedResource[];
}

export async function createResourceTracker(
  scope: ErrorScope,
  testbed: string,
  name: string,
  stateFile: string | undefined,
): Promise<ResourceTracker> {
  const state: TestbedState = (stateFile ? await readState(scope, stateFile) : undefined) ?? {
    version: 1,
    testbed,
    name,
    resources: [],
  };
  if (state.testbed !== testbed || state.name !== name) {
    throw new ProteusError(
      `PROTEUS_${scope.prefix}_STATE_MISMATCH`,
      `${scope.where}: state file ${stateFile} belongs to ${state.testbed} "${state.name}", not ${testbed} "${name}". ` +
        'Name another --state file or release that one first.',
      { details: { stateFile, found: { testbed: state.testbed, name: state.name } } },
    );
  }
  const save = async (): Promise<void> => {
    if (stateFile) await writeFileAtomic(stateFile, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  };
  return {
    state,
    async add(resource) {
      if (!state.resources.some((r) => r.kind === resource.kind && r.id === resource.id))
        state.resources.push(resource);
      await save();
    },
    async remove(kind, id) {
      state.resources = state.resources.filter((r) => !(r.kind === kind && r.id === id));
      if (state.resources.length === 0) delete state.deployment;
      await save();
    },
    async setDeployment(deployment) {
      if (deployment === undefined) delete state.deployment;
      else state.deployment = deployment;
      await save();
    },
    list: (kind) => state.resources.filter((r) => kind === undefined || r.kind === kind),
  };
}

async function readState(scope: ErrorScope, stateFile: string): Promise<TestbedState | undefined> {
  let text: string;
  try {
    text = await readFile(stateFile, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const parsed = JSON.parse(text) as TestbedState;
    if (parsed.version !== 1 || !Array.isArray(parsed.resources)) throw new Error('not a version 1 state');
    return parsed;
  } catch (error) {
    throw new ProteusError(
      `PROTEUS_${scope.prefix}_STATE_INVALID`,
      `${scope.where}: state file ${stateFile} is not a Proteus testbed state (${(error as Error).message}). ` +
        'Remove it only after checking the testbed web portal for resources it tracked.',
      { cause: error },
    );
  }
}
