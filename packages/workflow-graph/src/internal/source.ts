/** The file name without folders and extension, or undefined for in-memory sources like `<adjacency>`. */
export function stemOf(path: string | undefined): string | undefined {
  if (path === undefined || path.startsWith('<')) return undefined;
  const base = path.split(/[\\/]/).pop() ?? path;
  const stem = base.replace(/\.[^.]*$/, '');
  return stem === '' ? undefined : stem;
}

/** 1-based line and column of a character offset. */
export function lineColumnAt(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(Math.max(offset, 0), text.length);
  for (let i = 0; i < end; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: end - lineStart + 1 };
}
