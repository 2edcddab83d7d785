import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { createTempDir } from '@proteus-wf/test-utils';
import { describe, expect, it } from 'vitest';
import { runCli } from '../run-cli.js';

const hasProc = existsSync('/proc/self/stat');

describe.skipIf(!hasProc)('proteus testbed local recover', () => {
  it('tears down a testbed of a dead controller found in <out>/.testbed and prints what it did', async () => {
    const temp = await createTempDir('proteus-cli-local-recover-');
    try {
      const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
      await new Promise((resolve) => child.once('spawn', resolve));
      const stat = readFileSync(`/proc/${child.pid}/stat`, 'utf8');
      const startTicks = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
      child.kill('SIGKILL');
      await new Promise((resolve) => child.once('exit', resolve));
      const workDir = join(temp.path, 'out', '.testbed');
      await mkdir(workDir, { recursive: true });
      const stateFile = join(workDir, 'testbed-crashed1.json');
      await writeFile(
        stateFile,
        JSON.stringify({
          version: 2,
          testbedId: 'crashed1',
          pid: child.pid,
          pidStartTicks: startTicks,
          bootId: readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim(),
          host: hostname(),
          status: 'provisioned',
          cgroups: [],
          network: { bridges: [], links: [], namespaces: [] },
        }),
      );
      const outcome = await runCli(
        ['testbed', 'local', 'recover', '--out', join(temp.path, 'out'), '--no-sweep', '--json'],
        { cwd: temp.path },
      );
      expect(outcome.exitCode, outcome.stderr).toBe(0);
      expect(JSON.parse(outcome.stdout).recovered).toEqual([
        expect.objectContaining({ testbedId: 'crashed1', foundBy: 'state-file', ownerPid: child.pid }),
      ]);
      expect(existsSync(stateFile)).toBe(false);
      const table = await runCli(['testbed', 'local', 'recover', '--work-dir', workDir, '--no-sweep']);
      expect(table.exitCode).toBe(0);
      expect(table.stdout).toMatch(/nothing to recover/);
    } finally {
      await temp.dispose();
    }
  });
});
