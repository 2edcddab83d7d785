/*
 * A run's CSV read straight from its UTF-8 bytes: numbers parsed in place, text cells kept as byte ranges, no string
 * per cell. It only takes the plain case (quotes only around whole text cells and without escaped quotes, no BOM, LF
 * or CRLF line ends, every row as wide as the header); anything else returns FALLBACK and the caller parses the
 * decoded text, which reports problems exactly.
 */

/** `scanRunBytes`'s answer when the bytes need the text path (or hold a problem the text path will name). */
export const FALLBACK = -1;

const QUOTE = 34;
const COMMA = 44;
const MINUS = 45;
const DOT = 46;
const ZERO = 48;
const PLUS = 43;
const LOWER_E = 101;
const UPPER_E = 69;
const NEWLINE = 10;
const RETURN = 13;
/** 1e0 ... 1e22, every one exact in a double (parsed from text, not computed). */
const POWERS_OF_TEN = Array.from({ length: 23 }, (_, k) => Number(`1e${k}`));
/** 1 for the bytes that end or quote a cell: one table load per byte instead of four compares. */
const SPECIAL = new Uint8Array(256);
for (const b of [QUOTE, COMMA, NEWLINE, RETURN]) SPECIAL[b] = 1;

/** Where each CSV column of a run goes. Index 0 is the job name. */
export interface ByteRunPlan {
  /** Cells per row (the header's). */
  width: number;
  /** Per CSV column: the numeric destination, or null for text (and the job name). */
  numeric: Array<Float64Array | null>;
  /** Per CSV column: 1 when a negative number is impossible there. */
  nonNegative: Uint8Array;
  /** Per CSV column: the slot its byte ranges are kept in, or -1. */
  textSlot: Int32Array;
  /** How many text slots a row has. */
  textSlots: number;
  /** Per CSV column: 1 for long text (paths, argv), whose end is found with a native search. */
  longText: Uint8Array;
}

/** Per-run scratch, grown as needed and reused across runs. */
export interface ByteRunScratch {
  /** Node per data row. */
  rowNode: Int32Array;
  /** Data row per node (filled by the caller once the rows are known to cover every node). */
  rowOfNode: Int32Array;
  /** Job-name byte range per data row. */
  nameStart: Int32Array;
  nameEnd: Int32Array;
  /** Text byte ranges, `[row * textSlots + slot]`; a negative start `~start` marks a cell with escaped quotes. */
  textStart: Int32Array;
  textEnd: Int32Array;
  /** Numbers `parseDecimalBytes` does not take (16+ digits, spaces, text): flat (row, column, start, end). */
  slowCells: number[];
  /** Bytes of the last run that were read one by one (not skipped by a native search): a cost counter. */
  scannedBytes: number;
}

/** Fresh scratch. */
export function createByteRunScratch(): ByteRunScratch {
  return {
    rowNode: new Int32Array(1024),
    rowOfNode: new Int32Array(1024),
    nameStart: new Int32Array(1024),
    nameEnd: new Int32Array(1024),
    textStart: new Int32Array(8192),
    textEnd: new Int32Array(8192),
    slowCells: [],
    scannedBytes: 0,
  };
}

function grow(array: Int32Array, needed: number): Int32Array {
  if (needed <= array.length) return array;
  const bigger = new Int32Array(Math.max(needed, array.length * 2));
  bigger.set(array);
  return bigger;
}

/** The offset after the header line, or FALLBACK when the header is not plain (quotes, CR without LF). */
export function headerEnd(bytes: Uint8Array): { stop: number; next: number } | typeof FALLBACK {
  const length = bytes.length;
  let i = 0;
  while (i < length && bytes[i] !== NEWLINE) {
    if (bytes[i] === QUOTE) return FALLBACK;
    i++;
  }
  let stop = i;
  if (stop > 0 && bytes[stop - 1] === RETURN) stop--;
  for (let k = 0; k < stop; k++) if (bytes[k] === RETURN) return FALLBACK;
  return { stop, next: Math.min(i + 1, length) };
}

/**
 * Scans the data rows from `from`: numbers go to `plan.numeric[column][base + node]`, text cells to scratch ranges.
 * `nodeOfName` maps a job name's bytes to its node (or -1: unknown or repeated, which the text path reports).
 * Returns the data row count, or FALLBACK (quotes, a ragged row, an unknown job, a number that is negative where it
 * cannot be).
 *
 * A row without quotes in a file without CRs (nearly every row of a published trace) takes `scanPlainRow`: its end is
 * one native search for the line break, text cells end at a comma found natively (paths, argv) or by a short loop,
 * and only the numeric cells' bytes are read one by one. Other rows take `scanQuotedRow`, byte by byte.
 */
