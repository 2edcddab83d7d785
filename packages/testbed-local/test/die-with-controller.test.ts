import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recoverLocalTestbeds } from '../src/index.js';
import { isRunning, pidsOfTestbed, readProcessStat } from '../src/internal/proc.js';
import { bundleTestbedLocal } from './bundle.js';
import { writeTestWorkflow, yamlUnavailable } from './helpers.js';

const noYaml = yamlUnavailable();
const hasProc = readProcessStat(process.pid) !== undefined;

/** The owner: a process-group testbed (no root needed) running two endless jobs; prints its id once both run. */
const CHILD = `
const [bundle, workDir, yaml, runDir] = process.argv.slice(1);
const { createLocalTestbed } = await import(bundle);
const testbed = createLocalTestbed({ workers: 2, slotsPerWorker: 1, isolation: 'process-group', workDir });
let told = false;
testbed.runWorkflow(yaml, { runId: 'owner', workDir: runDir, onProgress: (e) => {
  if (told || e.data?.running !== 2) return;
  told = true;
  console.log(JSON.stringify({ testbedId: testbed.testbedId }));
} }).catch((error) => console.error(error));
setInterval(() => {}, 1000);`;

/** A job with a grandchild in its group and one that left the group for a session of its own (setsid). */
const HANG = `import { spawn } from 'node:child_process';
spawn('sleep', ['300'], { stdio: 'ignore' });
spawn('sleep', ['301'], { stdio: 'ignore', detached: true }).unref();
setInterval(() => {}, 1000);\n`;

let dir: string;
let bundle: { path: string; dispose: () => Promise<void> } | undefined;
const children: ChildProcess[] = [];
const testbedIds: string[] = [];

beforeAll(async () => {
  if (noYaml || !hasProc) return;
  dir = await mkdtemp(join(tmpdir(), 'proteus-die-with-owner-'));
  bundle = await bundleTestbedLocal();
});
afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  // A failing run must not leave its endless jobs behind.
  for (const pid of testbedIds.flatMap(pidsOfTestbed)) process.kill(pid, 'SIGKILL');
  await bundle?.dispose();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe.skipIf(noYaml || !hasProc)('jobs die with the testbed process', () => {
  it('leaves no job process alive 2 s after a kill -9 of the owner, even one in another session', async () => {
    const yaml = await writeTestWorkflow(join(dir, 'wf'), 'hang', [
      { id: 'hang_a', script: HANG },
      { id: 'hang_b', script: HANG },
    ]);
    const workDir = join(dir, 'tb');
    const child = spawn(
      process.execPath,
      ['--input-type=module', '-e', CHILD, pathToFileURL(bundle?.path as string).href, workDir, yaml, join(dir, 'run')],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    children.push(child);
    const exited = new Promise((resolve) => child.on('exit', resolve));
    let stderr = '';
    child.stderr?.on('data', (chunk) => (stderr += chunk));
    const { testbedId } = await new Promise<{ testbedId: string }>((resolve, reject) => {
      let stdout = '';
      child.stdout?.on('data', (chunk: Buffer) => {
        stdout += chunk;
        const line = stdout.split('\n').find((l) => l.startsWith('{'));
        if (line) resolve(JSON.parse(line));
      });
      child.on('exit', (code) => reject(new Error(`owner exited ${code}: ${stderr}`)));
    });
    testbedIds.push(testbedId);
    // Per job: the sh wrapper, node and two sleeps.
    let jobPids: number[] = [];
    for (let tries = 0; tries < 400 && jobPids.length < 8; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      jobPids = pidsOfTestbed(testbedId);
    }
    expect(jobPids.length, stderr).toBeGreaterThanOrEqual(8);

    child.kill('SIGKILL');
    await exited;
    const alive = (): number[] => jobPids.filter((pid) => isRunning(readProcessStat(pid)));
    for (let waited = 0; waited < 2000 && alive().length > 0; waited += 50) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(alive()).toEqual([]);
    expect(pidsOfTestbed(testbedId)).toEqual([]);
    // What is left (the state file; cgroups and namespaces when root) is for recovery.
    const recovered = await recoverLocalTestbeds({ workDir });
    expect(recovered.recovered.map((entry) => entry.testbedId)).toContain(testbedId);
  }, 60_000);
});
