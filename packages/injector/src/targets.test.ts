import { isProteusError } from '@proteus-wf/core';
import { describe, expect, it } from 'vitest';
import { formatTarget, parseTarget } from './targets.js';

describe('parseTarget', () => {
  it('parses every target kind and formats it back', () => {
    for (const text of [
      'local',
      'cgroup:proteus/tb1/w1',
      'netns:w-1',
      'ssh:cc@10.0.0.5',
      'ssh:node1:2222',
      'docker:worker1-container-4-7',
    ]) {
      expect(formatTarget(parseTarget(text))).toBe(text);
    }
    expect(parseTarget('ssh:cc@[fe80::1]:22')).toEqual({ kind: 'ssh', user: 'cc', host: '[fe80::1]', port: 22 });
    expect(parseTarget('cgroup:/proteus/tb1/w1/')).toEqual({ kind: 'cgroup', path: 'proteus/tb1/w1' });
  });

  it('throws PROTEUS_INJECTOR_TARGET_INVALID for path escapes, option injection (names starting with -) and unknown schemes', () => {
    for (const bad of [
      'cgroup:../etc',
      'cgroup:a/../../b',
      'ssh:-oProxyCommand=sh',
      'ssh:a b@host',
      'netns:a/b',
      'netns:-x',
      'netns:--help',
      'netns:..',
      'cgroup:proteus/-x/w1',
      'cgroup:',
      'vm:x',
      'remote',
    ]) {
      let code: string | undefined;
      try {
        parseTarget(bad);
      } catch (error) {
        code = isProteusError(error) ? error.code : undefined;
      }
      expect(code, bad).toBe('PROTEUS_INJECTOR_TARGET_INVALID');
    }
  });
});
