import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { createLocalTestbed } from './create-local-testbed.js';

const workDir = tmpdir();

describe('createLocalTestbed', () => {
  it('throws PROTEUS_TESTBED_LOCAL_INVALID_OPTIONS listing every bad option', () => {
    try {
      createLocalTestbed({
        workers: [{ name: 'a b', slots: 0 }, { name: 'a b' }],
        retries: -1,
        jobTimeoutMs: 0,
        workDir,
        testbedId: 'x/y',
      });
      expect.unreachable();
    } catch (error) {
      expect(error).toMatchObject({ code: 'PROTEUS_TESTBED_LOCAL_INVALID_OPTIONS' });
      expect((error as { details: { problems: string[] } }).details.problems).toHaveLength(7);
    }
  });

  it('throws PROTEUS_TESTBED_LOCAL_INVALID_OPTIONS for a CPU weight out of (0, 256]', () => {
    for (const cpuWeight of [0, -1, 257, Number.NaN]) {
      expect(() => createLocalTestbed({ workers: 1, workDir, cpuWeight })).toThrow(
        expect.objectContaining({ code: 'PROTEUS_TESTBED_LOCAL_INVALID_OPTIONS' }),
      );
    }
    expect(() => createLocalTestbed({ workers: [{ name: 'w', cpuWeight: 300 }], workDir })).toThrow(
      expect.objectContaining({ code: 'PROTEUS_TESTBED_LOCAL_INVALID_OPTIONS' }),
    );
  });

  it('throws PROTEUS_TESTBED_LOCAL_INVALID_OPTIONS for a testbedId of the reserved generated form tl<pid>x<n>', () => {
    expect(() => createLocalTestbed({ workers: 1, workDir, testbedId: 'tl123x4' })).toThrow(
      expect.objectContaining({ code: 'PROTEUS_TESTBED_LOCAL_INVALID_OPTIONS' }),
    );
    expect(createLocalTestbed({ workers: 1, workDir, testbedId: 'tl123' }).testbedId).toBe('tl123');
  });

  it('throws PROTEUS_TESTBED_LOCAL_INVALID_OPTIONS for a worker count of zero', () => {
    expect(() => createLocalTestbed({ workers: 0, workDir })).toThrow(
      expect.objectContaining({ code: 'PROTEUS_TESTBED_LOCAL_INVALID_OPTIONS' }),
    );
  });

  it('throws PROTEUS_TESTBED_LOCAL_INVALID_OPTIONS for more than 64 workers, as a count or as specs', () => {
    const specs = Array.from({ length: 65 }, (_, i) => ({ name: `w${i}` }));
    for (const workers of [65, specs]) {
      expect(() => createLocalTestbed({ workers, workDir })).toThrow(
        expect.objectContaining({ code: 'PROTEUS_TESTBED_LOCAL_INVALID_OPTIONS' }),
      );
    }
  });

  it('throws PROTEUS_TESTBED_LOCAL_UNKNOWN_WORKER from runnerFor before provision or for an unknown name', async () => {
    await using testbed = createLocalTestbed({ workers: 1, isolation: 'process-group', workDir });
    expect(() => testbed.runnerFor('worker-1')).toThrow(
      expect.objectContaining({ code: 'PROTEUS_TESTBED_LOCAL_UNKNOWN_WORKER' }),
    );
    const deployment = await testbed.provision();
    expect(deployment.workers.map((w) => [w.name, w.target])).toEqual([['worker-1', 'local']]);
    expect(testbed.runnerFor('worker-1').target).toBe('local');
    expect(() => testbed.runnerFor('worker-9')).toThrow(
      expect.objectContaining({ code: 'PROTEUS_TESTBED_LOCAL_UNKNOWN_WORKER' }),
    );
  });

  it('returns the same deployment from a second provision and refuses use after release', async () => {
    const testbed = createLocalTestbed({ workers: 2, isolation: 'process-group', workDir });
    const first = await testbed.provision();
    expect(await testbed.provision()).toBe(first);
    expect(first.isolation).toBe('process-group');
    await testbed.release();
    await testbed.release();
    await expect(testbed.provision()).rejects.toMatchObject({ code: 'PROTEUS_TESTBED_LOCAL_RELEASED' });
  });

  it('throws PROTEUS_TESTBED_LOCAL_INVALID_OPTIONS for a runId that is not a plain name', async () => {
    await using testbed = createLocalTestbed({ workers: 1, isolation: 'process-group', workDir });
    await expect(testbed.runWorkflow('x.yml', { runId: '../up', workDir })).rejects.toMatchObject({
      code: 'PROTEUS_TESTBED_LOCAL_INVALID_OPTIONS',
    });
  });
});
