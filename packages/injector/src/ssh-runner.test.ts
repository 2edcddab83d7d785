import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isProteusError } from '@proteus-wf/core';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTempDir } from '../test/helpers.js';
import { buildSshArgs, createSshRunner, quoteShellArgument } from './ssh-runner.js';

const ADVERSARIAL = [
  '',
  ' ',
  "it's",
  "'",
  "''",
  '"; rm -rf / #',
  '$(id -u)',
  '`id`',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal shell expansion under test
  '$HOME ${PATH}',
  'a\\b\\\\c',
  'line1\nline2',
  '\t tab',
  '*',
  '~',
  '!event',
  '--option=value',
  '; & | < > ( ) { }',
  'ünïcødé ✓',
];

describe('quoteShellArgument', () => {
  it('round-trips adversarial strings through a POSIX shell unchanged (sh -c equivalence)', async () => {
    const script = `printf '%s\\0' ${ADVERSARIAL.map(quoteShellArgument).join(' ')}`;
    const { stdout } = await execa('sh', ['-c', script], { stripFinalNewline: false });
    expect(stdout.split('\0').slice(0, -1)).toEqual(ADVERSARIAL);
  });
});

describe('buildSshArgs', () => {
  it('passes options as separate words, the destination after --, and one quoted remote command', () => {
    const args = buildSshArgs(
      {
        host: '10.0.0.5',
        user: 'cc',
        port: 2222,
        proxyJump: 'cc@bastion.example.org',
        identityFile: '/keys/id',
        knownHostsFile: '/keys/known',
      },
      'tc',
      ['qdisc', 'show'],
    );
    expect(args.slice(-3)).toEqual(['--', 'cc@10.0.0.5', "'tc' 'qdisc' 'show'"]);
    expect(args).toContain('BatchMode=yes');
    expect(args).toContain('StrictHostKeyChecking=yes');
    expect(args.join(' ')).toContain('-J cc@bastion.example.org');
    expect(args.join(' ')).toContain('-p 2222');
  });

  it('throws PROTEUS_INJECTOR_TARGET_INVALID for hosts, jumps and paths that could become ssh options', () => {
    for (const options of [
      { host: '-oProxyCommand=touch /tmp/x' },
      { host: 'h', proxyJump: '-oProxyCommand=x' },
      { host: 'h', identityFile: '/a b' },
      { host: 'h', user: 'a;b' },
      { host: 'h', port: 70000 },
    ]) {
      let code: string | undefined;
      try {
        buildSshArgs(options, 'true', []);
      } catch (error) {
        code = isProteusError(error) ? error.code : undefined;
      }
      expect(code, JSON.stringify(options)).toBe('PROTEUS_INJECTOR_TARGET_INVALID');
    }
  });
});

describe('createSshRunner', () => {
  let dir: Awaited<ReturnType<typeof createTempDir>>;
  let fakeSsh: string;
  beforeAll(async () => {
    dir = await createTempDir();
    // Follows ssh's contract: options, `--`, destination, then the command words joined by spaces for the remote
    // login shell (`sh -c`). No sshd is reachable in tests; this is the process edge.
    fakeSsh = join(dir.path, 'ssh');
    await writeFile(fakeSsh, '#!/bin/sh\nwhile [ "$1" != "--" ]; do shift; done\nshift 2\nexec sh -c "$*"\n');
    await chmod(fakeSsh, 0o755);
  });
  afterAll(async () => dir.dispose());

  it('delivers every argument unchanged through the remote shell', async () => {
    const runner = createSshRunner({ host: 'node1', user: 'cc', sshPath: fakeSsh });
    expect(runner.target).toBe('ssh:cc@node1');
    const { stdout } = await runner.run('printf', ['%s\\0', ...ADVERSARIAL]);
    expect(stdout.split('\0').slice(0, -1)).toEqual(ADVERSARIAL);
  });

  it('reports a failing remote command as PROTEUS_INJECTOR_COMMAND_FAILED with its exit code', async () => {
    const runner = createSshRunner({ host: 'node1', sshPath: fakeSsh });
    const error = await runner.run('sh', ['-c', 'echo nope >&2; exit 3']).catch((e: unknown) => e);
    expect(isProteusError(error, 'PROTEUS_INJECTOR_COMMAND_FAILED')).toBe(true);
    expect((error as { details: { exitCode: number } }).details.exitCode).toBe(3);
  });
});
