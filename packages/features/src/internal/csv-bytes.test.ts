import { createRng, type Rng } from '@proteus-wf/core';
import { describe, expect, it } from 'vitest';
import { type ByteRunPlan, createByteRunScratch, FALLBACK, parseDecimalBytes, scanRunBytes } from './csv-bytes.js';

/** parseDecimalBytes on a whole string. */
function parse(text: string): number {
  const bytes = Buffer.from(text, 'latin1');
  return parseDecimalBytes(bytes, 0, bytes.length);
}

/** The fast path either declines (NaN) or gives exactly Number(text), sign of zero included. */
function expectExactOrDeclined(text: string): void {
  const value = parse(text);
  if (!Number.isNaN(value)) expect(Object.is(value, Number(text)), `${text}: ${value} vs ${Number(text)}`).toBe(true);
}

/** A numeric cell as writers produce it, plus the odd ones: signs, exponents, many digits, junk. */
function randomNumber(rng: Rng): string {
  const digits = (count: number) => Array.from({ length: count }, () => String(rng.int(0, 9))).join('');
  const kind = rng.int(0, 9);
  if (kind === 0)
    return ['', 'NaN', 'None', 'nan', 'inf', '-', '.', 'e5', '1e', '1e+', '0x1f', ' 1', '+1', '1.2.3'][
      rng.int(0, 13)
    ] as string;
  let text = rng.float() < 0.3 ? '-' : '';
  const whole = digits(rng.int(0, kind === 1 ? 25 : 12));
  text += whole;
  if (rng.float() < 0.7) text += `.${digits(rng.int(0, kind === 2 ? 20 : 8))}`;
  if (rng.float() < 0.3) {
    text += rng.float() < 0.5 ? 'e' : 'E';
    const sign = rng.int(0, 2);
    text += sign === 0 ? '' : sign === 1 ? '-' : '+';
    text += digits(rng.int(kind === 3 ? 0 : 1, kind === 4 ? 4 : 2));
  }
  return text;
}

/** A plan of one job-name column, `numbers` numeric columns and one long text column (argv). */
function planOf(numbers: number, rows: number, nonNegative = false): ByteRunPlan & { columns: Float64Array[] } {
  const width = numbers + 2;
  const columns = Array.from({ length: numbers }, () => new Float64Array(rows));
  const numeric: Array<Float64Array | null> = [null, ...columns, null];
  const textSlot = new Int32Array(width).fill(-1);
  textSlot[width - 1] = 0;
  const longText = new Uint8Array(width);
  longText[width - 1] = 1;
  return {
    width,
    numeric,
    nonNegative: new Uint8Array(width).fill(nonNegative ? 1 : 0),
    textSlot,
    textSlots: 1,
    longText,
    columns,
  };
}

