import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseReport, runJobProcess } from './job-process.js';

let dir: { path: string };
beforeAll(async () => {
  dir = { path: await mkdtemp(join(tmpdir(), 'proteus-job-process-')) };
});
afterAll(() => rm(dir.path, { recursive: true, force: true }));

const spec = (name: string, file: string, args: string[], extra: { timeoutMs?: number } = {}) => ({
  file,
  args,
  cwd: dir.path,
  env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
  cgroupProcs: [],
  stdoutPath: join(dir.path, `${name}.out`),
  stderrPath: join(dir.path, `${name}.err`),
  ...extra,
});

describe('runJobProcess', () => {
  it('reports zero I/O for a command that does none (the wrapper subtracts its own reading)', async () => {
    // `true` as the command word is the shell builtin: no process, no I/O at all.
    const result = await runJobProcess(spec('true', 'true', []));
    expect(result.exitCode).toBe(0);
    expect(result.io).toMatchObject({ rchar: 0, wchar: 0, syscr: 0, syscw: 0 });
  });

  it('counts the bytes a job writes and reads, and its CPU time', async () => {
    // Fixed work; the job reports its own CPU time, which the wrapper's measure must cover (it adds startup).
    const code = `const fs=require('fs');fs.writeFileSync('blob',Buffer.alloc(3e6,1));fs.readFileSync('blob');let s=0;for(let i=0;i<2e8;i++)s+=i;const u=process.cpuUsage();console.log((u.user+u.system)/1e6);`;
    const result = await runJobProcess(spec('io', process.execPath, ['-e', code]));
    expect(result.exitCode).toBe(0);
    expect(result.io.wchar).toBeGreaterThanOrEqual(3e6);
    expect(result.io.rchar).toBeGreaterThanOrEqual(3e6);
    const selfReported = Number(await readFile(join(dir.path, 'io.out'), 'utf8'));
    expect(selfReported).toBeGreaterThan(0.05);
    // `times` has 10 ms resolution.
    expect(result.userSeconds + result.systemSeconds).toBeGreaterThanOrEqual(selfReported - 0.02);
  });

  it('passes the exit status through and keeps stdout in its file', async () => {
    const result = await runJobProcess(spec('exit', '/bin/sh', ['-c', 'echo hello; exit 7']));
    expect(result.exitCode).toBe(7);
    expect(await readFile(join(dir.path, 'exit.out'), 'utf8')).toBe('hello\n');
  });

  it('kills the whole process group on timeout, grandchildren included', async () => {
    const result = await runJobProcess(
      spec('slow', '/bin/sh', ['-c', 'sleep 30 & echo $! > grandchild.pid; wait'], { timeoutMs: 300 }),
    );
    expect(result.timedOut).toBe(true);
    expect(result.exitCode).not.toBe(0);
    const grandchild = Number(await readFile(join(dir.path, 'grandchild.pid'), 'utf8'));
    // Gone, or a zombie waiting for init to reap it: either way it no longer runs. The kill is sent; a loaded host
    // may take a moment to deliver it, so wait for the state (the test timeout bounds the wait) instead of a fixed time.
    const stateOf = () =>
      readFile(`/proc/${grandchild}/stat`, 'utf8').then(
        (text) => text.slice(text.lastIndexOf(')') + 2, text.lastIndexOf(')') + 3),
        () => 'gone',
      );
    let state = await stateOf();
    while (state === 'S' || state === 'R' || state === 'D') {
      await new Promise((resolve) => setTimeout(resolve, 50));
      state = await stateOf();
    }
    expect(['gone', 'Z', 'X']).toContain(state);
  });

  it('reports a program that cannot start as a failure, not a hang', async () => {
    const result = await runJobProcess(spec('missing', join(dir.path, 'no-such-program'), []));
    expect(result.exitCode).toBe(127);
  });
});

describe('parseReport', () => {
  it('reads the children line of `times` and the exit status', () => {
    const report = parseReport(
      'before rchar: 10;wchar: 0;syscr: 1;syscw: 0;read_bytes: 0;write_bytes: 0;\nafter rchar: 2000;wchar: 50;syscr: 100;syscw: 3;read_bytes: 0;write_bytes: 4096;\n0m0.010000s 0m0.000000s\n1m2.500000s 0m0.250000s\nexit 3\n',
    );
    expect(report.exitCode).toBe(3);
    expect(report.userSeconds).toBeCloseTo(62.5);
    expect(report.systemSeconds).toBeCloseTo(0.25);
    expect(report.io.wchar).toBe(50);
    expect(report.io.writeBytes).toBe(4096);
  });
});
