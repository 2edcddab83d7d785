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

/** A JSON-over-HTTP client with retries, deadlines and redaction (Node's global fetch, no dependency). */
export interface HttpClient {
  /** Sends a request; resolves for 2xx, throws `PROTEUS_<prefix>_HTTP_STATUS` (details.status, body) otherwise. */
  request(request: HttpRequest): Promise<HttpResponse>;
}

const RETRIABLE_STATUS = new Set([429, 500, 502, 503, 504]);
const BODY_EXCERPT = 500;

const DEFAULTS = { timeoutMs: 30_000 };

/**
 * Creates the HTTP client cloud testbeds talk to their APIs with. Idempotent requests are retried on 429, 500, 502,
 * 503, 504, timeouts and connection errors with {@link backoffDelay} (or the server's `Retry-After`); a request that
 * is not idempotent is sent once. Every message and detail passes through the redactor; query strings are dropped.
 * @example
 * const http = createHttpClient({ scope: { prefix: 'FABRIC', where: 'testbed-fabric' }, rng: createRng(1), redactor });
 * const { body } = await http.request({ method: 'GET', url: `${api}/slices`, idempotent: true, signal });
 * @throws ProteusError (from `request`) PROTEUS_<prefix>_HTTP_STATUS, PROTEUS_<prefix>_HTTP_TIMEOUT,
 *   PROTEUS_<prefix>_HTTP_UNREACHABLE, PROTEUS_CORE_ABORTED
 */
export function createHttpClient(options: HttpClientOptions): HttpClient {
  const retry = options.retry ?? DEFAULT_RETRY;
  const timeoutMs = options.timeoutMs ?? DEFAULTS.timeoutMs;
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
          text = await response.text();
        } catch (error) {
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
        if (RETRIABLE_STATUS.has(response.status) && attempt + 1 < attempts) {
          const retryAfter = Number(response.headers.get('retry-after'));
          const delay =
            Number.isFinite(retryAfter) && retryAfter > 0
              ? Math.min(retry.maxDelayMs, retryAfter * 1000)
              : backoffDelay(retry, attempt, options.rng);
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
