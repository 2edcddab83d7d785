import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import yargs from 'yargs';
import type { CliIo } from './cli-io.js';
import { TOPICS } from './main.js';
import { runCli } from './run-cli.js';

const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

describe('runCli', () => {
  it('prints help and exits 0', async () => {
    const outcome = await runCli(['--help']);
    expect(outcome.exitCode).toBe(0);
    expect(outcome.stdout).toContain('proteus <command>');
    for (const topic of TOPICS) expect(outcome.stdout).toContain(`proteus ${topic.command}`);
  });

  it.each([['--version'], ['-v']])('prints the package version for %s', async (flag) => {
    const outcome = await runCli([flag]);
    expect(outcome.exitCode).toBe(0);
    expect(outcome.stdout).toBe(`${manifest.version}\n`);
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

  it('says once, for a bare `proteus`, to run `proteus --help`', async () => {
    const outcome = await runCli([]);
    expect(outcome.exitCode).toBe(1);
    expect(outcome.stderr.match(/--help/g)).toHaveLength(1);
    expect(outcome.stderr.trim().split('\n')).toHaveLength(2);
  });

  it.each([
    [['dataset', 'inspect'], 'proteus dataset inspect --help', '<path>'],
    [['train', '--dataset', 'x.zip'], 'proteus train --help', '--model'],
    [['experiment', 'run', '--config', 'c.json'], 'proteus experiment run --help', '--out'],
    [['dataset'], 'proteus dataset --help', 'inspect'],
  ])('points a missing argument of %j at `%s`', async (argv, help, missing) => {
    const outcome = await runCli(argv);
    expect(outcome.exitCode).toBe(1);
    expect(outcome.stderr).toContain(`\`${help}\``);
    expect(outcome.stderr.split('\n')[0]).toContain(missing);
  });

  it('echoes an unknown flag once, as typed', async () => {
    const outcome = await runCli(['version', '--typo-flag', '-q']);
    expect(outcome.exitCode).toBe(1);
    const [message] = outcome.stderr.split('\n');
    expect(message).toBe('proteus: unknown options --typo-flag, -q.');
    expect(outcome.stderr).not.toContain('typoFlag');
  });
});

describe('TOPICS', () => {
  const io: CliIo = {
    stdout: () => {},
    stderr: () => {},
    isTTY: false,
    cwd: process.cwd(),
    env: {},
    signal: new AbortController().signal,
  };
  const commandsOf = async (cli: ReturnType<typeof yargs>) =>
    (await cli.getHelp())
      .split('\n')
      .filter((line) => line.startsWith('  proteus '))
      .map((line) => line.trim().replace(/\s+/g, ' '));

  it.each(TOPICS.map((topic) => [topic.command, topic]))(
    'lists %s in --help as its module registers it',
    async (_name, topic) => {
      const stub = yargs([]).scriptName('proteus').wrap(null).command(topic.command, topic.describe);
      const full = (await topic.load())(yargs([]).scriptName('proteus').wrap(null), io);
      expect(await commandsOf(full)).toContain((await commandsOf(stub))[0]);
    },
  );
});
