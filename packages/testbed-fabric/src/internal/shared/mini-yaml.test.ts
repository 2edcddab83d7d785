import { describe, expect, it } from 'vitest';
import { parseYaml } from './mini-yaml.js';

describe('parseYaml', () => {
  it('reads nested maps, sequences of scalars and of maps, quoted strings and block scalars', () => {
    const doc = parseYaml(
      [
        '- invocation: True',
        '  duration: 5.25',
        '  transformation: "ns::keg:4.0"',
        "  note: 'it''s'",
        '  mainjob:',
        '    argv:',
        '      - -a',
        '      - "5"',
        '    procs:',
        '      - pid: 1',
        '        rchar: 10',
        '      - pid: 2',
        '        rchar: 20',
        '    data: |',
        '      line: one',
        '',
        '      - two',
        '    after: ~ # comment',
        '- second: []',
      ].join('\n'),
    );
    expect(doc).toEqual([
      {
        invocation: true,
        duration: 5.25,
        transformation: 'ns::keg:4.0',
        note: "it's",
        mainjob: {
          argv: ['-a', '5'],
          procs: [
            { pid: 1, rchar: 10 },
            { pid: 2, rchar: 20 },
          ],
          data: 'line: one\n\n- two\n',
          after: null,
        },
      },
      { second: [] },
    ]);
  });

  it('accepts a sequence at the same indent as its key and an empty document', () => {
    expect(parseYaml('list:\n- a\n- b\nnext: 1\n')).toEqual({ list: ['a', 'b'], next: 1 });
    expect(parseYaml('---\n')).toBeNull();
  });
});
