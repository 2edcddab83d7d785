import * as yaml from 'yaml';
import { pegasusError } from './internal/errors.js';

/* Kickstart 3.0 records (testbeds.md §4.5): the YAML that pegasus-kickstart writes to each job's `.out.NNN` file. */

/** Options of {@link parseKickstart}. */
export interface ParseKickstartOptions {
  /** Where the text came from, for messages. */
  source?: string;
}

/** One kickstart invocation record: where and how long a task ran, and its I/O counters. */
export interface KickstartRecord {
  hostname: string;
  transformation: string;
  executable: string;
  argv: string[];
  userSeconds: number;
  systemSeconds: number;
  exitCode: number;
  bytesRead: number;
  bytesWritten: number;
  readSyscalls?: number;
  writeSyscalls?: number;
  /** When kickstart started the job (epoch seconds, `start`), if the record says. */
  start?: number;
  /** How long kickstart ran (seconds, `duration`), if the record says. */
  duration?: number;
}

/**
 * Reads a kickstart 3.0 `.out.NNN` file (YAML): one record, or a list of records for a clustered job. CPU seconds
 * come from `mainjob.usage`, I/O counters are summed over `mainjob.procs`, the exit code is `regular_exitcode` (else
 * derived from `raw`).
 * @example parseKickstart(await readFile('00/00/preprocess_ID0000001.out.000', 'utf8'))[0]?.hostname
 * @throws ProteusError PROTEUS_PEGASUS_MALFORMED_KICKSTART when the text is not YAML (with line and column)
 */
export function parseKickstart(text: string, options: ParseKickstartOptions = {}): KickstartRecord[] {
  // PegasusLite appends more YAML documents (integrity checks, ...) after a `---...pegasus-multipart` line; only
  // the invocation records (those with a `mainjob`) describe the job.
  const parts = text.split(MULTIPART);
  const records = parts.flatMap((part, i) => {
    const document = readYaml(part, options.source ?? '<kickstart>', i);
    const list = Array.isArray(document) ? document : document === null || document === undefined ? [] : [document];
    return i === 0 ? list : list.filter((record) => isMap(record) && isMap(record.mainjob));
  });
  return records.filter(isMap).map((record) => {
    const main = asMap(record.mainjob);
    const usage = asMap(main.usage);
    const status = asMap(main.status);
    const executable = asMap(main.executable);
    const procs = main.procs;
    const procList = Array.isArray(procs)
      ? procs.filter(isMap)
      : isMap(procs)
        ? Object.values(procs).filter(isMap)
        : [];
    const sum = (key: string): number | undefined =>
      procList.length === 0 ? undefined : procList.reduce((total, proc) => total + num(proc[key]), 0);
    const regular = status.regular_exitcode;
    const raw = num(status.raw);
    return {
      hostname: str(record.hostname),
      transformation: str(record.transformation),
      executable: str(executable.file_name),
      argv: Array.isArray(main.argument_vector) ? main.argument_vector.map((arg) => String(arg)) : [],
      userSeconds: num(usage.utime),
      systemSeconds: num(usage.stime),
      exitCode: typeof regular === 'number' ? regular : raw === 0 ? 0 : raw >> 8 || 1,
      bytesRead: sum('rchar') ?? 0,
      bytesWritten: sum('wchar') ?? 0,
      ...(sum('syscr') === undefined ? {} : { readSyscalls: sum('syscr') as number }),
      ...(sum('syscw') === undefined ? {} : { writeSyscalls: sum('syscw') as number }),
      ...timesOf(record),
    };
  });
}

const MULTIPART = /^-+pegasus-multipart[ \t]*\r?$/m;

function readYaml(text: string, source: string, part: number): unknown {
  const where = `pegasus/parseKickstart (${source}${part > 0 ? `, multipart part ${part + 1}` : ''})`;
  // Kickstart writes YAML 1.1-style booleans (`invocation: True`); the core schema reads them, and a repeated key
  // (which kickstart does not emit) is tolerated rather than losing the whole record.
  const document = yaml.parseDocument(text, { uniqueKeys: false });
  const first = document.errors[0];
  if (first) {
    const [line, column] = first.linePos?.[0] ? [first.linePos[0].line, first.linePos[0].col] : [0, 0];
    throw pegasusError(
      'PROTEUS_PEGASUS_MALFORMED_KICKSTART',
      `${where}: malformed YAML at line ${line}, column ${column}: ${first.message.split('\n')[0]}. ` +
        'Is this a kickstart 3.0 record (.out.NNN)?',
      { details: { line, column, code: first.code }, cause: first },
    );
  }
  return document.toJS();
}

function timesOf(record: Record<string, unknown>): { start?: number; duration?: number } {
  const start = record.start instanceof Date ? record.start.getTime() : Date.parse(String(record.start ?? ''));
  const duration = typeof record.duration === 'number' ? record.duration : Number.NaN;
  return {
    ...(Number.isFinite(start) ? { start: start / 1000 } : {}),
    ...(Number.isFinite(duration) ? { duration } : {}),
  };
}

function isMap(value: unknown | undefined): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function asMap(value: unknown | undefined): Record<string, unknown> {
  return isMap(value) ? value : {};
}

function num(value: unknown | undefined): number {
  return typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) || 0 : 0;
}

function str(value: unknown | undefined): string {
  return value === undefined || value === null ? '' : String(value);
}