export function scanRunBytes(
  bytes: Buffer,
  from: number,
  plan: ByteRunPlan,
  base: number,
  nodeOfName: (bytes: Uint8Array, start: number, end: number) => number,
  scratch: ByteRunScratch,
): number {
  const length = bytes.length;
  scratch.slowCells.length = 0;
  scratch.scannedBytes = 0;
  const lineBreaksOnly = bytes.indexOf(RETURN, from) === -1;
  let nextQuote = from - 1;
  let rows = 0;
  let i = from;
  while (i < length) {
    const b = bytes[i] as number;
    if (b === NEWLINE) {
      i++;
      continue;
    }
    if (b === RETURN) {
      if (i + 1 === length) break;
      if (bytes[i + 1] === NEWLINE) {
        i += 2;
        continue;
      }
      return FALLBACK;
    }
    if (rows === scratch.rowNode.length) {
      scratch.rowNode = grow(scratch.rowNode, rows + 1);
      scratch.rowOfNode = grow(scratch.rowOfNode, rows + 1);
      scratch.nameStart = grow(scratch.nameStart, rows + 1);
      scratch.nameEnd = grow(scratch.nameEnd, rows + 1);
    }
    if ((rows + 1) * plan.textSlots > scratch.textStart.length) {
      scratch.textStart = grow(scratch.textStart, (rows + 1) * plan.textSlots);
      scratch.textEnd = grow(scratch.textEnd, (rows + 1) * plan.textSlots);
    }
    let next: number;
    if (lineBreaksOnly) {
      let rowEnd = bytes.indexOf(NEWLINE, i);
      if (rowEnd === -1) rowEnd = length;
      if (nextQuote < i) {
        nextQuote = bytes.indexOf(QUOTE, i);
        if (nextQuote === -1) nextQuote = length;
      }
      next =
        nextQuote >= rowEnd
          ? scanPlainRow(bytes, i, rowEnd, rows, plan, base, nodeOfName, scratch)
          : scanQuotedRow(bytes, i, rows, plan, base, nodeOfName, scratch);
    } else {
      next = scanQuotedRow(bytes, i, rows, plan, base, nodeOfName, scratch);
    }
    if (next === FALLBACK) return FALLBACK;
    i = next;
    rows++;
  }
  return rows;
}

/** One row without quotes, its line break at `rowEnd`: returns the offset after it, or FALLBACK. */
function scanPlainRow(
  bytes: Buffer,
  from: number,
  rowEnd: number,
  row: number,
  plan: ByteRunPlan,
  base: number,
  nodeOfName: (bytes: Uint8Array, start: number, end: number) => number,
  scratch: ByteRunScratch,
): number {
  const { width, numeric, nonNegative, textSlot, textSlots, longText } = plan;
  let i = from;
  while (i < rowEnd && bytes[i] !== COMMA) i++;
  let scanned = i - from;
  const node = nodeOfName(bytes, from, i);
  if (node < 0) return FALLBACK;
  scratch.rowNode[row] = node;
  scratch.nameStart[row] = from;
  scratch.nameEnd[row] = i;
  const at = base + node;
  const textBase = row * textSlots;
  for (let column = 1; column < width; column++) {
    // i is at the comma before this cell; a row that ends here has fewer cells than the header.
    if (i === rowEnd) return FALLBACK;
    const start = ++i;
    const target = numeric[column];
    if (target) {
      if (i === rowEnd || bytes[i] === COMMA) {
        target[at] = Number.NaN;
        continue;
      }
      // Digits are read as the cell is scanned; a cell that is not a plain decimal goes to the slow path.
      const negative = bytes[i] === MINUS;
      if (negative) i++;
      let mantissa = 0;
      let digits = 0;
      let scale = 0;
      let dot = false;
      let b = COMMA;
      for (; i < rowEnd; i++) {
        b = bytes[i] as number;
        const digit = b - ZERO;
        if (digit >= 0 && digit <= 9) {
          mantissa = mantissa * 10 + digit;
          digits++;
          if (dot) scale++;
        } else if (b === DOT && !dot) {
          dot = true;
        } else {
          break;
        }
      }
      if ((i === rowEnd || b === COMMA) && digits > 0 && digits <= 15) {
        const magnitude = scale === 0 ? mantissa : mantissa / (POWERS_OF_TEN[scale] as number);
        if (negative) {
          if (nonNegative[column] === 1 && magnitude !== 0) return FALLBACK;
          target[at] = -magnitude;
        } else {
          target[at] = magnitude;
        }
      } else {
        while (i < rowEnd && bytes[i] !== COMMA) i++;
        const value = parseDecimalBytes(bytes, start, i);
        if (Number.isNaN(value)) scratch.slowCells.push(row, column, start, i);
        else if (value < 0 && nonNegative[column] === 1) return FALLBACK;
        target[at] = value;
      }
      scanned += i - start;
    } else if (longText[column] === 1) {
      i = bytes.indexOf(COMMA, i);
      if (i === -1 || i > rowEnd) i = rowEnd;
      const slot = textSlot[column] as number;
      if (slot >= 0) {
        scratch.textStart[textBase + slot] = start;
        scratch.textEnd[textBase + slot] = i;
      }
    } else {
      while (i < rowEnd && bytes[i] !== COMMA) i++;
      scanned += i - start;
      const slot = textSlot[column] as number;
      if (slot >= 0) {
        scratch.textStart[textBase + slot] = start;
        scratch.textEnd[textBase + slot] = i;
      }
    }
  }
  // More cells than the header.
  if (i !== rowEnd) return FALLBACK;
  scratch.scannedBytes += scanned;
  return rowEnd + 1;
}

