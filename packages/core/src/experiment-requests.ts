/*
 * The experiment-request file: the translation layer between the active learner, which writes it, and the
 * controller, which runs it (active-learning paper §3.2.2). Both sides validate it with the one function below, so the
 * shape a writer is allowed to produce is exactly the shape a reader accepts.
 */
import { type ErrorScope, ProteusError, scopedCode } from './proteus-error.js';

/** One experiment to run: `runs` executions of `workflow` with `anomaly` (at `level`) on `anomalousWorkers` workers. */
export interface ExperimentRequest {
  workflow: string;
  /** `normal`, a full name (`cpu_2`), or a family (`cpu`, `hdd`) completed by `level`. */
  anomaly: string;
  level?: number;
  /** How many workers get the anomaly (the controller draws them with its seed), or exactly which ones. */
  anomalousWorkers: number | string[];
  runs: number;
  /**
   * Per-job hints, recorded with the runs: the least confident `jobs` and their `confidence` (0..1); in pool-based
   * emulation also `runIds`, the pool runs the learner ranked most uncertain (a live controller ignores them).
   * Other keys are kept as they are.
   */
  hints?: { jobs?: string[]; confidence?: number[]; runIds?: string[]; [key: string]: unknown };
}

/** The request file: `{ id?, requests }`. `id` names the batch; a rerun with the same id resumes it. */
export interface ExperimentRequestFile {
  id?: string;
  requests: ExperimentRequest[];
}

/** One problem of a request file: where (`requests[0].runs`, empty for the root) and what is wrong there. */
export interface ExperimentRequestProblem {
  path: string;
  message: string;
}

/** Options of `validateExperimentRequestFile`. */
export interface ValidateExperimentRequestFileOptions {
  /** Names the input in the message (a path, `experiment requests` by default). */
  source?: string;
  /** Whose code to throw: `{ prefix: 'AL', where: 'active-learner' }` throws `PROTEUS_AL_INVALID_REQUESTS`. */
  scope?: ErrorScope;
}

const DEFAULTS = { source: 'experiment requests', scope: { prefix: 'CORE', where: 'core' } satisfies ErrorScope };
const FILE_KEYS = new Set(['id', 'requests']);
const REQUEST_KEYS = new Set(['workflow', 'anomaly', 'level', 'anomalousWorkers', 'runs', 'hints']);
const ID_PATTERN = /^[A-Za-z0-9._-]+$/;

/**
 * Validates an experiment-request file, listing every problem at once, and returns a fresh copy of it.
 * Extra keys are refused everywhere but in `hints`, whose known keys are checked and others kept.
 * @example const file = validateExperimentRequestFile(JSON.parse(text), { source: path });
 * @throws ProteusError PROTEUS_CORE_INVALID_REQUESTS (or `PROTEUS_<scope.prefix>_INVALID_REQUESTS`) with
 *   `details: ExperimentRequestProblem[]`
 */
export function validateExperimentRequestFile(
  input: unknown,
  options: ValidateExperimentRequestFileOptions = {},
): ExperimentRequestFile {
  const problems: ExperimentRequestProblem[] = [];
  const report = (path: string, message: string) => problems.push({ path, message });
  const file = checkFile(input, report);
  if (problems.length > 0 || file === undefined) {
    const scope = options.scope ?? DEFAULTS.scope;
    const source = options.source ?? DEFAULTS.source;
    const list = problems.map((problem) => `  - ${problem.path || '(root)'}: ${problem.message}`).join('\n');
    throw new ProteusError(
      scopedCode(scope, 'INVALID_REQUESTS'),
      `${scope.where}: ${source} has ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n${list}`,
      { details: problems },
    );
  }
  return file;
}

type Report = (path: string, message: string) => void;

