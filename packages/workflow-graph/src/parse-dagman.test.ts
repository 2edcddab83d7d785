import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDagman } from './parse-dagman.js';

describe('parseDagman', () => {
  it('reads the JOB and multi-parent PARENT ... CHILD lines of a Pegasus run .dag (SCRIPT, RETRY, MAXJOBS ignored)', async () => {
    const text = await readFile(join(import.meta.dirname, '../test/fixtures/pegasus-run-diamond-0.dag'), 'utf8');
    const dag = parseDagman(text);
    expect(dag.jobNames()).toHaveLength(5);
    expect(dag.parents('merge_analyze_ID0000004')).toEqual(['findrange_ID0000002', 'findrange_ID0000003']);
    expect(dag.parents('findrange_ID0000003')).toEqual(['preprocess_ID0000001']);
  });

  it('connects every parent to every child and keeps SUBDAG EXTERNAL and SPLICE nodes', () => {
    const graph = parseDagman(
      [
        'JOB a a.sub',
        'JOB b b.sub',
        'SUBDAG EXTERNAL inner inner.dag',
        'SPLICE s s.dag',
        'PARENT a b CHILD inner s',
        '# PARENT x CHILD y',
      ].join('\n'),
    );
    expect(graph.edgeCount).toBe(4);
    expect(graph.job('inner')).toMatchObject({ type: 'subwf', transformation: 'subdag' });
  });

  it('accepts CRLF line ends', () => {
    expect(parseDagman('JOB a a.sub\r\nJOB b b.sub\r\nPARENT a CHILD b\r\n').edgeCount).toBe(1);
  });

  it.each([
    ['JOB\n', 1, 4],
    ['JOB a\n', 1, 6],
    ['JOB a a.sub\nPARENT CHILD a\n', 2, 8],
    ['JOB a a.sub\nPARENT a CHILD\n', 2, 15],
    ['SUBDAG inner x.dag\n', 1, 8],
  ])('throws PROTEUS_GRAPH_MALFORMED_DAG for %j at line %i, column %i', (text, line, column) => {
    expect(() => parseDagman(text)).toThrow(
      expect.objectContaining({
        code: 'PROTEUS_GRAPH_MALFORMED_DAG',
        details: expect.objectContaining({ line, column }),
      }),
    );
  });

  it('throws PROTEUS_GRAPH_EMPTY for a file with no JOB', () => {
    expect(() => parseDagman('# nothing\nMAXJOBS x 2\n')).toThrow(
      expect.objectContaining({ code: 'PROTEUS_GRAPH_EMPTY' }),
    );
  });
});
