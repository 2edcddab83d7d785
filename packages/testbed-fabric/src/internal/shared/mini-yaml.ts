/**
 * A small YAML reader for the block-style documents Pegasus writes (kickstart 3.0 records, braindump.yml):
 * nested mappings, sequences (of scalars or of mappings), quoted and plain scalars, `|`/`>` block scalars.
 * Flow collections other than `[]`/`{}` and anchors are not supported (Pegasus does not emit them).
 */
export type YamlValue = string | number | boolean | null | YamlValue[] | { [key: string]: YamlValue };

interface Line {
  indent: number;
  text: string;
  raw: string;
}

export function parseYaml(source: string): YamlValue {
  const lines: Line[] = [];
  for (const raw of source.split(/\r?\n/)) {
    const text = raw.trim();
    if (text === '' || text.startsWith('#') || text === '---' || text === '...') {
      lines.push({ indent: -1, text: '', raw });
      continue;
    }
    lines.push({ indent: raw.length - raw.trimStart().length, text, raw });
  }
  const state = { i: 0 };
  skipBlank(lines, state);
  if (state.i >= lines.length) return null;
  return parseBlock(lines, state, (lines[state.i] as Line).indent);
}

function skipBlank(lines: Line[], state: { i: number }): void {
  while (state.i < lines.length && (lines[state.i] as Line).indent === -1) state.i++;
}

function isSequenceItem(text: string): boolean {
  return text === '-' || text.startsWith('- ');
}

function parseBlock(lines: Line[], state: { i: number }, indent: number): YamlValue {
  const line = lines[state.i] as Line;
  return isSequenceItem(line.text) ? parseSequence(lines, state, indent) : parseMapping(lines, state, indent);
}

function parseSequence(lines: Line[], state: { i: number }, indent: number): YamlValue[] {
  const items: YamlValue[] = [];
  for (;;) {
    skipBlank(lines, state);
    const line = lines[state.i];
    if (!line || line.indent !== indent || !isSequenceItem(line.text)) return items;
    const rest = line.text.slice(1).trimStart();
    if (rest === '') {
      state.i++;
      skipBlank(lines, state);
      const next = lines[state.i];
      items.push(next && next.indent > indent ? parseBlock(lines, state, next.indent) : null);
    } else if (splitKey(rest) !== undefined) {
      // "- key: value" opens a mapping whose keys sit where "key" starts.
      const inner = indent + (line.text.length - rest.length);
      lines[state.i] = { indent: inner, text: rest, raw: line.raw };
      items.push(parseMapping(lines, state, inner));
    } else {
      state.i++;
      items.push(parseScalar(rest));
    }
  }
}

function parseMapping(lines: Line[], state: { i: number }, indent: number): { [key: string]: YamlValue } {
  const map: { [key: string]: YamlValue } = {};
  for (;;) {
    skipBlank(lines, state);
    const line = lines[state.i];
    if (!line || line.indent !== indent || isSequenceItem(line.text)) return map;
    const pair = splitKey(line.text);
    if (pair === undefined) {
      state.i++;
      continue;
    }
    const [key, value] = pair;
    state.i++;
    if (/^[|>][-+0-9]*$/.test(value)) {
      map[key] = readBlockScalar(lines, state, indent, value.startsWith('>'));
    } else if (value === '') {
      skipBlank(lines, state);
      const next = lines[state.i];
      if (next && next.indent > indent) map[key] = parseBlock(lines, state, next.indent);
      else if (next && next.indent === indent && isSequenceItem(next.text))
        map[key] = parseSequence(lines, state, indent);
      else map[key] = null;
    } else {
      map[key] = parseScalar(value);
    }
  }
}

function readBlockScalar(lines: Line[], state: { i: number }, indent: number, folded: boolean): string {
  const body: string[] = [];
  let blockIndent = -1;
  while (state.i < lines.length) {
    const line = lines[state.i] as Line;
    if (line.indent !== -1 && line.indent <= indent) break;
    if (line.indent !== -1 && blockIndent === -1) blockIndent = line.indent;
    body.push(line.indent === -1 ? '' : line.raw.slice(blockIndent));
    state.i++;
  }
  while (body.length > 0 && body[body.length - 1] === '') body.pop();
  return folded ? body.join(' ') : `${body.join('\n')}\n`;
}

function splitKey(text: string): [string, string] | undefined {
  let key: string;
  let rest: string;
  if (text.startsWith('"') || text.startsWith("'")) {
    const end = text.indexOf(text[0] as string, 1);
    if (end === -1 || text[end + 1] !== ':') return undefined;
    key = text.slice(1, end);
    rest = text.slice(end + 2);
  } else {
    const match = /^([^:#]+?):(?:\s+|$)/.exec(text);
    if (!match) return undefined;
    key = (match[1] as string).trim();
    rest = text.slice(match[0].length);
  }
  return [key, stripComment(rest).trim()];
}

function stripComment(value: string): string {
  if (value.startsWith('"') || value.startsWith("'")) return value;
  const index = value.search(/\s#/);
  return index === -1 ? value : value.slice(0, index);
}

function parseScalar(value: string): YamlValue {
  if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) {
    try {
      return JSON.parse(value) as string;
    } catch {
      return value.slice(1, -1);
    }
  }
  if (value.startsWith("'") && value.endsWith("'") && value.length >= 2)
    return value.slice(1, -1).replaceAll("''", "'");
  if (value === '[]') return [];
  if (value === '{}') return {};
  if (/^(true|True|TRUE)$/.test(value)) return true;
  if (/^(false|False|FALSE)$/.test(value)) return false;
  if (/^(null|Null|NULL|~)$/.test(value)) return null;
  if (/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(value)) return Number(value);
  return value;
}