function checkFile(input: unknown, report: Report): ExperimentRequestFile | undefined {
  if (!isRecord(input)) {
    report('', `expected an object { id?, requests: [...] }, got ${describe(input)}`);
    return undefined;
  }
  reportUnknownKeys(input, FILE_KEYS, '', report);
  const file: ExperimentRequestFile = { requests: [] };
  if (input.id !== undefined) {
    if (typeof input.id === 'string' && ID_PATTERN.test(input.id)) file.id = input.id;
    else report('id', `expected letters, digits, ".", "_" or "-" only, got ${describe(input.id)}`);
  }
  if (!Array.isArray(input.requests)) {
    report('requests', `expected an array of requests, got ${describe(input.requests)}`);
  } else if (input.requests.length === 0) {
    report('requests', 'expected at least one request, got an empty array');
  } else {
    input.requests.forEach((request: unknown, index) => {
      const checked = checkRequest(request, `requests[${index}]`, report);
      if (checked) file.requests.push(checked);
    });
  }
  return file;
}

function checkRequest(input: unknown, at: string, report: Report): ExperimentRequest | undefined {
  if (!isRecord(input)) {
    report(at, `expected a request object, got ${describe(input)}`);
    return undefined;
  }
  reportUnknownKeys(input, REQUEST_KEYS, at, report);
  const { workflow, anomaly, level, anomalousWorkers, runs, hints } = input;
  if (!isNonEmptyString(workflow)) report(`${at}.workflow`, `expected a workflow name, got ${describe(workflow)}`);
  if (!isNonEmptyString(anomaly)) {
    report(`${at}.anomaly`, `expected "normal", a name like "cpu_2" or a family like "cpu", got ${describe(anomaly)}`);
  }
  if (level !== undefined && !(isFiniteNumber(level) && level > 0)) {
    report(`${at}.level`, `expected a positive number, got ${describe(level)}`);
  }
  const workersOk = Array.isArray(anomalousWorkers)
    ? anomalousWorkers.length > 0 && anomalousWorkers.every(isNonEmptyString)
    : isInteger(anomalousWorkers) && anomalousWorkers >= 0;
  if (!workersOk) {
    report(
      `${at}.anomalousWorkers`,
      `expected a count (integer >= 0) or a non-empty list of worker names, got ${describe(anomalousWorkers)}`,
    );
  }
  if (!(isInteger(runs) && runs > 0)) report(`${at}.runs`, `expected a positive integer, got ${describe(runs)}`);
  if (hints !== undefined) checkHints(hints, `${at}.hints`, report);
  // The copy is only returned when no problem was reported, so the casts below hold by then.
  const request = { workflow, anomaly } as ExperimentRequest;
  if (level !== undefined) request.level = level as number;
  request.anomalousWorkers = Array.isArray(anomalousWorkers) ? [...anomalousWorkers] : (anomalousWorkers as number);
  request.runs = runs as number;
  if (hints !== undefined) request.hints = structuredClone(hints) as ExperimentRequest['hints'];
  return request;
}

function checkHints(hints: unknown, at: string, report: Report): void {
  if (!isRecord(hints)) {
    report(at, `expected an object such as { jobs: [...] }, got ${describe(hints)}`);
    return;
  }
  if (hints.jobs !== undefined && !(Array.isArray(hints.jobs) && hints.jobs.every((job) => typeof job === 'string'))) {
    report(`${at}.jobs`, `expected a list of job names, got ${describe(hints.jobs)}`);
  }
  const { confidence, runIds } = hints;
  if (
    confidence !== undefined &&
    !(Array.isArray(confidence) && confidence.every((c) => isFiniteNumber(c) && c >= 0 && c <= 1))
  ) {
    report(`${at}.confidence`, `expected a list of numbers in 0..1, got ${describe(confidence)}`);
  }
  if (runIds !== undefined && !(Array.isArray(runIds) && runIds.every(isNonEmptyString))) {
    report(`${at}.runIds`, `expected a list of run ids, got ${describe(runIds)}`);
  }
}

function reportUnknownKeys(input: Record<string, unknown>, known: ReadonlySet<string>, at: string, report: Report) {
  const unknown = Object.keys(input).filter((key) => !known.has(key));
  if (unknown.length > 0) {
    report(
      at,
      `unknown key${unknown.length === 1 ? '' : 's'} ${unknown.map((key) => `"${key}"`).join(', ')}; known: ${[...known].join(', ')}`,
    );
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isNonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0;
}

function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

function isInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value);
}

/** What was received, short enough for a message: `0`, `"has space"`, `an array of 2`, `null`. */
function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return value.length === 0 ? 'an empty array' : `an array of ${value.length}`;
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'number') return String(value);
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
