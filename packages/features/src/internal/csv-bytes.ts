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
const NEWLINE = 10;
const RETURN = 13;
const POWERS_OF_TEN = Array.from({ length: 16 }, (_, k) => 10 ** k);
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
  /** Numbers the fast path does not take (`1e-05`, 16+ digits, spaces): flat (row, column, start, end). */
  slowCells: number[];
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
 */
export function scanRunBytes(
  bytes: Uint8Array,
  from: number,
  plan: ByteRunPlan,
  base: number,
  nodeOfName: (bytes: Uint8Array, start: number, end: number) => number,
  scratch: ByteRunScratch,
): number {
  const length = bytes.length;
  const { width, numeric, nonNegative, textSlot, textSlots, longText } = plan;
  const slow = scratch.slowCells;
  slow.length = 0;
  // Long cells are searched natively for their comma, within the row's line; a CR anywhere turns that off.
  const native = bytes.indexOf(RETURN, from) === -1;
  let nextQuote = from - 1;
  let rows = 0;
  let i = from;
  while (i < length) {
    let b = bytes[i] as number;
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
    if ((rows + 1) * textSlots > scratch.textStart.length) {
      scratch.textStart = grow(scratch.textStart, (rows + 1) * textSlots);
      scratch.textEnd = grow(scratch.textEnd, (rows + 1) * textSlots);
    }
    const nameStart = i;
    let rowEnd = native ? bytes.indexOf(NEWLINE, i) : length;
    if (rowEnd === -1) rowEnd = length;
    while (i < length && SPECIAL[bytes[i] as number] === 0) i++;
    if (bytes[i] === QUOTE) return FALLBACK;
    const node = nodeOfName(bytes, nameStart, i);
    if (node < 0) return FALLBACK;
    scratch.rowNode[rows] = node;
    scratch.nameStart[rows] = nameStart;
    scratch.nameEnd[rows] = i;
    const at = base + node;
    const textBase = rows * textSlots;
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
        const negative = i < length && bytes[i] === MINUS;
        if (negative) i++;
        let mantissa = 0;
        let digits = 0;
        let scale = 0;
        let dot = false;
        for (; i < length; i++) {
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
        const stop = i;
        while (i < length && SPECIAL[bytes[i] as number] === 0) i++;
        if (bytes[i] === QUOTE) return FALLBACK;
        const plain = i === stop;
        if (i === start) {
          target[at] = Number.NaN;
        } else if (!plain || digits === 0 || digits > 15) {
          target[at] = Number.NaN;
          slow.push(rows, column, start, i);
        } else {
          const magnitude = scale === 0 ? mantissa : mantissa / (POWERS_OF_TEN[scale] as number);
          const value = negative ? -magnitude : magnitude;
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
        } else if (native && longText[column] === 1) {
          if (rowEnd < i) {
            // A quoted cell held a line break: the row goes on past the line found at its start.
            rowEnd = bytes.indexOf(NEWLINE, i);
            if (rowEnd === -1) rowEnd = length;
          }
          let end = bytes.indexOf(COMMA, i);
          if (end === -1 || end > rowEnd) end = rowEnd;
          if (nextQuote < i) {
            nextQuote = bytes.indexOf(QUOTE, i);
            if (nextQuote === -1) nextQuote = length;
          }
          if (nextQuote < end) return FALLBACK;
          i = end;
          cellEnd = end;
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
    rows++;
  }
  return rows;
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
    const entry = { key: bytes.slice(start, end), value };
    const bucket = this.#buckets.get(hash);
    if (bucket === undefined) this.#buckets.set(hash, [entry]);
    else bucket.push(entry);
  }
}

/** A cheap hash (length and up to 8 sampled bytes; the compare that follows is exact), kept a small integer. */
function hashBytes(bytes: Uint8Array, start: number, end: number): number {
  const length = end - start;
  let hash = Math.imul(length, 0x01000193);
  const step = length > 8 ? length >> 3 : 1;
  for (let i = end - 1; i >= start; i -= step) hash = Math.imul(hash ^ (bytes[i] as number), 0x01000193);
  return hash & 0x3fffffff;
}

function equalBytes(key: Uint8Array, bytes: Uint8Array, start: number, end: number): boolean {
  if (key.length !== end - start) return false;
  for (let i = 0; i < key.length; i++) if (key[i] !== bytes[start + i]) return false;
  return true;
}
