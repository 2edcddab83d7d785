/*
 * Gen-2 Flow-Bench CSV writer: the published column order and pandas `to_csv` formatting, so that runs recorded on
 * our own testbeds load exactly like published data.
 */
import { GEN2_COLUMNS, isTextColumn, type TraceColumn } from './trace-schema.js';

/** One job row of a gen-2 trace: the job name plus any trace columns (missing ones are written empty). */
export type FlowBenchCsvRow = { job: string } & { [column in TraceColumn]?: string | number | null };

/** Columns pandas writes as integers (int64 dtype in Poseidon-X); every other number is a float (`5.0`). */
const INTEGER_COLUMNS = new Set<string>(['is_clustered', 'kickstart_status', 'kickstart_executables_exitcode']);

/**
 * Writes one run as a gen-2 Flow-Bench CSV: an unnamed job-name column, then the 44 columns in published order;
 * floats like Python's `repr` (`1659744775.0`, `1e-05`), empty cells for missing values, `None` for a normal job's
 * `anomaly_type`, RFC 4180 quoting. Rows keep the given order (published files are sorted by `ready`).
 *
 * @example
 * formatFlowBenchCsv([{ job: 'create_dir_montage_0_local', anomaly_type: null, type: 'auxiliary', ready: 1672867116 }]);
 * // ',anomaly_type,type,...\ncreate_dir_montage_0_local,None,auxiliary,,1672867116.0,,...\n'
 */
export function formatFlowBenchCsv(rows: readonly FlowBenchCsvRow[]): string {
  const integer = new Map<string, boolean>();
  for (const column of INTEGER_COLUMNS) {
    integer.set(
      column,
      rows.every(
        (row) => typeof row[column as TraceColumn] === 'number' && Number.isInteger(row[column as TraceColumn]),
      ),
    );
  }
  const lines = [`,${GEN2_COLUMNS.join(',')}`];
  for (const row of rows) {
    const cells = [quoteCell(row.job)];
    for (const column of GEN2_COLUMNS) {
      const value = row[column];
      if (column === 'anomaly_type')
        cells.push(quoteCell(value === null || value === undefined || value === '' ? 'None' : String(value)));
      else if (value === null || value === undefined) cells.push('');
      else if (typeof value === 'string') cells.push(quoteCell(value));
      else if (isTextColumn(column)) cells.push(quoteCell(String(value)));
      else cells.push(integer.get(column) ? String(value) : formatPythonFloat(value));
    }
    lines.push(cells.join(','));
  }
  return `${lines.join('\n')}\n`;
}

/**
 * A number as Python's `repr(float)` writes it: shortest round-trip digits, `.0` on integral values, exponent form
 * below 1e-4 and from 1e16 (`1e-05`, `1.5e+16`); NaN is missing (empty).
 * @example formatPythonFloat(3); // '3.0'
 */
export function formatPythonFloat(value: number): string {
  if (Number.isNaN(value)) return '';
  if (value === Number.POSITIVE_INFINITY) return 'inf';
  if (value === Number.NEGATIVE_INFINITY) return '-inf';
  if (Object.is(value, -0)) return '-0.0';
  const magnitude = Math.abs(value);
  if (magnitude !== 0 && (magnitude < 1e-4 || magnitude >= 1e16)) {
    const [mantissa, exponent] = value.toExponential().split('e') as [string, string];
    const sign = exponent.startsWith('-') ? '-' : '+';
    const digits = exponent.replace(/^[+-]/, '').padStart(2, '0');
    return `${mantissa}e${sign}${digits}`;
  }
  const text = String(value);
  return Number.isInteger(value) ? `${text}.0` : text;
}

function quoteCell(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