/** Scans `csv` (a header line, then rows named job0, job1, ...) with `plan`. */
function scan(csv: string, plan: ByteRunPlan) {
  const bytes = Buffer.from(csv);
  const scratch = createByteRunScratch();
  const rows = scanRunBytes(
    bytes,
    csv.indexOf('\n') + 1,
    plan,
    0,
    (b, start, end) => Number(Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1', start + 3, end)),
    scratch,
  );
  return { rows, scratch };
}

describe('parseDecimalBytes', () => {
  it('parses plain decimals, negatives and exponents exactly as Number()', () => {
    for (const text of [
      '0',
      '-0',
      '-0.0',
      '7.',
      '.5',
      '-.5',
      '1672780098.0',
      '-12.50',
      '0.1',
      '123456789012345',
      '1e-05',
      '2.5E+3',
      '1e22',
      '1e-22',
      '9.99999999999999e22',
      '-3e0',
      '0e5',
    ]) {
      const value = parse(text);
      expect(Number.isNaN(value), text).toBe(false);
      expect(Object.is(value, Number(text)), text).toBe(true);
    }
  });

  it('declines what it cannot parse exactly, for Number() to take: 16+ digits, far exponents, signs, spaces, text', () => {
    for (const text of [
      '1234567890123456',
      '0.30000000000000004',
      '123456789012345678901234567890',
      '1e23',
      '1e-23',
      '1e400',
      '1e',
      '1e+',
      'e5',
      '-',
      '.',
      '+1',
      ' 1',
      '1 ',
      'NaN',
      'None',
      'nan',
      'inf',
      'Infinity',
      '0x1f',
      '1.2.3',
      '1e1.5',
      '1e0005',
    ]) {
      expect(parse(text), text).toBeNaN();
    }
  });

  it('gives the very double Number() gives on 20,000 seeded random cells (or declines)', () => {
    const rng = createRng(17);
    let taken = 0;
    for (let i = 0; i < 20_000; i++) {
      const text = randomNumber(rng);
      expectExactOrDeclined(text);
      if (!Number.isNaN(parse(text))) taken++;
    }
    // The fuzz reaches the fast path for most cells, so the exactness check above is not vacuous.
    expect(taken).toBeGreaterThan(10_000);
  });

  it('reads only its range of a larger buffer', () => {
    const bytes = Buffer.from('x,-12.5e1,9');
    expect(parseDecimalBytes(bytes, 2, 9)).toBe(-125);
  });
});

describe('scanRunBytes', () => {
  it('puts every numeric cell of plain and quoted rows at Number(text), empty cells as NaN, the rest in slowCells', () => {
    const rng = createRng(42);
    const numbers = 6;
    const rows = 400;
    const cells: string[][] = [];
    const lines = ['job,' + Array.from({ length: numbers }, (_, c) => `n${c}`).join(',') + ',argv'];
    for (let r = 0; r < rows; r++) {
      const row = Array.from({ length: numbers }, () =>
        (rng.float() < 0.15 ? '' : randomNumber(rng)).replace(/[ ,]/g, ''),
      );
      cells.push(row);
      // Every fifth row quotes its argv (with a comma inside), which takes the byte-by-byte reader.
      const argv = r % 5 === 0 ? `"-i a,b /long/path/${r}"` : `-i /long/path/${r}`;
      lines.push(`job${r},${row.join(',')},${argv}`);
    }
    const plan = planOf(numbers, rows);
    const { rows: read, scratch } = scan(`${lines.join('\n')}\n`, plan);
    expect(read).toBe(rows);
    const slow = new Set<string>();
    for (let k = 0; k < scratch.slowCells.length; k += 4)
      slow.add(`${scratch.slowCells[k]}:${scratch.slowCells[k + 1]}`);
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < numbers; c++) {
        const text = (cells[r] as string[])[c] as string;
        const value = (plan.columns[c] as Float64Array)[r] as number;
        if (text === '') expect(value).toBeNaN();
        else if (slow.has(`${r}:${c + 1}`)) expect(Number.isNaN(parse(text)), text).toBe(true);
        else expect(Object.is(value, Number(text)), `${text}: ${value}`).toBe(true);
      }
    }
  });

  it('skips paths and argv with a native search: their bytes are not read one by one', () => {
    const argv = `-n pegasus::transfer ${'/home/poseidon/pegasus/bin/pegasus-transfer '.repeat(20)}`;
    const csv = `job,a,b,argv\n${Array.from({ length: 50 }, (_, r) => `job${r},1.5,${r},${argv}`).join('\n')}\n`;
    const { rows, scratch } = scan(csv, planOf(2, 50));
    expect(rows).toBe(50);
    const argvBytes = 50 * argv.length;
    expect(scratch.scannedBytes).toBeLessThan(Buffer.byteLength(csv) - argvBytes);
  });

  it('falls back on ragged rows and on negative numbers where they are impossible', () => {
    expect(scan('job,a,b,argv\njob0,1,2\n', planOf(2, 1)).rows).toBe(FALLBACK);
    expect(scan('job,a,b,argv\njob0,1,2,x,y\n', planOf(2, 1)).rows).toBe(FALLBACK);
    expect(scan('job,a,b,argv\njob0,-1,2,x\n', planOf(2, 1, true)).rows).toBe(FALLBACK);
    expect(scan('job,a,b,argv\njob0,-1e0,2,x\n', planOf(2, 1, true)).rows).toBe(FALLBACK);
    // A cell that starts with a letter is a number for the slow path, not a misplaced delimiter.
    const text = scan('job,a,b,argv\njob0,None,E5,x\n', planOf(2, 1));
    expect(text.rows).toBe(1);
    expect(text.scratch.slowCells).toEqual([0, 1, 18, 22, 0, 2, 23, 25]);
    const zero = planOf(2, 1, true);
    expect(scan('job,a,b,argv\njob0,-0.0,2,x', zero).rows).toBe(1);
    expect(Object.is(zero.columns[0]?.[0], -0)).toBe(true);
  });
});
