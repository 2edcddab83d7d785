import { backoffDelay, DEFAULT_RETRY, type RetryPolicy, sleep } from './backoff.js';
import { type ErrorScope, ProteusError, scopedCode } from './proteus-error.js';
import type { Rng } from './random.js';
import type { Redactor } from './redactor.js';

/** Options of {@link createHttpClient}. */
export interface HttpClientOptions {
  /** Whose codes the client throws: `PROTEUS_<prefix>_HTTP_STATUS`, `_HTTP_TIMEOUT`, `_HTTP_UNREACHABLE`. */
  scope: ErrorScope;
  /** Drives the backoff jitter (fork the caller's seeded Rng). */
  rng: Rng;
  /** Masks secrets in URLs, messages and body excerpts of errors. */
  redactor: Redactor;
  /** Default {@link DEFAULT_RETRY}. */
  retry?: RetryPolicy;
  /** Deadline of one attempt (default 30 s). */
  timeoutMs?: number;
  /**
   * Largest response body read, in bytes (default 16 MiB): a longer one is cut off and thrown as
   * `PROTEUS_<prefix>_HTTP_BODY_TOO_LARGE`, so a broken or hostile endpoint cannot fill the memory.
   */
  maxBodyBytes?: number;
}

/** One call of {@link HttpClient.request}. */
export interface HttpRequest {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  url: string;
  headers?: Record<string, string>;
  json?: unknown;
  text?: string;
  /**
   * Whether repeating the call is harmless. Only idempotent calls are retried on 429, 5xx, timeouts and
   * connection errors; a create is never repeated blindly (the caller looks it up by name instead).
   */
  idempotent: boolean;
  signal?: AbortSignal;
}

/** A 2xx answer. */
export interface HttpResponse {
  status: number;
  headers: Headers;
  text: string;
  /** The parsed JSON body, or `undefined` when the body is empty or not JSON. */
  body: unknown;
}

/** A JSON-over-HTTP client with retries, deadlines, a body size cap and redaction (Node's global fetch, no dependency). */
export interface HttpClient {
  /** Sends a request; resolves for 2xx, throws `PROTEUS_<prefix>_HTTP_STATUS` (details.status, body) otherwise. */
  request(request: HttpRequest): Promise<HttpResponse>;
}

const RETRIABLE_STATUS = new Set([429, 500, 502, 503, 504]);
const BODY_EXCERPT = 500;
/** The longest `Retry-After` pause honoured (5 min); a longer one ends the retries with the server's answer. */
const MAX_RETRY_AFTER_MS = 5 * 60_000;

const DEFAULTS = { timeoutMs: 30_000, maxBodyBytes: 16 * 1024 * 1024 };

/**
 * Creates the HTTP client cloud testbeds talk to their APIs with. Idempotent requests are retried on 429, 500, 502,
 * 503, 504, timeouts and connection errors with {@link backoffDelay}, or after the server's `Retry-After` (seconds
 * or an HTTP date, up to 5 min; a longer one is reported, not waited for); a request that is not idempotent is sent
 * once. Bodies are read up to `maxBodyBytes`. Every message and detail passes through the redactor; query strings
 * are dropped.
 * @example
 * const http = createHttpClient({ scope: { prefix: 'FABRIC', where: 'testbed-fabric' }, rng: createRng(1), redactor });
 * const { body } = await http.request({ method: 'GET', url: `${api}/slices`, idempotent: true, signal });
 * @throws ProteusError (from `request`) PROTEUS_<prefix>_HTTP_STATUS, PROTEUS_<prefix>_HTTP_TIMEOUT,
 *   PROTEUS_<prefix>_HTTP_UNREACHABLE, PROTEUS_<prefix>_HTTP_BODY_TOO_LARGE, PROTEUS_CORE_ABORTED;
 *   (from `createHttpClient`) PROTEUS_CORE_INVALID_OPTIONS for a timeout or body cap that is not a positive integer
 */
