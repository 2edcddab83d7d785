import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { firstRuns, hasSharedDatasets, sharedDataset } from '../../test/support.js';
import { CsvSyntaxError, parseCsv } from './parse-csv.js';

describe('parseCsv', () => {
  it('splits plain lines and drops blank lines and a trailing newline', () => {
    expect(parseCsv(',a,b\r\nx,1,\n\ny,,2\n')).toEqual({
      header: ['', 'a', 'b'],
      rows: [
        ['x', '1', ''],
        ['y', '', '2'],
      ],
    });
  });

  it('handles quoted fields with commas, doubled quotes and newlines', () => {
    const text = 'job,argv,n\nj1,"-a 1, -b ""two""",3\nj2,"line\nbreak",4\nj3,plain,5';
    expect(parseCsv(text).rows).toEqual([
      ['j1', '-a 1, -b "two"', '3'],
      ['j2', 'line\nbreak', '4'],
      ['j3', 'plain', '5'],
    ]);
  });

  it('strips a byte-order mark', () => {
    expect(parseCsv('\ufeff,a\nx,1\n').header).toEqual(['', 'a']);
  });

  it('returns an empty header for empty text', () => {
    expect(parseCsv('')).toEqual({ header: [], rows: [] });
  });

  it.each([
    ['an unterminated quote', 'a,b\n1,"open\n'],
    ['a ragged row', 'a,b\n1,2,3\n'],
    ['text after a closing quote', 'a,b\n"x"y,2\n'],
  ])('throws CsvSyntaxError for %s', (_why, text) => {
    expect(() => parseCsv(text)).toThrow(CsvSyntaxError);
  });

  it('hands a quote inside an unquoted field to csv-parse, which rejects it', () => {
    expect(() => parseCsv('a,b\n1,x"y\n')).toThrow(CsvSyntaxError);
  });

  it.skipIf(!hasSharedDatasets)('gives exactly what csv-parse gives on real files with quoted argv', () => {
    for (const zip of [
      'flowbench/montage.zip',
      'flowbench/predict_future_sales.zip',
      'exogeni-2020/wind_clustering_casa.zip',
    ]) {
      for (const text of Object.values(firstRuns(sharedDataset(zip), 3))) {
        expect(text).toContain('"');
        const reference = parse(text, { skip_empty_lines: true }) as string[][];
        const { header, rows } = parseCsv(text);
        expect([header, ...rows]).toEqual(reference);
      }
    }
  });
});