/** One row read byte by byte (quoted cells, CR line ends): returns the offset after it, or FALLBACK. */
function scanQuotedRow(
  bytes: Buffer,
  from: number,
  row: number,
  plan: ByteRunPlan,
  base: number,
  nodeOfName: (bytes: Uint8Array, start: number, end: number) => number,
  scratch: ByteRunScratch,
): number {
  const length = bytes.length;
  const { width, numeric, nonNegative, textSlot, textSlots } = plan;
  let i = from;
  let b: number;
  while (i < length && SPECIAL[bytes[i] as number] === 0) i++;
  if (bytes[i] === QUOTE) return FALLBACK;
  const node = nodeOfName(bytes, from, i);
  if (node < 0) return FALLBACK;
  scratch.rowNode[row] = node;
  scratch.nameStart[row] = from;
  scratch.nameEnd[row] = i;
  const at = base + node;
  const textBase = row * textSlots;
  let column = 0;
  // i is at the delimiter after cell `column`.
  for (;;) {
    if (i < length) {
      b = bytes[i] as number;
      if (b === COMMA) {
        i++;
      } else if (b === NEWLINE) {
        i++;
        break;
      } else if (b === RETURN) {
        if (i + 1 < length && bytes[i + 1] !== NEWLINE) return FALLBACK;
        i += i + 1 < length ? 2 : 1;
        break;
      }
    } else {
      break;
    }
    column++;
    if (column >= width) return FALLBACK;
    const start = i;
    const target = numeric[column];
    if (target) {
      while (i < length && SPECIAL[bytes[i] as number] === 0) i++;
      if (bytes[i] === QUOTE) return FALLBACK;
      if (i === start) {
        target[at] = Number.NaN;
        continue;
      }
      const value = parseDecimalBytes(bytes, start, i);
      if (Number.isNaN(value)) {
        target[at] = Number.NaN;
        scratch.slowCells.push(row, column, start, i);
      } else {
        if (value < 0 && nonNegative[column] === 1) return FALLBACK;
        target[at] = value;
      }
    } else {
      let cellStart = start;
      let cellEnd: number;
      if (i < length && bytes[i] === QUOTE) {
        // A quoted cell (argv): its bytes up to the closing quote. One holding escaped quotes ("") is marked by a
        // negated start (`~start`): its reader unescapes it.
        let close = bytes.indexOf(QUOTE, i + 1);
        let escaped = false;
        while (close !== -1 && bytes[close + 1] === QUOTE) {
          escaped = true;
          close = bytes.indexOf(QUOTE, close + 2);
        }
        if (close === -1) return FALLBACK;
        cellStart = escaped ? ~(i + 1) : i + 1;
        cellEnd = close;
        i = close + 1;
        if (i < length) {
          b = bytes[i] as number;
          if (b !== COMMA && b !== NEWLINE && b !== RETURN) return FALLBACK;
        }
      } else {
        while (i < length && SPECIAL[bytes[i] as number] === 0) i++;
        if (bytes[i] === QUOTE) return FALLBACK;
        cellEnd = i;
      }
      const slot = textSlot[column] as number;
      if (slot >= 0) {
        scratch.textStart[textBase + slot] = cellStart;
        scratch.textEnd[textBase + slot] = cellEnd;
      }
    }
  }
  if (column !== width - 1) return FALLBACK;
  scratch.scannedBytes += i - from;
  return i;
}