export function createHttpClient(options: HttpClientOptions): HttpClient {
  const retry = options.retry ?? DEFAULT_RETRY;
  const timeoutMs = options.timeoutMs ?? DEFAULTS.timeoutMs;
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULTS.maxBodyBytes;
  for (const [name, value, max] of [
    ['timeoutMs', timeoutMs, 2 ** 31 - 1],
    ['maxBodyBytes', maxBodyBytes, 2 ** 30],
  ] as const) {
    if (!Number.isInteger(value) || value < 1 || value > max) {
      throw new ProteusError(
        'PROTEUS_CORE_INVALID_OPTIONS',
        `core/createHttpClient: ${name} must be an integer from 1 to ${max} (got ${value}).`,
        { details: { option: name, value: String(value) } },
      );
    }
  }
  const { scope, redactor } = options;
  const code = (what: Uppercase<string>) => scopedCode(scope, what);

  return {
    async request(request) {
      const label = `${request.method} ${redactor.redact(stripQuery(request.url))}`;
      const headers: Record<string, string> = { accept: 'application/json', ...request.headers };
      let body: string | undefined;
      if (request.json !== undefined) {
        body = JSON.stringify(request.json);
        headers['content-type'] = 'application/json';
      } else if (request.text !== undefined) {
        body = request.text;
        headers['content-type'] ??= 'text/plain';
      }
      const attempts = request.idempotent ? Math.max(1, retry.attempts) : 1;
      let lastProblem = '';
      for (let attempt = 0; attempt < attempts; attempt++) {
        if (request.signal?.aborted) {
          throw new ProteusError('PROTEUS_CORE_ABORTED', `${scope.where}: ${label} aborted`, {
            cause: request.signal.reason,
          });
        }
        const attemptSignal = request.signal
          ? AbortSignal.any([request.signal, AbortSignal.timeout(timeoutMs)])
          : AbortSignal.timeout(timeoutMs);
        let response: Response;
        let text: string;
        try {
          response = await fetch(request.url, { method: request.method, headers, body, signal: attemptSignal });
          text = await readBodyCapped(response, maxBodyBytes);
        } catch (error) {
          if (error instanceof BodyTooLarge) {
            throw new ProteusError(
              code('HTTP_BODY_TOO_LARGE'),
              `${scope.where}: ${label} answered a body of more than ${maxBodyBytes} bytes` +
                `${error.declared === undefined ? '' : ` (Content-Length ${error.declared})`}; it was not read. ` +
                'Check the endpoint URL (a proxy or a wrong service answers like this), or narrow the query.',
              { details: { method: request.method, url: redactor.redact(stripQuery(request.url)), maxBodyBytes } },
            );
          }
          if (request.signal?.aborted) {
            throw new ProteusError('PROTEUS_CORE_ABORTED', `${scope.where}: ${label} aborted`, {
              cause: request.signal.reason,
            });
          }
          const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
          lastProblem = timedOut ? `no answer within ${timeoutMs} ms` : `connection failed (${describe(error)})`;
          if (attempt + 1 < attempts) {
            await sleep(backoffDelay(retry, attempt, options.rng), { signal: request.signal, where: scope.where });
            continue;
          }
          throw new ProteusError(
            code(timedOut ? 'HTTP_TIMEOUT' : 'HTTP_UNREACHABLE'),
            redactor.redact(
              `${scope.where}: ${label}: ${lastProblem} after ${attempt + 1} attempt(s). ` +
                'Check the endpoint URL and your network, then run the command again (it resumes by name).',
            ),
            {
              details: { method: request.method, url: redactor.redact(stripQuery(request.url)), attempts: attempt + 1 },
            },
          );
        }
        if (response.ok) return { status: response.status, headers: response.headers, text, body: parseJson(text) };
        const retryAfter = retryAfterMs(response.headers.get('retry-after'), Date.now());
        // A server that asks for a longer pause than a command should sit through gets its answer reported instead.
        const retryAfterTooLong = retryAfter !== undefined && retryAfter > MAX_RETRY_AFTER_MS;
        if (RETRIABLE_STATUS.has(response.status) && attempt + 1 < attempts && !retryAfterTooLong) {
          const delay = retryAfter ?? backoffDelay(retry, attempt, options.rng);
          await sleep(delay, { signal: request.signal, where: scope.where });
          continue;
        }
        const excerpt = redactor.redact(text.slice(0, BODY_EXCERPT));
        throw new ProteusError(
          code('HTTP_STATUS'),
          `${scope.where}: ${label} answered ${response.status} after ${attempt + 1} attempt(s): ${excerpt || '(empty body)'}`,
          {
            details: {
              method: request.method,
              url: redactor.redact(stripQuery(request.url)),
              status: response.status,
              body: excerpt,
              attempts: attempt + 1,
              ...(retryAfter === undefined ? {} : { retryAfterMs: retryAfter }),
            },
          },
        );
      }
      // Unreachable: the loop either returns or throws on its last attempt.
      throw new ProteusError(code('HTTP_UNREACHABLE'), `${scope.where}: ${label}: ${lastProblem}`);
    },
  };
}

