import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ErrorScope } from './proteus-error.js';
import { isProteusError } from './proteus-error.js';
import { createResourceTracker } from './resource-tracker.js';

const scope: ErrorScope = { prefix: 'TEST', where: 'core/test' };
let folder = '';
beforeEach(async () => {
  folder = await mkdtemp(join(tmpdir(), 'proteus-tracker-'));
});
afterEach(async () => {
  await rm(folder, { recursive: true, force: true });
});

describe('createResourceTracker', () => {
  it('writes every change to the state file (mode 0600) so that a later process can resume or release', async () => {
    const stateFile = join(folder, 'state.json');
    const tracker = await createResourceTracker({ scope, testbed: 'fabric', name: 'px', stateFile });
    await tracker.add({ kind: 'slice', id: 's-1', name: 'px' });
    await tracker.add({ kind: 'slice', id: 's-1', name: 'px' });
    await tracker.add({ kind: 'node', id: 'n-1', data: { mgmtIp: '10.0.0.1' } });
    await tracker.setDeployment({ testbed: 'fabric', workers: [], resources: [] });
    expect((await stat(stateFile)).mode & 0o777).toBe(0o600);

    const later = await createResourceTracker({ scope, testbed: 'fabric', name: 'px', stateFile });
    expect(later.list('slice')).toEqual([{ kind: 'slice', id: 's-1', name: 'px' }]);
    expect(later.list()).toHaveLength(2);
    expect(later.state.deployment?.testbed).toBe('fabric');
    await later.remove('node', 'n-1');
    await later.remove('slice', 's-1');
    const saved = JSON.parse(await readFile(stateFile, 'utf8'));
    expect(saved).toEqual({ version: 1, testbed: 'fabric', name: 'px', resources: [] });
  });

  it('keeps the state in memory when no file is named', async () => {
    const tracker = await createResourceTracker({ scope, testbed: 'chameleon', name: 'px' });
    await tracker.add({ kind: 'lease', id: 'l-1' });
    expect(tracker.list('lease')).toHaveLength(1);
    expect(tracker.list('server')).toEqual([]);
  });

  it('throws PROTEUS_<prefix>_STATE_MISMATCH for a state of another testbed or name', async () => {
    const stateFile = join(folder, 'state.json');
    await (await createResourceTracker({ scope, testbed: 'fabric', name: 'a', stateFile })).add({ kind: 'x', id: '1' });
    const error = await createResourceTracker({ scope, testbed: 'fabric', name: 'b', stateFile }).catch((e) => e);
    expect(isProteusError(error, 'PROTEUS_TEST_STATE_MISMATCH')).toBe(true);
  });

  it('throws PROTEUS_<prefix>_STATE_INVALID for a file that is not a state', async () => {
    const stateFile = join(folder, 'state.json');
    await writeFile(stateFile, '{"version":2}');
    const error = await createResourceTracker({ scope, testbed: 'fabric', name: 'a', stateFile }).catch((e) => e);
    expect(isProteusError(error, 'PROTEUS_TEST_STATE_INVALID')).toBe(true);
  });
});
