import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type ErrorScope, isProteusError, ProteusError } from './proteus-error.js';
import { createRedactor } from './redactor.js';
import type { ResourceTracker } from './resource-tracker.js';
import type { Deployment } from './testbed.js';
import { createTestbedLifecycle, type TestbedLifecycleOptions } from './testbed-lifecycle.js';

const scope: ErrorScope = { prefix: 'TEST', where: 'testbed-test' };
const SECRET = 'pool-s3cr3t';
const deployment: Deployment = {
  testbed: 'test',
  workers: [],
  submitNode: { name: 'submit', target: 'ssh:cc@10.0.0.1' },
  resources: [{ kind: 'lease', id: 'l1' }],
};

function setup(overrides: Partial<TestbedLifecycleOptions> = {}) {
  const redactor = createRedactor();
  redactor.add(SECRET);
  const released: string[][] = [];
  const releaseAll = async (tracker: ResourceTracker): Promise<void> => {
    released.push(tracker.list().map((r) => r.id));
    for (const r of tracker.list()) await tracker.remove(r.kind, r.id);
    await tracker.setDeployment(undefined);
  };
  const lifecycle = createTestbedLifecycle({ scope, testbed: 'test', name: 'px', redactor, releaseAll, ...overrides });
  return { lifecycle, released };
}

async function failureOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (error: unknown) => error,
  );
}

describe('createTestbedLifecycle', () => {
  it('opens the tracker once, on first use, and shows it to synchronous callers only then', async () => {
    const { lifecycle } = setup();
    expect(lifecycle.openTracker()).toBeUndefined();
    const tracker = await lifecycle.tracker();
    expect(await lifecycle.tracker()).toBe(tracker);
    expect(lifecycle.openTracker()).toBe(tracker);
  });

  it('runs one provision at a time and returns its deployment to concurrent callers', async () => {
    const { lifecycle, released } = setup();
    let calls = 0;
    const work = async (): Promise<Deployment> => {
      calls++;
      await (await lifecycle.tracker()).setDeployment(deployment);
      return deployment;
    };
    const [a, b] = await Promise.all([lifecycle.provision(work), lifecycle.provision(work)]);
    expect(calls).toBe(1);
    expect(a).toBe(b);
    await lifecycle.provision(work);
    expect(calls).toBe(2);
    expect(released).toEqual([]);
  });

  it('releases what a failed provision tracked and throws its error with the secret masked and the code kept', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'proteus-lifecycle-'));
    try {
      const stateFile = join(folder, 'state.json');
      const { lifecycle, released } = setup({ stateFile });
      const error = await failureOf(
        lifecycle.provision(async () => {
          await (await lifecycle.tracker()).add({ kind: 'lease', id: 'l1', name: 'px' });
          throw new ProteusError('PROTEUS_TEST_LEASE_FAILED', `lease failed with ${SECRET}`);
        }),
      );
      expect(isProteusError(error, 'PROTEUS_TEST_LEASE_FAILED')).toBe(true);
      expect((error as Error).message).not.toContain(SECRET);
      expect(released).toEqual([['l1']]);
      expect(JSON.parse(await readFile(stateFile, 'utf8')).resources).toEqual([]);
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });

  it('throws the provision error, not the release error, when the cleanup fails too', async () => {
    const { lifecycle } = setup({
      releaseAll: async () => {
        throw new ProteusError('PROTEUS_TEST_RELEASE_FAILED', 'could not release');
      },
    });
    const error = await failureOf(
      lifecycle.provision(async () => {
        throw new ProteusError('PROTEUS_TEST_ABORTED', 'aborted');
      }),
    );
    expect(isProteusError(error, 'PROTEUS_TEST_ABORTED')).toBe(true);
    // The release error itself reaches the caller of release, masked.
    const releaseError = await failureOf(lifecycle.release());
    expect(isProteusError(releaseError, 'PROTEUS_TEST_RELEASE_FAILED')).toBe(true);
  });

  it('guard masks secrets in plain errors as well', async () => {
    const { lifecycle } = setup();
    const error = await failureOf(
      lifecycle.guard(async () => {
        throw new Error(`HTTP 401 for token ${SECRET}`);
      }),
    );
    expect((error as Error).message).toBe('HTTP 401 for token [REDACTED]');
    expect(await lifecycle.guard(async () => 42)).toBe(42);
  });

  it('throws PROTEUS_<prefix>_NOT_PROVISIONED until a deployment with a submit node is tracked', async () => {
    const { lifecycle } = setup();
    expect(
      isProteusError(await failureOf(lifecycle.requireDeployment('runWorkflow')), 'PROTEUS_TEST_NOT_PROVISIONED'),
    ).toBe(true);
    const tracker = await lifecycle.tracker();
    await tracker.setDeployment({ ...deployment, submitNode: undefined });
    expect(
      isProteusError(await failureOf(lifecycle.requireDeployment('runWorkflow')), 'PROTEUS_TEST_NOT_PROVISIONED'),
    ).toBe(true);
    await tracker.setDeployment(deployment);
    expect((await lifecycle.requireDeployment('runWorkflow')).submitNode.name).toBe('submit');
  });
});
