import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { datasetsRoot } from './paths.js';

export { datasetsRoot, repoRoot } from './paths.js';

/** Absolute path of a file under `../shared/datasets`, e.g. `sharedDataset('flowbench/1000genome.zip')`. */
export function sharedDataset(relativePath: string): string {
  return join(datasetsRoot, relativePath);
}

/** True when the shared datasets are present (they are in CI and on developer machines). */
export const hasSharedDatasets = existsSync(datasetsRoot);

/** A fresh temporary folder, removed by the returned `dispose`. */
export async function createTempDir(prefix = 'proteus-test-'): Promise<{ path: string; dispose: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return { path, dispose: () => rm(path, { recursive: true, force: true }) };
}
export type { BundleForChildProcessOptions } from './bundle-for-child-process.js';
export { bundleForChildProcess } from './bundle-for-child-process.js';
export { shapeDifferences } from './expect-same-shape.js';
export type {
  FakeChameleon,
  FakeChameleonOptions,
  FakeFloatingIp,
  FakeLease,
  FakeNetwork,
  FakePort,
  FakeRouter,
  FakeServer,
  FakeSubnet,
} from './fake-chameleon.js';
export { startFakeChameleon } from './fake-chameleon.js';
export type {
  FakeFabric,
  FakeFabricOptions,
  FakeFabricSlice,
  FakeFabricSliver,
  FakeFault,
  FakeHttpServer,
  FakeReply,
  FakeRequest,
} from './fake-fabric.js';
export { parseVms, startFakeFabric, startFakeHttpServer } from './fake-fabric.js';
export type { RaceRound, RaceSummary } from './race-fabric-status.js';
export { raceFabricStatus } from './race-fabric-status.js';
export type { PublishedDeclarationsCheck, PublishedDeclarationsResult } from './typecheck-published-declarations.js';
export { typecheckPublishedDeclarations } from './typecheck-published-declarations.js';
