import { readFile } from 'node:fs/promises';
import { type ErrorScope, ProteusError, scopedCode } from './proteus-error.js';
import type { Deployment } from './testbed.js';
import { writeFileAtomic } from './write-file-atomic.js';

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
  /** Records a resource (once per kind and id) and saves the state file before resolving. */
  add(resource: TrackedResource): Promise<void>;
  /** Forgets a released resource; the deployment is forgotten with the last one. */
  remove(kind: string, id: string): Promise<void>;
  setDeployment(deployment: Deployment | undefined): Promise<void>;
  /** The tracked resources, of one kind or all, in the order they were added. */
  list(kind?: string): TrackedResource[];
}

/** Options of {@link createResourceTracker}. */
export interface ResourceTrackerOptions {
  /** Whose codes it throws: `PROTEUS_<prefix>_STATE_INVALID`, `PROTEUS_<prefix>_STATE_MISMATCH`. */
  scope: ErrorScope;
  /** The testbed kind (`fabric`, `chameleon`) that owns the state. */
  testbed: string;
  /** The slice, lease or topology name the state belongs to. */
  name: string;
  /** Where the state lives between processes; in memory only when absent. */
  stateFile?: string | undefined;
}

/**
 * Opens (or starts) the record of what a testbed created. A resource is added as soon as its id is known, before it
 * is waited on, so `release` from a later process, an abort or a crash mid-wait can still find it.
 * @example
 * const tracker = await createResourceTracker({ scope, testbed: 'fabric', name: 'px', stateFile: '.proteus/fabric.json' });
 * await tracker.add({ kind: 'slice', id: sliceId, name: 'px' });
 * @throws ProteusError PROTEUS_<prefix>_STATE_INVALID when the file is not a state, PROTEUS_<prefix>_STATE_MISMATCH
 *   when it belongs to another testbed or name
 */
export async function createResourceTracker(options: ResourceTrackerOptions): Promise<ResourceTracker> {
  const { scope, testbed, name, stateFile } = options;
  const state: TestbedState = (stateFile ? await readState(scope, stateFile) : undefined) ?? {
    version: 1,
    testbed,
    name,
    resources: [],
  };
  if (state.testbed !== testbed || state.name !== name) {
    throw new ProteusError(
      scopedCode(scope, 'STATE_MISMATCH'),
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
      scopedCode(scope, 'STATE_INVALID'),
      `${scope.where}: state file ${stateFile} is not a Proteus testbed state (${(error as Error).message}). ` +
        'Remove it only after checking the testbed web portal for resources it tracked.',
      { cause: error },
    );
  }
}
