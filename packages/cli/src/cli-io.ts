/** Where the CLI reads and writes; `runCli` fills it from the process, tests pass their own. */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  isTTY: boolean;
  cwd: string;
  env: NodeJS.ProcessEnv;
  signal: AbortSignal;
}

/**
 * Prints a command's result: one JSON object with `--json`, otherwise the readable table (or JSON when none is given).
 * @example printResult(io, summary, { json: argv.json, table: renderSummary })
 */
export function printResult<T>(io: CliIo, value: T, options: { json: boolean; table?: (value: T) => string }): void {
  if (options.json || !options.table) {
    io.stdout(`${JSON.stringify(value, null, options.json ? 0 : 2)}\n`);
    return;
  }
  const text = options.table(value);
  io.stdout(text.endsWith('\n') ? text : `${text}\n`);
}

/** Renders rows as an aligned text table (first row = header). */
export function formatTable(rows: ReadonlyArray<ReadonlyArray<string | number>>): string {
  const cells = rows.map((row) => row.map((cell) => (typeof cell === 'number' ? formatNumber(cell) : cell)));
  const widths: number[] = [];
  for (const row of cells) {
    for (const [i, cell] of row.entries()) widths[i] = Math.max(widths[i] ?? 0, cell.length);
  }
  return cells
    .map((row) =>
      row
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

function formatNumber(value: number): string {
  if (Number.isInteger(value)) return String(value);
  return Math.abs(value) >= 1000 ? value.toFixed(0) : value.toPrecision(4);
}
