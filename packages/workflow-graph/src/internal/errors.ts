import { ProteusError, type ProteusErrorCode } from '@proteus-wf/core';

/** Every code this package throws. */
export type GraphErrorCode =
  | 'PROTEUS_GRAPH_CYCLE'
  | 'PROTEUS_GRAPH_UNKNOWN_DEPENDENCY'
  | 'PROTEUS_GRAPH_DUPLICATE_JOB'
  | 'PROTEUS_GRAPH_DUPLICATE_EDGE'
  | 'PROTEUS_GRAPH_INVALID_JOB_NAME'
  | 'PROTEUS_GRAPH_EMPTY'
  | 'PROTEUS_GRAPH_UNKNOWN_JOB'
  | 'PROTEUS_GRAPH_MALFORMED_JSON'
  | 'PROTEUS_GRAPH_MALFORMED_YAML'
  | 'PROTEUS_GRAPH_MALFORMED_XML'
  | 'PROTEUS_GRAPH_MALFORMED_DAG'
  | 'PROTEUS_GRAPH_UNKNOWN_FORMAT'
  | 'PROTEUS_GRAPH_READ_FAILED'
  | 'PROTEUS_GRAPH_INVALID_OPTION';

export function graphError(
  code: GraphErrorCode & ProteusErrorCode,
  message: string,
  options: { details?: unknown; cause?: unknown } = {},
): ProteusError {
  return new ProteusError(code, message, options);
}

/** Quotes a user value for a message, shortened so a huge input cannot flood a terminal. */
export function quote(value: unknown, max = 80): string {
  let text: string;
  try {
    text = typeof value === 'string' ? JSON.stringify(value) : (JSON.stringify(value) ?? String(value));
  } catch {
    text = String(value);
  }
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** A short description of what a JSON value is, for "got ..." in messages. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${quote(value, 40)}`;
}
