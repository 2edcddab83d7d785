import { describe, expect, it } from 'vitest';
import { runCli } from './run-cli.js';

describe('runCli', () => {
  it('prints help and exits 0', async () => {
    const outcome = await runCli(['--help']);
    expect(outcome.exitCode).toBe(0);
    expect(outcome.stdout).toContain('proteus <command>');
  });

  it('exits 1 with a one-line message and no stack trace for an unknown command', async () => {
    const outcome = await runCli(['no-such-command']);
    expect(outcome.exitCode).toBe(1);
    expect(outcome.stderr).toMatch(/^proteus: /);
    expect(outcome.stderr).not.toMatch(/\n\s+at /);
  });

  it('reports usage errors as JSON with --json', async () => {
    const outcome = await runCli(['no-such-command', '--json']);
    expect(outcome.exitCode).toBe(1);
    expect(JSON.parse(outcome.stdout)).toMatchObject({ error: { code: 'PROTEUS_CLI_USAGE' } });
  });
});
