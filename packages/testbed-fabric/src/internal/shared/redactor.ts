// NOTE: this folder is copied byte for byte into testbed-chameleon (testbeds never import each other);
// `test/shared-drift.test.ts` fails when the copies differ. See docs/decisions/testbeds-cloud.md.
import { isProteusError, ProteusError } from '@proteus-wf/core';

const MASK = '[REDACTED]';
const MIN_SECRET_LENGTH = 4;

/** Remembers every secret a testbed handles and masks them in any text that may reach a log, error or report. */
export interface Redactor {
  add(secret: string | undefined): void;
  redact(text: string): string;
  /** A ProteusError whose message, details and cause carry no known secret. */
  sanitize(error: unknown): unknown;
}

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