/**
 * The number in `bytes[start..end)` when it is a plain decimal (`-12.50`, `.5`, `7.`) or one with an exponent
 * (`1e-05`, `2.5E+3`) of at most 15 significant-or-not digits and a power of ten within ±22; NaN for anything else,
 * which the caller parses with `Number` (16+ digits, spaces, signs like `+`, `inf`, text). Within those bounds the
 * digits form an exact integer and one multiplication or division by an exact power of ten rounds correctly
 * (Clinger's fast path), so the result is bit-identical to `Number(text)`.
 */
export function parseDecimalBytes(bytes: Uint8Array, start: number, end: number): number {
  let i = start;
  const negative = bytes[i] === MINUS;
  if (negative) i++;
  let mantissa = 0;
  let digits = 0;
  let scale = 0;
  let dot = false;
  for (; i < end; i++) {
    const b = bytes[i] as number;
    const digit = b - ZERO;
    if (digit >= 0 && digit <= 9) {
      mantissa = mantissa * 10 + digit;
      digits++;
      if (dot) scale++;
    } else if (b === DOT && !dot) {
      dot = true;
    } else {
      break;
    }
  }
  if (digits === 0 || digits > 15) return Number.NaN;
  let power = -scale;
  if (i < end) {
    const b = bytes[i] as number;
    if (b !== LOWER_E && b !== UPPER_E) return Number.NaN;
    i++;
    const sign = bytes[i];
    const negativeExponent = sign === MINUS;
    if (negativeExponent || sign === PLUS) i++;
    if (i === end || end - i > 3) return Number.NaN;
    let exponent = 0;
    for (; i < end; i++) {
      const digit = (bytes[i] as number) - ZERO;
      if (digit < 0 || digit > 9) return Number.NaN;
      exponent = exponent * 10 + digit;
    }
    power += negativeExponent ? -exponent : exponent;
  }
  let magnitude: number;
  if (power === 0) magnitude = mantissa;
  else if (power > 0 && power <= 22) magnitude = mantissa * (POWERS_OF_TEN[power] as number);
  else if (power < 0 && power >= -22) magnitude = mantissa / (POWERS_OF_TEN[-power] as number);
  else return Number.NaN;
  return negative ? -magnitude : magnitude;
}

/**
 * A map keyed by byte ranges (job names, dictionary values), so a repeated value costs a hash and a compare instead
 * of a string.
 */
export class ByteKeyedMap<T> {
  readonly #buckets = new Map<number, Array<{ key: Uint8Array; value: T }>>();

  get(bytes: Uint8Array, start: number, end: number): T | undefined {
    const bucket = this.#buckets.get(hashBytes(bytes, start, end));
    if (bucket === undefined) return undefined;
    for (const entry of bucket) if (equalBytes(entry.key, bytes, start, end)) return entry.value;
    return undefined;
  }

  set(bytes: Uint8Array, start: number, end: number, value: T): void {
    const hash = hashBytes(bytes, start, end);
    // A copy: `slice` of a Buffer is a view, which would pin the run's bytes and change if they are reused.
    const entry = { key: new Uint8Array(bytes.subarray(start, end)), value };
    const bucket = this.#buckets.get(hash);
    if (bucket === undefined) this.#buckets.set(hash, [entry]);
    else bucket.push(entry);
  }
}

/** FNV-1a over every byte (sampling a few bytes made names that differ in one digit collide), a small integer. */
function hashBytes(bytes: Uint8Array, start: number, end: number): number {
  let hash = 0x811c9dc5;
  for (let i = start; i < end; i++) hash = Math.imul(hash ^ (bytes[i] as number), 0x01000193);
  return hash & 0x3fffffff;
}

function equalBytes(key: Uint8Array, bytes: Uint8Array, start: number, end: number): boolean {
  if (key.length !== end - start) return false;
  for (let i = 0; i < key.length; i++) if (key[i] !== bytes[start + i]) return false;
  return true;
}