/**
 * The HTTP status of a `PROTEUS_<prefix>_HTTP_STATUS` error, or `undefined` for any other error.
 * @example if (httpStatusOf(error) === 404) return undefined;
 * @throws never
 */
export function httpStatusOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const details = (error as { details?: unknown }).details;
  if (typeof details !== 'object' || details === null) return undefined;
  const status = (details as { status?: unknown }).status;
  return typeof status === 'number' ? status : undefined;
}

/**
 * The (redacted) response body excerpt kept in a `PROTEUS_<prefix>_HTTP_STATUS` error; `''` for any other error.
 * @example if (httpBodyOf(error).includes('not enough hosts available')) throw noHosts(error);
 * @throws never
 */
export function httpBodyOf(error: unknown): string {
  if (typeof error !== 'object' || error === null) return '';
  const details = (error as { details?: unknown }).details;
  if (typeof details !== 'object' || details === null) return '';
  const body = (details as { body?: unknown }).body;
  return typeof body === 'string' ? body : '';
}

/**
 * The wait a `Retry-After` header asks for, in ms: delay-seconds (`120`) or an HTTP date
 * (`Wed, 21 Oct 2026 07:28:00 GMT`, RFC 9110 §10.2.3) relative to `now`; `undefined` when absent or unreadable.
 * @example retryAfterMs('Wed, 21 Oct 2026 07:28:00 GMT', Date.parse('2026-10-21T07:27:30Z')) // 30000
 * @throws never
 */
export function retryAfterMs(header: string | null | undefined, now: number): number | undefined {
  const value = header?.trim();
  if (!value) return undefined;
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const at = Date.parse(value);
  if (!Number.isFinite(at) || !/[A-Za-z]/.test(value)) return undefined;
  return Math.max(0, at - now);
}

class BodyTooLarge extends Error {
  constructor(readonly declared: number | undefined) {
    super('body too large');
  }
}

/** Reads the body as text, stopping (and cancelling the stream) once it passes `maxBytes`. */
async function readBodyCapped(response: Response, maxBytes: number): Promise<string> {
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) {
    await response.body?.cancel().catch(() => undefined);
    throw new BodyTooLarge(declared);
  }
  if (!response.body) return '';
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let received = 0;
  let text = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    received += value.byteLength;
    if (received > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw new BodyTooLarge(undefined);
    }
    text += decoder.decode(value, { stream: true });
  }
  return text + decoder.decode();
}

function parseJson(text: string): unknown {
  if (text.length === 0) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function stripQuery(url: string): string {
  const index = url.indexOf('?');
  return index === -1 ? url : url.slice(0, index);
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
    return `${error.message}${cause}`;
  }
  return String(error);
}
