import {
  Dictionary,
  Float32,
  Float64,
  Int32,
  makeData,
  makeVector,
  type Table,
  Utf8,
  type Vector,
  vectorFromArray,
} from 'apache-arrow';

/** A dictionary-encoded text column under construction: codes index `values`; -1 is null. */
export interface TextColumnBuilder {
  codes: Int32Array;
  values: string[];
  lookup: Map<string, number>;
}

/**
 * A text column of nearly unique values (paths, argv) under construction: UTF-8 bytes appended to an arena as rows
 * arrive in any order, so no JS string (which may pin the whole CSV text it was sliced from) is kept.
 */
export interface Utf8ArenaBuilder {
  bytes: Uint8Array;
  used: number;
  start: Int32Array;
  /** Byte length per row; -1 = null. */
  length: Int32Array;
}

/** A fresh arena with room for `rows` rows. */
export function createUtf8Arena(rows: number): Utf8ArenaBuilder {
  return {
    bytes: new Uint8Array(1 << 20),
    used: 0,
    start: new Int32Array(rows),
    length: new Int32Array(rows).fill(-1),
  };
}

const encoder = new TextEncoder();

/** Grows the arena to hold `bytes` bytes in all (one copy now instead of repeated doubling later). */
export function reserveUtf8(arena: Utf8ArenaBuilder, bytes: number): void {
  if (bytes <= arena.bytes.length) return;
  const grown = new Uint8Array(bytes);
  grown.set(arena.bytes.subarray(0, arena.used));
  arena.bytes = grown;
}

/** Stores `text` as the value of `row`. */
export function putUtf8(arena: Utf8ArenaBuilder, row: number, text: string): void {
  const needed = arena.used + text.length * 3;
  if (needed > arena.bytes.length) {
    const grown = new Uint8Array(Math.max(needed, arena.bytes.length * 2));
    grown.set(arena.bytes.subarray(0, arena.used));
    arena.bytes = grown;
  }
  const { written } = encoder.encodeInto(text, arena.bytes.subarray(arena.used));
  arena.start[row] = arena.used;
  arena.length[row] = written;
  arena.used += written;
}

/** Stores the UTF-8 bytes `bytes[start..end)` as the value of `row` (no decode/encode round trip). */
export function putUtf8Bytes(arena: Utf8ArenaBuilder, row: number, bytes: Buffer, start: number, end: number): void {
  const length = end - start;
  const needed = arena.used + length;
  if (needed > arena.bytes.length) {
    const grown = new Uint8Array(Math.max(needed, arena.bytes.length * 2));
    grown.set(arena.bytes.subarray(0, arena.used));
    arena.bytes = grown;
  }
  const target = arena.bytes;
  const at = arena.used;
  if (length < 64) for (let i = 0; i < length; i++) target[at + i] = bytes[start + i] as number;
  else bytes.copy(target, at, start, end);
  arena.start[row] = at;
  arena.length[row] = length;
  arena.used = needed;
}

/**
 * A utf8 vector of the first `rows` rows of an arena, in row order. An arena written in row order is used as is
 * (no copy); otherwise its values are gathered into row order.
 */
export function utf8Vector(arena: Utf8ArenaBuilder, rows: number): Vector<Utf8> {
  const offsets = new Int32Array(rows + 1);
  let total = 0;
  let inOrder = true;
  for (let row = 0; row < rows; row++) {
    offsets[row] = total;
    const length = arena.length[row] as number;
    if (length > 0) {
      if (arena.start[row] !== total) inOrder = false;
      total += length;
    }
  }
  offsets[rows] = total;
  let data: Uint8Array;
  if (inOrder) {
    data = arena.bytes.subarray(0, total);
  } else {
    data = new Uint8Array(total);
    const source = Buffer.from(arena.bytes.buffer, arena.bytes.byteOffset, arena.bytes.byteLength);
    for (let row = 0; row < rows; row++) {
      const length = arena.length[row] as number;
      if (length > 0) {
        const start = arena.start[row] as number;
        source.copy(data, offsets[row] as number, start, start + length);
      }
    }
  }
  const { nullCount, nullBitmap } = validityOf(arena.length, rows);
  return makeVector(
    makeData({
      type: new Utf8(),
      length: rows,
      nullCount,
      nullBitmap,
      valueOffsets: offsets,
      data,
    }),
  );
}

