/** Every Proteus error code: `PROTEUS_<PACKAGE>_<WHAT>`. */
export type ProteusErrorCode = `PROTEUS_${Uppercase<string>}`;

/** The optional third argument of `new ProteusError`: structured `details` and the underlying `cause`. */
export interface ProteusErrorOptions {
  details?: unknown;
  cause?: unknown;
}

const BRAND = Symbol.for('@proteus-wf/core/ProteusError');

/**
 * The one error class of Proteus. `code` names the problem; `message` says where, what was received, and the fix.
 * @example throw new ProteusError('PROTEUS_FEATURES_COLUMN_MISSING', 'features/loadFlowBench: column "ready" missing in run0001.csv')
 */
export class ProteusError extends Error {
  readonly code: ProteusErrorCode;
  readonly details?: unknown;
  readonly [BRAND] = true;

  constructor(code: ProteusErrorCode, message: string, options: ProteusErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ProteusError';
    this.code = code;
    if (options.details !== undefined) this.details = options.details;
  }

  toJSON(): { name: string; code: ProteusErrorCode; message: string; details?: unknown } {
    return { name: this.name, code: this.code, message: this.message, details: this.details };
  }
}

/**
 * Brand check that works across duplicated copies of `@proteus-wf/core` in one process.
 * @example if (isProteusError(err, 'PROTEUS_CORE_ABORTED')) return;
 */
export function isProteusError(value: unknown, code?: ProteusErrorCode): value is ProteusError {
  if (typeof value !== 'object' || value === null) return false;
  if ((value as Record<symbol, unknown>)[BRAND] !== true) return false;
  return code === undefined || (value as ProteusError).code === code;
}

/**
 * Whose error codes a shared helper throws: `prefix` makes `PROTEUS_<prefix>_<WHAT>`, `where` starts the message.
 * A testbed passes its own scope, so a user of `@proteus-wf/testbed-fabric` sees `PROTEUS_FABRIC_HTTP_STATUS`.
 * @example const scope: ErrorScope = { prefix: 'FABRIC', where: 'testbed-fabric' };
 */
export interface ErrorScope {
  prefix: Uppercase<string>;
  where: string;
}

/**
 * The code `PROTEUS_<scope.prefix>_<what>`.
 * @example scopedCode({ prefix: 'FABRIC', where: 'testbed-fabric' }, 'HTTP_STATUS') // 'PROTEUS_FABRIC_HTTP_STATUS'
 * @throws never
 */
export function scopedCode(scope: ErrorScope, what: Uppercase<string>): ProteusErrorCode {
  return `PROTEUS_${scope.prefix}_${what}`;
}
