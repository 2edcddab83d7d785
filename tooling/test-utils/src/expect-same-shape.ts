/**
 * Differences between a documented JSON answer (a transcript from a real client's docs) and a fake's answer: every
 * key the document has must be present with the same JSON type, recursively (array items pairwise), and strings in
 * a documented time format (`2030-01-01 10:00:00 +0000`, `2030-12-26 12:00`, ISO 8601) must use the same format.
 * Returns the list of differences (empty when the fake follows the contract).
 */
export function shapeDifferences(documented: unknown, actual: unknown, path = '$'): string[] {
  const kind = (value: unknown): string => (Array.isArray(value) ? 'array' : value === null ? 'null' : typeof value);
  if (kind(documented) !== kind(actual)) return [`${path}: documented ${kind(documented)}, got ${kind(actual)}`];
  if (Array.isArray(documented)) {
    const items = actual as unknown[];
    if (documented.length > 0 && items.length === 0)
      return [`${path}: documented ${documented.length} item(s), got none`];
    return documented.flatMap((item, i) => (i < items.length ? shapeDifferences(item, items[i], `${path}[${i}]`) : []));
  }
  if (typeof documented === 'string') {
    const format = TIME_FORMATS.find((f) => f.test(documented));
    return format && !format.test(actual as string)
      ? [`${path}: documented time format of "${documented}", got "${String(actual)}"`]
      : [];
  }
  if (kind(documented) !== 'object') return [];
  const got = actual as Record<string, unknown>;
  return Object.entries(documented as Record<string, unknown>).flatMap(([key, value]) =>
    key in got ? shapeDifferences(value, got[key], `${path}.${key}`) : [`${path}.${key}: missing`],
  );
}

const TIME_FORMATS = [
  /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{4}$/,
  /^\d{4}-\d\d-\d\d \d\d:\d\d$/,
  /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z$/,
];
