import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createTempDir, repoRoot } from '@proteus-wf/test-utils';
import { describe, expect, it } from 'vitest';

const register = join(repoRoot, 'examples', '01-live-loop', 'scripts', 'register.mjs');
const recorder = join(repoRoot, 'packages', 'cli', 'test', 'fixtures', 'record-imports.mjs');
const bin = join(repoRoot, 'packages', 'cli', 'src', 'bin.ts');
const HEAVY = ['/onnxruntime-node/', '/onnxruntime-common/', '/apache-arrow/', '/vega', '/d3-'];

/** Runs the `proteus` sources as a child process and returns its stdout and every module URL it imported. */
async function importsOf(args: string[]): Promise<{ stdout: string; modules: string[] }> {
  const temp = await createTempDir('proteus-imports-');
  try {
    const log = join(temp.path, 'imports.log');
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', register, '--import', recorder, bin, ...args],
      {
        cwd: repoRoot,
        env: { ...process.env, PROTEUS_IMPORT_LOG: log },
      },
    );
    return { stdout, modules: (await readFile(log, 'utf8')).split('\n').filter(Boolean) };
  } finally {
    await temp.dispose();
  }
}

describe('proteus startup', () => {
  it.each([['--help'], ['--version'], ['-v']])('%s loads no command module and no heavy dependency', async (flag) => {
    const { stdout, modules } = await importsOf([flag]);
    expect(stdout).not.toBe('');
    expect(modules.some((url) => url.includes('/yargs/'))).toBe(true);
    expect(modules.filter((url) => url.includes('/src/commands/'))).toEqual([]);
    expect(modules.filter((url) => HEAVY.some((heavy) => url.includes(heavy)))).toEqual([]);
  });

  it('a command loads its own module only', async () => {
    const { modules } = await importsOf(['experiment', '--help']);
    const commands = modules.filter((url) => url.includes('/src/commands/')).map((url) => url.replace(/^.*\//, ''));
    expect([...new Set(commands)]).toEqual(['experiment.ts']);
  });
});
