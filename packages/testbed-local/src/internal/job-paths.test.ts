import { describe, expect, it } from 'vitest';
import { diskNameOf, pathInside } from './job-paths.js';

describe('diskNameOf', () => {
  it('keeps plain names as they are', () => {
    expect(diskNameOf('individuals_ID0000001')).toBe('individuals_ID0000001');
    expect(diskNameOf('stage_out_local-condorpool.1')).toBe('stage_out_local-condorpool.1');
  });

  it('turns hostile names into one distinct harmless component', () => {
    const hostile = ['..', '.', '../../../../x', 'a/b', 'a_b', 'a\\b', '-rf', 'x\u0000y', 'é', ' ', 'x'.repeat(300)];
    const names = hostile.map(diskNameOf);
    for (const name of names) {
      expect(name).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_.~-]{0,80}$/);
      expect(name).not.toMatch(/^\.\.?$/);
    }
    expect(new Set(names).size).toBe(hostile.length);
  });
});

describe('pathInside', () => {
  it('joins inside the root', () => {
    expect(pathInside('/tmp/run', 'scratch', 'a')).toBe('/tmp/run/scratch/a');
  });

  it('throws PROTEUS_TESTBED_LOCAL_PATH_ESCAPE for a path that leaves the root or is the root', () => {
    for (const parts of [['scratch', '..', '..'], ['..', 'x'], ['.']]) {
      expect(() => pathInside('/tmp/run', ...parts)).toThrow(
        expect.objectContaining({ code: 'PROTEUS_TESTBED_LOCAL_PATH_ESCAPE' }),
      );
    }
  });
});
