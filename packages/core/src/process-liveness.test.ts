import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { currentProcessIdentity, isProcessIdentityAlive } from './process-liveness.js';

const hasProc = currentProcessIdentity().startTime !== '';

describe.skipIf(!hasProc)('isProcessIdentityAlive', () => {
  it('is true for this process and false for a reused pid (other start time) or another boot', () => {
    const me = currentProcessIdentity();
    expect(isProcessIdentityAlive(me)).toBe(true);
    expect(isProcessIdentityAlive({ ...me, startTime: String(Number(me.startTime) + 1) })).toBe(false);
    expect(isProcessIdentityAlive({ ...me, bootId: 'another-boot' })).toBe(false);
  });

  it('is false once a process has exited, true for a process of another host', async () => {
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
    await new Promise((resolve) => child.once('spawn', resolve));
    const identity = { ...currentProcessIdentity(), pid: child.pid as number };
    const { readFileSync } = await import('node:fs');
    const stat = readFileSync(`/proc/${child.pid}/stat`, 'utf8');
    identity.startTime = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] as string;
    expect(isProcessIdentityAlive(identity)).toBe(true);
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    expect(isProcessIdentityAlive(identity)).toBe(false);
    expect(isProcessIdentityAlive({ ...identity, hostname: 'elsewhere.example' })).toBe(true);
  });
});
