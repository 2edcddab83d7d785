import { isProteusError } from '@proteus-wf/core';
import { describe, expect, it } from 'vitest';
import { createLocalRunner } from './local-runner.js';
import { runnerForTarget } from './runner-for-target.js';

describe('createLocalRunner', () => {
  const runner = createLocalRunner();

  it('runs a program with an argument array and no shell', async () => {
    const result = await runner.run('printf', ['%s|', '$(id)', 'a b'], { input: undefined });
    expect(result).toMatchObject({ exitCode: 0, stdout: '$(id)|a b|' });
    expect(result.durationMs).toBeGreaterThan(0);
    expect((await runner.run('cat', [], { input: 'fed' })).stdout).toBe('fed');
  });

  it('throws PROTEUS_INJECTOR_COMMAND_FAILED on a non-zero exit, unless allowFailure', async () => {
    const error = await runner.run('sh', ['-c', 'exit 4']).catch((e: unknown) => e);
    expect(isProteusError(error, 'PROTEUS_INJECTOR_COMMAND_FAILED')).toBe(true);
    expect((await runner.run('sh', ['-c', 'exit 4'], { allowFailure: true })).exitCode).toBe(4);
  });

  it('throws PROTEUS_INJECTOR_COMMAND_TIMEOUT past the deadline and PROTEUS_INJECTOR_COMMAND_NOT_FOUND for a missing program', async () => {
    const slow = await runner.run('sleep', ['5'], { timeoutMs: 100 }).catch((e: unknown) => e);
    expect(isProteusError(slow, 'PROTEUS_INJECTOR_COMMAND_TIMEOUT')).toBe(true);
    const missing = await runner.run('proteus-no-such-program', []).catch((e: unknown) => e);
    expect(isProteusError(missing, 'PROTEUS_INJECTOR_COMMAND_NOT_FOUND')).toBe(true);
  });

  it('throws PROTEUS_CORE_ABORTED when the signal fires', async () => {
    const controller = new AbortController();
    const pending = runner.run('sleep', ['5'], { signal: controller.signal });
    setTimeout(() => controller.abort(new Error('test')), 50);
    const error = await pending.catch((e: unknown) => e);
    expect(isProteusError(error, 'PROTEUS_CORE_ABORTED')).toBe(true);
  });
});

describe('runnerForTarget', () => {
  it('keeps the target string and runs cgroup targets on this machine', async () => {
    const runner = runnerForTarget('cgroup:proteus/tb/w1');
    expect(runner.target).toBe('cgroup:proteus/tb/w1');
    expect((await runner.run('echo', ['ok'])).stdout.trim()).toBe('ok');
    expect(runnerForTarget('netns:w1').target).toBe('netns:w1');
    expect(runnerForTarget('ssh:cc@h').target).toBe('ssh:cc@h');
  });
});
