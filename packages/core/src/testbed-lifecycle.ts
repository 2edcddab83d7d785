import { type ErrorScope, ProteusError, scopedCode } from './proteus-error.js';
import type { Redactor } from './redactor.js';
import { createResourceTracker, type ResourceTracker } from './resource-tracker.js';
import type { Deployment } from './testbed.js';

/** Options of {@link createTestbedLifecycle}. */
export interface TestbedLifecycleOptions {
  /** Whose codes it throws: `PROTEUS_<prefix>_NOT_PROVISIONED` and the tracker's `STATE_*` codes. */
  scope: ErrorScope;
  /** The testbed kind (`fabric`, `chameleon`) that owns the state. */
  testbed: string;
  /** The slice, lease or topology name the state belongs to. */
  name: string;
  /** Where the tracked resources live between processes; in memory only when absent. */
  stateFile?: string | undefined;
  /** Masks the testbed's secrets in every error that leaves `provision`, `release` and `guard`. */
  redactor: Redactor;
  /** Deletes everything the tracker holds and forgets it; throws (and keeps what is left tracked) when it cannot. */
  releaseAll: (tracker: ResourceTracker) => Promise<void>;
}

/** A {@link Deployment} that names its submit node, as `requireDeployment` returns it. */
export type SubmitDeployment = Deployment & { submitNode: NonNullable<Deployment['submitNode']> };

/** The mechanics every cloud testbed wraps around its own provisioning: state, single flight, cleanup, redaction. */
export interface TestbedLifecycle {
  /** The resource tracker, opened (and its state file read) on first use. */
  tracker(): Promise<ResourceTracker>;
  /** The tracker when it is already open, for synchronous callers such as `runnerFor`; otherwise `undefined`. */
  openTracker(): ResourceTracker | undefined;
  /**
   * Runs `work` once at a time (a second call while it runs gets the same promise). When it fails or is aborted,
   * everything tracked is released (a release failure is dropped: the resources stay in the state file for a later
   * `release`) and the error is thrown with every secret masked.
   */
  provision(work: () => Promise<Deployment>): Promise<Deployment>;
  /** `releaseAll` on the tracker, with secrets masked in its error. */
  release(): Promise<void>;
  /** Runs `work` and rethrows its error with every secret masked (a ProteusError keeps its code). */
  guard<T>(work: () => Promise<T>): Promise<T>;
  /** The tracked deployment with a submit node; `where` names the calling method in the error. */
  requireDeployment(where: string): Promise<SubmitDeployment>;
}

/**
 * Creates the lifecycle a cloud testbed delegates to: it owns the resource tracker and guarantees that a failed or
 * aborted `provision` leaves nothing behind and that no error carries a secret. The testbed keeps what is its own:
 * creating resources, the release order and the runners.
 * @example
 * const lifecycle = createTestbedLifecycle({ scope, testbed: 'fabric', name: 'px', stateFile, redactor, releaseAll });
 * const testbed = { provision: (run = {}) => lifecycle.provision(() => provisionOnce(run)), release: lifecycle.release };
 * @throws ProteusError from `requireDeployment`: PROTEUS_<prefix>_NOT_PROVISIONED when nothing is deployed; from
 *   `tracker`: PROTEUS_<prefix>_STATE_INVALID, PROTEUS_<prefix>_STATE_MISMATCH
 */
export function createTestbedLifecycle(options: TestbedLifecycleOptions): TestbedLifecycle {
  const { scope, redactor, releaseAll } = options;
  let opened: ResourceTracker | undefined;
  let provisioning: Promise<Deployment> | undefined;

  const tracker = async (): Promise<ResourceTracker> => {
    opened ??= await createResourceTracker({
      scope,
      testbed: options.testbed,
      name: options.name,
      stateFile: options.stateFile,
    });
    return opened;
  };
  const guard = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      throw redactor.sanitize(error);
    }
  };

  return {
    tracker,
    openTracker: () => opened,
    provision(work) {
      provisioning ??= (async () => {
        try {
          return await work();
        } catch (error) {
          // Leave nothing behind: cloud resources are scarce and billed whether or not the run goes on.
          await tracker()
            .then(releaseAll)
            .catch(() => undefined);
          throw redactor.sanitize(error);
        } finally {
          provisioning = undefined;
        }
      })();
      return provisioning;
    },
    release: () => guard(async () => releaseAll(await tracker())),
    guard,
    async requireDeployment(where) {
      const deployment = (await tracker()).state.deployment;
      if (!deployment?.submitNode) {
        throw new ProteusError(
          scopedCode(scope, 'NOT_PROVISIONED'),
          `${scope.where}/${where}: call provision() first.`,
        );
      }
      return deployment as SubmitDeployment;
    },
  };
}
