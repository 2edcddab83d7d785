import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseBraindump } from './parse-braindump.js';

const fixtures = join(import.meta.dirname, '../test/fixtures/pegasus-run');

describe('parseBraindump', () => {
  it('reads braindump.yml in both the colon and the old space form', async () => {
    expect(parseBraindump(await readFile(join(fixtures, 'braindump.yml'), 'utf8'))).toMatchObject({
      daxLabel: 'diamond',
      dag: 'diamond-0.dag',
    });
    expect(parseBraindump('wf_uuid abc\ndax_label blackdiamond\n')).toEqual({
      wfUuid: 'abc',
      daxLabel: 'blackdiamond',
    });
  });
});
