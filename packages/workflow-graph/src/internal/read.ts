import { describeValue, graphError } from './errors.js';

/** Narrowing helpers for untrusted JSON/YAML values; each failure names its path. */
export type ErrorCode = 'PROTEUS_GRAPH_MALFORMED_JSON' | 'PROTEUS_GRAPH_MALFORMED_YAML';

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Maps a path like `$.jobs[3].id` to a 1-based line and column in the source text, when known. */
export type Locate = (path: string) => { line: number; column: number } | undefined;

export class ValueReader {
  constructor(
    readonly code: ErrorCode,
    readonly where: string,
    readonly locate: Locate = () => undefined,
  ) {}

  fail(path: string, expected: string, value: unknown, hint = ''): never {
    const at = this.locate(path);
    const location = at === undefined ? '' : ` (line ${at.line}, column ${at.column})`;
    throw graphError(
      this.code,
      `${this.where}: expected ${expected} at ${path}${location}, got ${describeValue(value)}.${hint ? ` ${hint}` : ''}`,
      { details: { path, ...at } },
    );
  }

  record(value: unknown, path: string, hint?: string): Record<string, unknown> {
    if (!isRecord(value)) this.fail(path, 'an object', value, hint);
    return value;
  }

  array(value: unknown, path: string): unknown[] {
    if (!Array.isArray(value)) this.fail(path, 'an array', value);
    return value;
  }

  optionalArray(value: unknown, path: string): unknown[] {
    return value === undefined || value === null ? [] : this.array(value, path);
  }

  string(value: unknown, path: string): string {
    if (typeof value !== 'string' || value === '') this.fail(path, 'a non-empty string', value);
    return value;
  }

  optionalString(value: unknown, path: string): string | undefined {
    return value === undefined || value === null ? undefined : this.string(value, path);
  }

  /** A string, or a number/boolean written as one (YAML turns `id: 001` into a number). */
  scalar(value: unknown, path: string): string {
    if (typeof value === 'number' || typeof value === 'boolean') return String(value);
    return this.string(value, path);
  }

  stringList(value: unknown, path: string): string[] {
    return this.optionalArray(value, path).map((item, i) => this.scalar(item, `${path}[${i}]`));
  }
}

/** Splits `$.jobs[3]["odd key"].id` into `['jobs', 3, 'odd key', 'id']`. */
export function splitPath(path: string): Array<string | number> {
  const keys: Array<string | number> = [];
  const pattern = /\.([^.[\]]+)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]/g;
  for (const match of path.matchAll(pattern)) {
    if (match[1] !== undefined) keys.push(match[1]);
    else if (match[2] !== undefined) keys.push(Number(match[2]));
    else if (match[3] !== undefined) keys.push(JSON.parse(match[3]) as string);
  }
  return keys;
}
