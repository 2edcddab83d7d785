import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createTempDir } from '@proteus-wf/test-utils';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { forgetHostKeys, listKnownHosts } from './known-hosts.js';

let dir: { path: string; dispose: () => Promise<void> };
beforeEach(async () => {
  dir = await createTempDir('proteus-known-hosts-');
});
afterEach(async () => {
  await dir.dispose();
});

const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOb0Wq2X8kq0g7sY5kq8bJzJ0n0S4q0W5Xo1b2c3d4e5';

describe('forgetHostKeys / listKnownHosts', () => {
  it('drops plain, bracketed and port entries of the given hosts and keeps the others', async () => {
    const file = join(dir.path, 'known_hosts');
    await writeFile(
      file,
      [
        `10.0.0.5 ${KEY}`,
        `[10.0.0.6]:2222 ${KEY}`,
        `10.0.0.7,node7 ${KEY}`,
        `|1|hashed= ${KEY}`,
        '# comment',
        `10.0.0.8 ${KEY}`,
        '',
      ].join('\n'),
    );
    expect(await listKnownHosts(file)).toEqual(['10.0.0.5', '10.0.0.6', '10.0.0.7', 'node7', '10.0.0.8']);
    expect(await forgetHostKeys(file, ['10.0.0.5', '10.0.0.6', 'node7'])).toBe(3);
    expect(await listKnownHosts(file)).toEqual(['10.0.0.8']);
    expect(await readFile(file, 'utf8')).toContain('|1|hashed=');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(await forgetHostKeys(file, ['10.9.9.9'])).toBe(0);
  });

  it('reads a missing file as empty', async () => {
    const file = join(dir.path, 'absent');
    expect(await forgetHostKeys(file, ['10.0.0.5'])).toBe(0);
    expect(await listKnownHosts(file)).toEqual([]);
  });
});
