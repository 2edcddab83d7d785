import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isProteusError } from '@proteus-wf/core';
import { describe, expect, it } from 'vitest';
import { parseKickstart } from './parse-kickstart.js';

const fixtures = join(import.meta.dirname, '../test/fixtures/pegasus-run');
const read = (name: string) => readFile(join(fixtures, name), 'utf8');

describe('parseKickstart', () => {
  it('reads kickstart records, summing a clustered job and its procs', async () => {
    const [single] = parseKickstart(await read('00/00/preprocess_ID0000001.out.000'));
    expect(single).toMatchObject({
      hostname: 'worker1-container-0-3',
      transformation: 'diamond::preprocess:4.0',
      executable: '/usr/bin/pegasus-keg',
      argv: ['-a', 'preprocess', '-T', '5'],
      userSeconds: 4.81,
      bytesRead: 1048576,
      bytesWritten: 2097152,
      readSyscalls: 120,
      exitCode: 0,
    });
    expect(parseKickstart(await read('00/00/merge_analyze_ID0000004.out.000'))).toHaveLength(2);
    expect(parseKickstart(await read('00/00/findrange_ID0000003.out.000'))[0]?.exitCode).toBe(1);
  });

  it('reads the YAML forms kickstart writes: True, quoted and block scalars, comments, same-indent sequences', () => {
    const [record] = parseKickstart(
      [
        '- invocation: True',
        '  hostname: "w1"',
        "  transformation: 'ns::keg:4.0'",
        '  mainjob:',
        '    executable:',
        '      file_name: /bin/keg # comment',
        '    argument_vector:',
        '    - -a',
        '    - "5"',
        '    usage: {utime: 1.5, stime: 0.5}',
        '    status:',
        '      raw: 256',
        '    procs:',
        '      - pid: 1',
        '        rchar: 10',
        '        syscw: 3',
        '      - pid: 2',
        '        rchar: 20',
        '    stdout: |',
        '      line: one',
        '',
        '      - two',
      ].join('\n'),
    );
    expect(record).toEqual({
      hostname: 'w1',
      transformation: 'ns::keg:4.0',
      executable: '/bin/keg',
      argv: ['-a', '5'],
      userSeconds: 1.5,
      systemSeconds: 0.5,
      exitCode: 1,
      bytesRead: 30,
      bytesWritten: 0,
      readSyscalls: 0,
      writeSyscalls: 3,
    });
    expect(parseKickstart('---\n')).toEqual([]);
  });

  it('reads a PegasusLite multipart record: the invocation, not the integrity-check document after it', () => {
    const text = [
      '- invocation: True',
      '  transformation: "analyze"',
      '  hostname: w7',
      '  mainjob:',
      '    usage: { utime: 0.25, stime: 0.125 }',
      '    status: { raw: 0, regular_exitcode: 0 }',
      '    executable: { file_name: /bin/analyze }',
      '',
      '---------------pegasus-multipart',
      '- integrity_verification_attempts:',
      '  - lfn: "f.c2"',
      '    sha256: b8d3',
      '    success: True',
      '---------------pegasus-multipart',
      '- stage_out: []',
    ].join('\n');
    expect(parseKickstart(text)).toEqual([
      expect.objectContaining({ hostname: 'w7', transformation: 'analyze', userSeconds: 0.25, systemSeconds: 0.125 }),
    ]);
  });

  it('throws PROTEUS_PEGASUS_MALFORMED_KICKSTART for text that is not YAML', () => {
    let error: unknown;
    try {
      parseKickstart('- invocation: [True\n  hostname: "w1', { source: 'x.out.000' });
    } catch (e) {
      error = e;
    }
    expect(isProteusError(error, 'PROTEUS_PEGASUS_MALFORMED_KICKSTART')).toBe(true);
  });
});
