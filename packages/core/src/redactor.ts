import { isProteusError, ProteusError } from './proteus-error.js';

const MASK = '[REDACTED]';
/** Shorter values (an empty project id, "yes") would mask ordinary words all over a message. */
const MIN_SECRET_LENGTH = 4;

/**
 * Secrets recognised by their shape, for values no component was told about (an older ID token from a token file, a
 * token a proxy echoes back). Each rule keeps its label (`Bearer `, `"refresh_token": "`) and masks the value.
 */
const SECRET_PATTERNS: ReadonlyArray<readonly [RegExp, string]> = [
  // Authorization headers of any scheme, as text or as JSON/JS object fields.
  [/\b(authorization["']?\s*[:=]\s*["']?(?:(?:bearer|basic|token)\s+)?)[^\s"',}\\]+/gi, `$1${MASK}`],
  [/\b(bearer\s+)[A-Za-z0-9\-._~+/]{8,}=*/gi, `$1${MASK}`],
  // OpenStack token headers (Keystone's X-Subject-Token answer, the X-Auth-Token of every call).
  [/\b(x-(?:auth|subject)-token["']?\s*[:=]\s*["']?)[^\s"',}\\]+/gi, `$1${MASK}`],
  // JSON and form fields named token or *_token (id_token, refresh_token, access_token), and secrets/passwords.
  [/("(?:[\w-]*_)?(?:token|secret|password)"\s*:\s*")(?:[^"\\]|\\.)*(")/gi, `$1${MASK}$2`],
  [/\b((?:[\w-]*_)?(?:token|secret|password)=)[^&\s"'\\]+/gi, `$1${MASK}`],
  // JWTs (header.claims.signature, the header always starts with `{"` = `eyJ`).
  [/\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g, MASK],
  // CILogon refresh tokens as FABRIC hands them out (base32 of "https://cilogon.org/...") and in clear.
  [/\bNB2HI4DTHIXS6[A-Z2-7]{8,}=*/g, MASK],
  [/https?:\/\/cilogon\.org\/oauth2\/(?:refreshToken|idToken|accessToken)\/[^\s"',}\\]+/gi, MASK],
  // Keystone Fernet tokens.
  [/\bgAAAAA[A-Za-z0-9_-]{20,}=*/g, MASK],
];

/**
 * Masks every secret recognised by its shape: Authorization/Bearer values, `X-Auth-Token` and `X-Subject-Token`
 * headers, JSON and form fields named `token`, `*_token`, `*_secret`, `password`, JWTs, CILogon refresh tokens and
 * Keystone tokens. The CLI passes everything it prints through it; {@link Redactor.redact} applies it too.
 * @example redactSecrets('Authorization: Bearer eyJhbGciOi...') // 'Authorization: Bearer [REDACTED]'
 * @throws never
 */
export function redactSecrets(text: string): string {
  let out = text;
  for (const [pattern, replacement] of SECRET_PATTERNS) out = out.replace(pattern, replacement);
  return out;
}

/** Remembers every secret a component handles and masks them in any text that may reach a log, error or report. */
export interface Redactor {
  /** Remembers a secret; `undefined` and values shorter than 4 characters are ignored. */
  add(secret: string | undefined): void;
  /** The text with every known secret, and every secret {@link redactSecrets} recognises, replaced by `[REDACTED]`. */
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
    return redactSecrets(out);
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