/** A fresh text column builder with room for `length` rows. */
export function createTextColumn(length: number): TextColumnBuilder {
  return { codes: new Int32Array(length).fill(-1), values: [], lookup: new Map() };
}

/** The dictionary code of `value`, adding it when new. */
export function codeOf(column: TextColumnBuilder, value: string): number {
  let code = column.lookup.get(value);
  if (code === undefined) {
    code = column.values.length;
    column.values.push(value);
    column.lookup.set(value, code);
  }
  return code;
}

/** The validity bitmap of the first `length` values, a negative code or length being null; none when none is null. */
function validityOf(values: Int32Array, length: number): { nullCount: number; nullBitmap: Uint8Array | undefined } {
  let first = 0;
  while (first < length && (values[first] as number) >= 0) first++;
  if (first === length) return { nullCount: 0, nullBitmap: undefined };
  const nullBitmap = new Uint8Array(Math.ceil(length / 8)).fill(0xff);
  let nullCount = 0;
  for (let i = first; i < length; i++) {
    if ((values[i] as number) < 0) {
      nullBitmap[i >> 3] = (nullBitmap[i >> 3] as number) & ~(1 << (i & 7));
      nullCount++;
    }
  }
  return { nullCount, nullBitmap };
}

/** The validity bitmap of floats, NaN being null; none when none is null. */
function validityOfFloats(values: Float64Array): { nullCount: number; nullBitmap: Uint8Array | undefined } {
  const length = values.length;
  let first = 0;
  while (first < length && !Number.isNaN(values[first])) first++;
  if (first === length) return { nullCount: 0, nullBitmap: undefined };
  const nullBitmap = new Uint8Array(Math.ceil(length / 8)).fill(0xff);
  let nullCount = 0;
  for (let i = first; i < length; i++) {
    if (Number.isNaN(values[i])) {
      nullBitmap[i >> 3] = (nullBitmap[i >> 3] as number) & ~(1 << (i & 7));
      nullCount++;
    }
  }
  return { nullCount, nullBitmap };
}

/** A float64 vector; NaN becomes null (the NaN stays in the value buffer). */
export function float64Vector(values: Float64Array): Vector<Float64> {
  const { nullCount, nullBitmap } = validityOfFloats(values);
  return makeVector(
    makeData({
      type: new Float64(),
      length: values.length,
      nullCount,
      nullBitmap,
      data: values,
    }),
  );
}

/** A float32 vector without nulls (feature values are imputed). */
export function float32Vector(values: Float32Array): Vector<Float32> {
  return makeVector(makeData({ type: new Float32(), length: values.length, nullCount: 0, data: values }));
}

/** An int32 vector without nulls. */
export function int32Vector(values: Int32Array): Vector<Int32> {
  return makeVector(makeData({ type: new Int32(), length: values.length, nullCount: 0, data: values }));
}

/** A dictionary-encoded utf8 vector from codes (-1 = null) and the dictionary. */
export function textVector(codes: Int32Array, values: readonly string[]): Vector<Dictionary<Utf8, Int32>> {
  const { nullCount, nullBitmap } = validityOf(codes, codes.length);
  const dictionary = vectorFromArray(values as string[], new Utf8());
  return makeVector(
    makeData({
      type: new Dictionary(new Utf8(), new Int32()),
      length: codes.length,
      nullCount,
      nullBitmap,
      data: codes,
      dictionary,
    }),
  );
}

