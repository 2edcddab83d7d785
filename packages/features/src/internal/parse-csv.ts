import { parse } from 'csv-parse/sync';

/** A parsed CSV: the header and the data rows (blank lines dropped). */
export interface CsvText {
  header: string[];
  rows: string[][];
}

/** Why a CSV could not be parsed; the caller turns it into a run problem. */
export class CsvSyntaxError extends Error {
  readonly line: number | undefined;
  constructor(message: string, line: number | undefined, options?: { cause?: unknown }) {
    super(message, options);
    this.line = line;
  }
}

/**
 * Parses RFC 4180 CSV text. A fast path splits each line on commas and handles quoted fields itself; anything it
 * does not recognise as well-formed (a stray quote, an unterminated field) goes to csv-parse, which either parses
 * it or reports the exact line. Ragged rows are reported here, after either path.
 * @throws CsvSyntaxError for malformed text or rows whose cell count differs from the header's
 */
export function parseCsv(text: string): CsvText {
  const records = parseFast(text) ?? parseWithCsvParse(text);
  const header = records[0];
  if (header === undefined) return { header: [], rows: [] };
  const rows = records.slice(1);
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i] as string[];
    if (row.length !== header.length) {
      throw new CsvSyntaxError(`data row ${i + 1} has ${row.length} cells, the header has ${header.length}`, undefined);
    }
  }
  return { header, rows };
}

function parseWithCsvParse(text: string): string[][] {
  try {
    return parse(text, { relax_column_count: true, skip_empty_lines: true, bom: true }) as string[][];
  } catch (error) {
    const line = typeof error === 'object' && error !== null && 'lines' in error ? Number(error.lines) : undefined;
    const reason = error instanceof Error ? error.message : String(error);
    throw new CsvSyntaxError(reason, line, { cause: error });
  }
}

const QUOTE = 34;
const COMMA = 44;
const NEWLINE = 10;
const RETURN = 13;

/** Returns undefined when the text needs the careful parser. */
function parseFast(text: string): string[][] | undefined {
  const records: string[][] = [];
  let start = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const length = text.length;
  while (start < length) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = length;
    const quote = text.indexOf('"', start);
    if (quote === -1 || quote >= end) {
      let stop = end;
      if (stop > start && text.charCodeAt(stop - 1) === RETURN) stop--;
      if (stop > start) records.push(text.slice(start, stop).split(','));
      start = end + 1;
      continue;
    }
    const quoted = parseQuotedRecord(text, start);
    if (quoted === undefined) return undefined;
    records.push(quoted.cells);
    start = quoted.next;
  }
  return records;
}

/** One record that contains quotes, starting at `start`; undefined when it is not well-formed RFC 4180. */
function parseQuotedRecord(text: string, start: number): { cells: string[]; next: number } | undefined {
  const cells: string[] = [];
  const length = text.length;
  let i = start;
  for (;;) {
    if (text.charCodeAt(i) === QUOTE) {
      let value = '';
      let from = i + 1;
      for (;;) {
        const close = text.indexOf('"', from);
        if (close === -1) return undefined;
        value += text.slice(from, close);
        if (text.charCodeAt(close + 1) === QUOTE) {
          value += '"';
          from = close + 2;
          continue;
        }
        i = close + 1;
        break;
      }
      cells.push(value);
    } else {
      let j = i;
      while (j < length) {
        const code = text.charCodeAt(j);
        if (code === COMMA || code === NEWLINE || code === RETURN) break;
        if (code === QUOTE) return undefined;
        j++;
      }
      cells.push(text.slice(i, j));
      i = j;
    }
    const code = i < length ? text.charCodeAt(i) : NEWLINE;
    if (code === COMMA) {
      i++;
      continue;
    }
    if (code === RETURN && text.charCodeAt(i + 1) === NEWLINE) return { cells, next: i + 2 };
    if (code === NEWLINE) return { cells, next: i + 1 };
    return undefined;
  }
}
