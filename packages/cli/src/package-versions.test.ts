import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readPackageVersions } from './package-versions.js';

describe('readPackageVersions', () => {
  it("finds the cli's version and its @proteus-wf dependencies' versions from the workspace", async () => {
    const versions = await readPackageVersions();
    const cli = JSON.parse(await readFile(join(import.meta.dirname, '..', 'package.json'), 'utf8')) as {
      version: string;
    };
    expect(versions.node).toBe(process.version);
    expect(versions['@proteus-wf/cli']).toBe(cli.version);
    expect(Object.keys(versions)).toContain('@proteus-wf/active-learner');
  });

  it('returns only the Node version when no cli package.json is above the file', async () => {
    expect(await readPackageVersions('/proc/self/status')).toEqual({ node: process.version });
  });
});
