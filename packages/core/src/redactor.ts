import { isProteusError, ProteusError } from './proteus-error.js';

const MASK = '[REDACTED]';
/** Shorter values (an empty project id, "yes") would mask ordinary words all over a message. */
const MIN_SECRET_LENGTH = 4;

/** Remembers every secret a component handles and masks them in any text that may reach a log, error or report. */
export interface Redactor {
  /** Remembers a secret; `undefined` and values shorter than 4 characters are ignored. */
  add(secret: string | undefined): void;
  /** The text with every known secret replaced by `[REDACTED]`. */
  redact(text: string): string;
  /** A copy of the error whose message, details and cause carry no known secret (a ProteusError keeps its code). */
  sanitize(error: unknown): unknown;
}

/**
 * Creates an empty {@link Redactor}. Testbeds add tokens, credentials and pool passwords as they learn them and pass
 * every message, error body and thrown error through it.
 * @example
 * const redactor = createRedactor();
 * redactor.add(process.env.FABRIC_REFRESH_TOKEN);
 * throw redactor.sanitize(error);
 * @throws never
 */
export function createRedactor(): Redactor {
  const secrets = new Set<string>();
  const redact = (text: string): string => {
    let out = text;
    // Longest first, so a secret that contains another is masked whole.
    for (const secret of [...secrets].sort((a, b) => b.length - a.length)) out = out.split(secret).join(MASK);
    return out;
  };
  return {
    add(secret) {
      if (secret !== undefined && secret.length >= MIN_SECRET_LENGTH) secrets.add(secret);
    },
    redact,
    sanitize(error) {
      if (!isProteusError(error)) {
        if (error instanceof Error) {
          const clean = new Error(redact(error.message));
          clean.name = error.name;
          return clean;
        }
        return error;
      }
      const details = error.details === undefined ? undefined : JSON.parse(redact(JSON.stringify(error.details)));
      const cause = error.cause instanceof Error ? new Error(redact(error.cause.message)) : undefined;
      return new ProteusError(error.code, redact(error.message), { details, cause });
    },
  };
}