/** The numbers of a float column as one typed array, with NaN for nulls; undefined when the column is absent. */
export function readFloatColumn(table: Table, name: string): Float64Array | Float32Array | undefined {
  const vector = table.getChild(name);
  if (vector === null) return undefined;
  const out = vector.type instanceof Float32 ? new Float32Array(vector.length) : new Float64Array(vector.length);
  let offset = 0;
  for (const chunk of vector.data) {
    const values = chunk.values as Float64Array | Float32Array;
    out.set(values.subarray(chunk.offset, chunk.offset + chunk.length), offset);
    const bitmap = chunk.nullBitmap;
    if (chunk.nullCount > 0 && bitmap) {
      for (let i = 0; i < chunk.length; i++) {
        const bit = chunk.offset + i;
        if (((bitmap[bit >> 3] as number) & (1 << (bit & 7))) === 0) out[offset + i] = Number.NaN;
      }
    }
    offset += chunk.length;
  }
  return out;
}

/**
 * `readFloatColumn` without the copy where it can: a single-chunk column whose null slots already hold NaN (every
 * table `loadFlowBench` builds) is its own value buffer, read-only by contract. Anything else is copied.
 */
export function viewFloatColumn(table: Table, name: string): Float64Array | Float32Array | undefined {
  const vector = table.getChild(name);
  if (vector === null) return undefined;
  const chunk = vector.data.length === 1 ? vector.data[0] : undefined;
  if (chunk === undefined || !(chunk.values instanceof Float64Array || chunk.values instanceof Float32Array)) {
    return readFloatColumn(table, name);
  }
  const values = chunk.values.subarray(chunk.offset, chunk.offset + chunk.length);
  const bitmap = chunk.nullBitmap;
  if (chunk.nullCount === 0 || !bitmap) return values;
  for (let i = 0; i < chunk.length; i++) {
    const bit = chunk.offset + i;
    const byte = bitmap[bit >> 3] as number;
    if (byte === 0xff && (bit & 7) === 0 && i + 8 <= chunk.length) {
      i += 7;
      continue;
    }
    if ((byte & (1 << (bit & 7))) === 0 && !Number.isNaN(values[i])) return readFloatColumn(table, name);
  }
  return values;
}

/** An int32 column as one typed array; undefined when the column is absent. */
export function readInt32Column(table: Table, name: string): Int32Array | undefined {
  const vector = table.getChild(name);
  if (vector === null) return undefined;
  const out = new Int32Array(vector.length);
  let offset = 0;
  for (const chunk of vector.data) {
    out.set((chunk.values as Int32Array).subarray(chunk.offset, chunk.offset + chunk.length), offset);
    offset += chunk.length;
  }
  return out;
}

/**
 * A text column (plain or dictionary-encoded) as strings, with `nullAs` (default null) for nulls; undefined when
 * absent. A dictionary-encoded column costs one pass over its codes: each string is the dictionary's own.
 */
export function readTextColumn(table: Table, name: string): Array<string | null> | undefined;
export function readTextColumn(table: Table, name: string, nullAs: string): string[] | undefined;
export function readTextColumn(
  table: Table,
  name: string,
  nullAs: string | null = null,
): Array<string | null> | undefined {
  const vector = table.getChild(name);
  if (vector === null) return undefined;
  const out = new Array<string | null>(vector.length);
  let offset = 0;
  for (const chunk of vector.data) {
    if (chunk.dictionary) {
      const dictionary = chunk.dictionary.toArray() as string[];
      const codes = chunk.values as Int32Array;
      const bitmap = chunk.nullCount > 0 ? chunk.nullBitmap : undefined;
      for (let i = 0; i < chunk.length; i++) {
        const bit = chunk.offset + i;
        const valid = bitmap === undefined || ((bitmap[bit >> 3] as number) & (1 << (bit & 7))) !== 0;
        out[offset + i] = valid ? (dictionary[codes[bit] as number] ?? nullAs) : nullAs;
      }
    } else {
      const strings = makeVector(chunk).toArray() as Array<string | null>;
      for (let i = 0; i < chunk.length; i++) out[offset + i] = strings[i] ?? nullAs;
    }
    offset += chunk.length;
  }
  return out;
}
