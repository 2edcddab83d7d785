import { isProteusError } from '@proteus-wf/core';
import { describe, expect, it } from 'vitest';
import { describeAnomaly, parseAnomaly, validateAnomaly } from './anomaly-spec.js';

const MIB = 1024 * 1024;

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return isProteusError(error) ? error.code : 'not a ProteusError';
  }
  return undefined;
}

describe('parseAnomaly', () => {
  it('maps Flow-Bench names as Poseidon-X applied them: cpu_K withholds K cores, hdd_K caps writes at K and reads at 2K MB/s', () => {
    expect(parseAnomaly('cpu_2')).toEqual({ kind: 'cpu', removeCores: 2, label: 'cpu_2' });
    expect(parseAnomaly('hdd_5')).toEqual({ kind: 'disk', writeBps: 5 * MIB, readBps: 10 * MIB, label: 'hdd_5' });
    expect(parseAnomaly('hdd_10')).toMatchObject({ writeBps: 10 * MIB, readBps: 20 * MIB });
  });

  it('maps loss_X to X percent of packets (loss_30 drops 30%)', () => {
    expect(parseAnomaly('loss_30')).toEqual({ kind: 'network', lossPercent: 30, label: 'loss_30' });
    expect(parseAnomaly('loss_0.1')).toMatchObject({ lossPercent: 0.1 });
  });

  it('maps gen-1 names to stress load: cpu_K busy cores, hdd_K a worker continuously writing K MB', () => {
    expect(parseAnomaly('cpu_3', { generation: 1 })).toEqual({ kind: 'stress', cpu: { workers: 3 }, label: 'cpu_3' });
    expect(parseAnomaly('hdd_100', { generation: 1 })).toEqual({
      kind: 'stress',
      disk: { workers: 1, bytes: 100 * MIB },
      label: 'hdd_100',
    });
    expect(parseAnomaly('loss_5', { generation: 1 })).toMatchObject({ kind: 'network', lossPercent: 5 });
  });

  it('reads normal/None as no anomaly and accepts a JSON spec', () => {
    expect(parseAnomaly('normal')).toEqual({ kind: 'none', label: 'normal' });
    expect(parseAnomaly('None')).toEqual({ kind: 'none', label: 'none' });
    expect(parseAnomaly('{"kind":"cpu","quota":0.5}')).toEqual({ kind: 'cpu', quota: 0.5 });
  });

  it('throws PROTEUS_INJECTOR_SPEC_INVALID for unknown names, missing amounts, bad numbers and bad JSON', () => {
    for (const bad of ['mem_2', 'cpu', 'cpu_0', 'cpu_1.5', 'hdd_0', 'loss_101', '{"kind":', 'normal_2']) {
      expect(
        codeOf(() => parseAnomaly(bad)),
        bad,
      ).toBe('PROTEUS_INJECTOR_SPEC_INVALID');
    }
  });
});

describe('validateAnomaly', () => {
  it('collects every problem of a spec and throws once with the list in details', () => {
    try {
      validateAnomaly({ kind: 'network', lossPercent: 120, jitterMs: 5, colour: 'red' });
      expect.unreachable();
    } catch (error) {
      expect(isProteusError(error, 'PROTEUS_INJECTOR_SPEC_INVALID')).toBe(true);
      expect((error as { details: { problems: string[] } }).details.problems).toHaveLength(3);
    }
  });

  it('requires exactly one of removeCores and quota, and a load in a stress spec', () => {
    expect(codeOf(() => validateAnomaly({ kind: 'cpu', removeCores: 1, quota: 1 }))).toBe(
      'PROTEUS_INJECTOR_SPEC_INVALID',
    );
    expect(codeOf(() => validateAnomaly({ kind: 'stress' }))).toBe('PROTEUS_INJECTOR_SPEC_INVALID');
    expect(codeOf(() => validateAnomaly({ kind: 'stress', cpu: { workers: 0 } }))).toBe(
      'PROTEUS_INJECTOR_SPEC_INVALID',
    );
    expect(codeOf(() => validateAnomaly({ kind: 'disk' }))).toBe('PROTEUS_INJECTOR_SPEC_INVALID');
    expect(codeOf(() => validateAnomaly({ kind: 'network', interface: 'eth0; rm -rf /', lossPercent: 1 }))).toBe(
      'PROTEUS_INJECTOR_SPEC_INVALID',
    );
    expect(validateAnomaly({ kind: 'stress', memory: { workers: 1, bytes: 1 << 20 } })).toMatchObject({
      kind: 'stress',
    });
  });
});

describe('describeAnomaly', () => {
  it('throws PROTEUS_INJECTOR_SPEC_INVALID for numbers past their bounds and interface names starting with -', () => {
    for (const bad of [
      { kind: 'disk', writeBps: 2 ** 40 + 1 },
      { kind: 'disk', readBps: Number.MAX_SAFE_INTEGER },
      { kind: 'stress', disk: { workers: 1, bytes: 2 ** 36 + 1 } },
      { kind: 'stress', memory: { workers: 1, bytes: 2 ** 40 + 1 } },
      { kind: 'network', rateMbit: 10, interface: '-x' },
      { kind: 'none', label: 'x'.repeat(129) },
    ]) {
      let code: string | undefined;
      try {
        validateAnomaly(bad);
      } catch (error) {
        code = isProteusError(error) ? error.code : undefined;
      }
      expect(code, JSON.stringify(bad).slice(0, 80)).toBe('PROTEUS_INJECTOR_SPEC_INVALID');
    }
    for (const name of ['hdd_2000000', 'cpu_5000']) {
      expect(() => parseAnomaly(name), name).toThrow(
        expect.objectContaining({ code: 'PROTEUS_INJECTOR_SPEC_INVALID' }),
      );
    }
  });

  it('prefers the dataset label and describes the rest compactly', () => {
    expect(describeAnomaly(parseAnomaly('cpu_2'))).toBe('cpu_2');
    expect(describeAnomaly({ kind: 'cpu', quota: 0.5 })).toBe('cpu quota=0.5');
  });
});
