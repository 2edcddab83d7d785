import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createHttpClient, type HttpClientOptions, httpBodyOf, httpStatusOf, retryAfterMs } from './http-client.js';
import { type ErrorScope, isProteusError } from './proteus-error.js';
import { createRng } from './random.js';
import { createRedactor } from './redactor.js';

const scope: ErrorScope = { prefix: 'TEST', where: 'core/test' };
const FAST = { attempts: 3, baseDelayMs: 5, maxDelayMs: 20 };
const servers: Server[] = [];

/** A real loopback server answering with `reply(n)` for the n-th request (0-based). */
async function serve(reply: (n: number, req: IncomingMessage, res: ServerResponse, body: string) => void) {
  const seen: Array<{ method: string; url: string; body: string }> = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', body });
      reply(seen.length - 1, req, res, body);
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

function client(overrides: Partial<HttpClientOptions> = {}) {
  const redactor = createRedactor();
  return { redactor, http: createHttpClient({ scope, rng: createRng(3), redactor, retry: FAST, ...overrides }) };
}

afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

describe('createHttpClient', () => {
  it('sends JSON and parses a JSON answer; an empty body reads as undefined', async () => {
    const api = await serve((n, _req, res, body) => {
      res.writeHead(n === 0 ? 200 : 204, { 'content-type': 'application/json' });
      res.end(n === 0 ? JSON.stringify({ echo: JSON.parse(body) }) : '');
    });
    const { http } = client();
    const first = await http.request({ method: 'POST', url: `${api.url}/a`, json: { x: 1 }, idempotent: false });
    expect(first).toMatchObject({ status: 200, body: { echo: { x: 1 } } });
    const second = await http.request({ method: 'DELETE', url: `${api.url}/a`, idempotent: true });
    expect(second.body).toBeUndefined();
  });

  it('retries an idempotent request on 503 and 429, and succeeds', async () => {
    const api = await serve((n, _req, res) => {
      if (n === 0) res.writeHead(503).end('busy');
      else if (n === 1) res.writeHead(429, { 'retry-after': '1' }).end();
      else res.writeHead(200).end('{"ok":true}');
    });
    const { http } = client();
    expect((await http.request({ method: 'GET', url: api.url, idempotent: true })).body).toEqual({ ok: true });
    expect(api.seen).toHaveLength(3);
  });

  it('never repeats a request that is not idempotent: PROTEUS_<prefix>_HTTP_STATUS with status and body', async () => {
    const api = await serve((_n, _req, res) => res.writeHead(500).end('{"error":"boom"}'));
    const { http } = client();
    const error = await http.request({ method: 'POST', url: api.url, json: {}, idempotent: false }).catch((e) => e);
    expect(isProteusError(error, 'PROTEUS_TEST_HTTP_STATUS')).toBe(true);
    expect(httpStatusOf(error)).toBe(500);
    expect(httpBodyOf(error)).toContain('boom');
    expect(api.seen).toHaveLength(1);
    expect(httpStatusOf(new Error('x'))).toBeUndefined();
    expect(httpBodyOf(undefined)).toBe('');
  });

  it('throws PROTEUS_<prefix>_HTTP_TIMEOUT after every attempt hangs', async () => {
    const api = await serve(() => undefined);
    const { http } = client({ timeoutMs: 50 });
    const error = await http.request({ method: 'GET', url: api.url, idempotent: true }).catch((e) => e);
    expect(isProteusError(error, 'PROTEUS_TEST_HTTP_TIMEOUT')).toBe(true);
    expect(error.details.attempts).toBe(FAST.attempts);
    expect(api.seen).toHaveLength(FAST.attempts);
  });

  it('throws PROTEUS_<prefix>_HTTP_UNREACHABLE when nothing listens', async () => {
    const api = await serve(() => undefined);
    const closed = servers.pop() as Server;
    await new Promise((resolve) => closed.close(resolve));
    const { http } = client();
    const error = await http.request({ method: 'GET', url: api.url, idempotent: true }).catch((e) => e);
    expect(isProteusError(error, 'PROTEUS_TEST_HTTP_UNREACHABLE')).toBe(true);
  });

  it('throws PROTEUS_CORE_ABORTED when the signal fires during a request', async () => {
    const api = await serve(() => undefined);
    const { http } = client({ timeoutMs: 60_000 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 30);
    const request = http.request({ method: 'GET', url: api.url, idempotent: true, signal: controller.signal });
    expect(isProteusError(await request.catch((e) => e), 'PROTEUS_CORE_ABORTED')).toBe(true);
  });

  it('keeps secrets and query strings out of messages and details', async () => {
    const secret = 'tok-7f6e5d4c3b2a';
    const api = await serve((_n, _req, res) => res.writeHead(400).end(`{"echo":"${secret}"}`));
    const { http, redactor } = client();
    redactor.add(secret);
    const error = await http
      .request({ method: 'GET', url: `${api.url}/x/${secret}?token=${secret}`, idempotent: true })
      .catch((e) => e);
    const text = `${error.message} ${JSON.stringify(error.details)}`;
    expect(text).not.toContain(secret);
    expect(text).not.toContain('?token');
    expect(text).toContain('[REDACTED]');
  });

  it('reads Retry-After as delay-seconds or as an HTTP date', () => {
    const now = Date.parse('2026-10-21T07:27:30Z');
    expect(retryAfterMs('120', now)).toBe(120_000);
    expect(retryAfterMs('Wed, 21 Oct 2026 07:28:00 GMT', now)).toBe(30_000);
    expect(retryAfterMs('Wed, 21 Oct 2026 07:00:00 GMT', now)).toBe(0);
    for (const bad of [null, '', 'soon', '-5', '1.5']) expect(retryAfterMs(bad, now)).toBeUndefined();
  });

  it('honours an HTTP-date Retry-After: one far in the future ends the retries with the answer', async () => {
    const later = new Date(Date.now() + 3_600_000).toUTCString();
    const api = await serve((_n, _req, res) => res.writeHead(503, { 'retry-after': later }).end('maintenance'));
    const { http } = client();
    const error = await http.request({ method: 'GET', url: `${api.url}/x`, idempotent: true }).catch((e) => e);
    expect(isProteusError(error, 'PROTEUS_TEST_HTTP_STATUS')).toBe(true);
    expect(api.seen).toHaveLength(1);
    expect((error as { details: { retryAfterMs: number } }).details.retryAfterMs).toBeGreaterThan(3_000_000);
  });

  it('throws PROTEUS_<prefix>_HTTP_BODY_TOO_LARGE and stops reading a 200 MB body past the cap', async () => {
    const total = 200 * 1024 * 1024;
    let written = 0;
    let closed: () => void = () => {};
    const serverDone = new Promise<void>((resolve) => {
      closed = resolve;
    });
    const api = await serve((_n, _req, res) => {
      const chunk = Buffer.alloc(64 * 1024, 0x61);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.on('close', () => closed());
      const pump = (): void => {
        while (written < total && !res.destroyed) {
          written += chunk.length;
          if (!res.write(chunk)) {
            res.once('drain', pump);
            return;
          }
        }
        if (written >= total) res.end();
      };
      pump();
    });
    const { http } = client({ maxBodyBytes: 1024 * 1024 });
    const error = await http.request({ method: 'GET', url: `${api.url}/big`, idempotent: true }).catch((e) => e);
    expect(isProteusError(error, 'PROTEUS_TEST_HTTP_BODY_TOO_LARGE'), String(error)).toBe(true);
    await serverDone;
    // The client hung up: the server got to write a few socket buffers past the cap, not the 200 MB.
    expect(written).toBeLessThan(total / 4);
  });

  it('rejects a declared Content-Length above the cap without reading it, and bad options', async () => {
    const api = await serve((_n, _req, res) => {
      res.writeHead(200, { 'content-length': String(500 * 1024 * 1024) });
      res.write('{"partial":');
    });
    const { http } = client({ maxBodyBytes: 4096 });
    const error = await http.request({ method: 'GET', url: `${api.url}/big`, idempotent: true }).catch((e) => e);
    expect(isProteusError(error, 'PROTEUS_TEST_HTTP_BODY_TOO_LARGE')).toBe(true);
    for (const bad of [0, -1, Number.NaN, 2 ** 40]) {
      expect(() => client({ maxBodyBytes: bad })).toThrow(
        expect.objectContaining({ code: 'PROTEUS_CORE_INVALID_OPTIONS' }),
      );
      expect(() => client({ timeoutMs: bad })).toThrow(
        expect.objectContaining({ code: 'PROTEUS_CORE_INVALID_OPTIONS' }),
      );
    }
  });
});
