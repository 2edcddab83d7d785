import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// Testbeds never import each other, so the shared internals live in both packages; this keeps them identical.
const fabric = join(import.meta.dirname, '../src/internal/shared');
const chameleon = join(import.meta.dirname, '../../testbed-chameleon/src/internal/shared');

describe('internal/shared', () => {
  it('is byte-identical in testbed-fabric and testbed-chameleon', async () => {
    const sources = (await readdir(fabric)).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts')).sort();
    expect((await readdir(chameleon)).filter((f) => f.endsWith('.ts')).sort()).toEqual(sources);
    for (const file of sources) {
      expect(await readFile(join(chameleon, file), 'utf8'), file).toBe(await readFile(join(fabric, file), 'utf8'));
    }
  });
});
