import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/*
 * Loopback fakes of remote cloud APIs (the only thing Proteus tests fake). They follow the contracts in
 * ../shared/reference/testbeds.md §2 (FABRIC) and §3 (Chameleon), run real state machines, and let a test inject
 * faults: an HTTP status for the next N matching requests, a delay (for client timeouts), expired tokens.
 */

/** A request as a fake route sees it. */
export interface FakeRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: string;
  json(): Record<string, unknown>;
}

/** What a fake route answers. */
export interface FakeReply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface FakeFault {
  method?: string;
  path: RegExp;
  /** Answer this status instead of handling the request. */
  status?: number;
  body?: unknown;
  /** Wait this long before answering (longer than the client's timeout simulates a hung server). */
  delayMs?: number;
  /** With `delayMs`: handle the request first, then delay (the "create landed but the answer was lost" case). */
  process?: boolean;
  times: number;
}

/** A loopback HTTP server with fault injection, the base of the fakes. */
export interface FakeHttpServer {
  url: string;
  /** Every request, in order: `METHOD /path`. */
  requests: string[];
  inject(fault: FakeFault): void;
  close(): Promise<void>;
}

/** Starts a fake on 127.0.0.1 with an ephemeral port; `route` returns `undefined` for 404. */
export async function startFakeHttpServer(
  route: (request: FakeRequest) => FakeReply | undefined | Promise<FakeReply | undefined>,
): Promise<FakeHttpServer> {
  const requests: string[] = [];
  const faults: FakeFault[] = [];
  const send = (res: ServerResponse, reply: FakeReply): void => {
    if (res.destroyed) return;
    const text =
      reply.body === undefined ? '' : typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
    res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
    res.end(text);
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', async () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const body = Buffer.concat(chunks).toString('utf8');
      const request: FakeRequest = {
        method: req.method ?? 'GET',
        path: url.pathname,
        query: url.searchParams,
        headers: req.headers,
        body,
        json: () => (body ? (JSON.parse(body) as Record<string, unknown>) : {}),
      };
      requests.push(`${request.method} ${request.path}`);
      const fault = faults.find(
        (f) => f.times > 0 && (!f.method || f.method === request.method) && f.path.test(request.path),
      );
      try {
        if (fault) {
          fault.times--;
          if (fault.process) {
            const reply = (await route(request)) ?? { status: 404, body: { error: 'not found' } };
            await delay(fault.delayMs ?? 0);
            send(res, reply);
            return;
          }
          await delay(fault.delayMs ?? 0);
          if (fault.status !== undefined) {
            send(res, { status: fault.status, body: fault.body ?? { error: `injected ${fault.status}` } });
            return;
          }
        }
        send(
          res,
          (await route(request)) ?? { status: 404, body: { error: `no route ${request.method} ${request.path}` } },
        );
      } catch (error) {
        send(res, { status: 500, body: { error: (error as Error).message } });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    inject: (fault) => faults.push(fault),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function delay(ms: number): Promise<void> {
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}

export interface FakeFabricSliver {
  sliverId: string;
  name: string;
  site: string;
  state: string;
  mgmtIp: string;
  notice: string;
}

export interface FakeFabricSlice {
  sliceId: string;
  name: string;
  state: string;
  polls: number;
  leaseStartTime: string;
  leaseEndTime: string;
  graphml: string;
  sshKeys: string[];
  slivers: FakeFabricSliver[];
}

export interface FakeFabricOptions {
  /** The refresh token the fake accepts first; it rotates on every refresh. */
  refreshToken: string;
  /** GET slices/{id} polls spent in Configuring before the outcome. */
  configuringPolls?: number;
  /** How new slices end (`AllocatedOK`/`AllocatedError`: a future-dated slice, reserved or refused). */
  outcome?: 'StableOK' | 'StableError' | 'AllocatedOK' | 'AllocatedError';
  /** Root-cause notice of the first VM when the outcome is StableError. */
  errorNotice?: string;
  idTokenLifetimeMs?: number;
  /** Management IP of a VM; 10.30.<slice>.<vm> when absent. */
  mgmtIpFor?: (node: string) => string;
  /** The fake's clock for token times (ms since the epoch); tests that move the client's clock move this one too. */
  now?: () => number;
}

/** A fake FABRIC credential manager (`/credmgr`) and orchestrator (`/orchestrator`) on loopback. */
export interface FakeFabric extends FakeHttpServer {
  credmgrUrl: string;
  orchestratorUrl: string;
  options: Required<Omit<FakeFabricOptions, 'mgmtIpFor' | 'now'>> & Pick<FakeFabricOptions, 'mgmtIpFor' | 'now'>;
  /** The refresh token that is valid right now. */
  currentRefreshToken(): string;
  /** ID tokens handed out so far (all of them secrets). */
  issuedTokens: string[];
  refreshes: number;
  slices: FakeFabricSlice[];
  /** Slices that still hold resources (not Closing or Dead). */
  liveSlices(): FakeFabricSlice[];
  /** Make every ID token issued so far expired (the next call gets 401). */
  expireIdTokens(): void;
}

/**
 * Starts the FABRIC fake. Slices go Nascent -> Configuring -> StableOK | StableError (slivers Ticketed -> Active |
 * Failed with a notice; the other slivers get the cascade notice), renew moves the lease end, delete goes
 * Closing -> Dead.
 * @example const fabric = await startFakeFabric({ refreshToken: 'r0' }); ... await fabric.close();
 */
export async function startFakeFabric(options: FakeFabricOptions): Promise<FakeFabric> {
  const settings = {
    configuringPolls: 2,
    outcome: 'StableOK' as NonNullable<FakeFabricOptions['outcome']>,
    errorNotice: 'Insufficient resources : [core] on site STAR',
    idTokenLifetimeMs: 60 * 60_000,
    ...options,
  };
  const clock = (): number => (settings.now ?? Date.now)();
  let refreshToken = options.refreshToken;
  const validIdTokens = new Map<string, number>();
  const slices: FakeFabricSlice[] = [];
  const token = (prefix: string): string => `${prefix}-${randomBytes(12).toString('hex')}`;
  const live = (s: FakeFabricSlice): boolean => s.state !== 'Dead' && s.state !== 'Closing';

  const sliceDto = (s: FakeFabricSlice) => ({
    slice_id: s.sliceId,
    name: s.name,
    state: s.state,
    lease_start_time: s.leaseStartTime,
    lease_end_time: s.leaseEndTime,
    project_id: 'fake-project',
  });
  const sliverDto = (s: FakeFabricSlice, v: FakeFabricSliver) => ({
    sliver_id: v.sliverId,
    slice_id: s.sliceId,
    state: v.state,
    pending_state: 'None_',
    join_state: 'None_',
    notice: v.notice,
    sliver: { Name: v.name, Type: 'VM', Site: v.site, MgmtIp: v.mgmtIp, Capacities: '{}' },
  });
  const advance = (s: FakeFabricSlice): void => {
    s.polls++;
    if (s.state === 'Nascent') s.state = 'Configuring';
    else if (s.state === 'Configuring' && s.polls > settings.configuringPolls) {
      s.state = settings.outcome;
      s.slivers.forEach((v, i) => {
        if (settings.outcome === 'StableOK') {
          v.state = 'Active';
          return;
        }
        if (settings.outcome === 'AllocatedOK') {
          v.state = 'Ticketed';
          return;
        }
        v.state = 'Failed';
        v.mgmtIp = '';
        v.notice = i === 0 ? settings.errorNotice : `Closing reservation due to failure in slice ${s.sliceId}`;
      });
    } else if (s.state === 'Closing') s.state = 'Dead';
  };

  const server = await startFakeHttpServer((req) => {
    if (req.method === 'POST' && req.path === '/credmgr/tokens/refresh') {
      const presented = req.json().refresh_token;
      if (presented !== refreshToken) return { status: 401, body: { errors: [{ message: 'Invalid refresh token' }] } };
      fake.refreshes++;
      refreshToken = token('refresh');
      const created = new Date(clock());
      const expires = new Date(created.getTime() + settings.idTokenLifetimeMs);
      const idToken = signJwt({
        iss: 'https://cm.fabric-testbed.net/credmgr',
        sub: 'http://cilogon.org/serverE/users/0000',
        aud: 'cilogon:/client_id/fake',
        iat: Math.floor(created.getTime() / 1000),
        exp: Math.floor(expires.getTime() / 1000),
        scope: 'all',
        projects: [{ uuid: req.query.get('project_id') ?? 'fake-project', name: 'Fake project' }],
      });
      fake.issuedTokens.push(idToken);
      validIdTokens.set(idToken, expires.getTime());
      return {
        status: 200,
        body: {
          data: [
            {
              token_hash: randomBytes(32).toString('hex'),
              id_token: idToken,
              refresh_token: refreshToken,
              created_at: formatTime(created),
              expires_at: formatTime(expires),
              state: 'Valid',
              created_from: '127.0.0.1',
              comment: 'Refreshed via API',
            },
          ],
          size: 1,
          status: 200,
          type: 'token',
        },
      };
    }
    if (!req.path.startsWith('/orchestrator/')) return undefined;
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const expiry = bearer ? validIdTokens.get(bearer) : undefined;
    if (expiry === undefined || expiry < clock())
      return { status: 401, body: { errors: [{ message: 'Token expired or invalid' }] } };
    const path = req.path.slice('/orchestrator'.length);
    if (req.method === 'POST' && path === '/slices/creates') {
      const name = req.query.get('name') ?? '';
      if (slices.some((s) => s.name === name && live(s))) {
        return { status: 400, body: { errors: [{ message: `Slice ${name} already exists` }] } };
      }
      const body = req.json();
      const graphml = String(body.graph_model ?? '');
      const vms = parseVms(graphml);
      if (vms.length === 0) return { status: 400, body: { errors: [{ message: 'graph_model has no VM nodes' }] } };
      const index = slices.length + 1;
      const slice: FakeFabricSlice = {
        sliceId: `slice-${index}-${randomBytes(4).toString('hex')}`,
        name,
        state: 'Nascent',
        polls: 0,
        leaseStartTime: formatTime(new Date(clock())),
        leaseEndTime: formatTime(new Date(Date.now() + Number(req.query.get('lifetime') ?? 24) * 3_600_000)),
        graphml,
        sshKeys: (body.ssh_keys as string[]) ?? [],
        slivers: vms.map((vm, i) => ({
          sliverId: `sliver-${index}-${i}`,
          name: vm.name,
          site: vm.site,
          state: 'Ticketed',
          mgmtIp: settings.mgmtIpFor?.(vm.name) ?? `10.30.${index}.${i + 10}`,
          notice: '',
        })),
      };
      slices.push(slice);
      return { status: 200, body: { data: slice.slivers.map((v) => sliverDto(slice, v)) } };
    }
    if (req.method === 'GET' && path === '/slices') {
      const name = req.query.get('name');
      const states = req.query.getAll('states');
      const found = slices.filter(
        (s) => (!name || s.name === name) && (states.length === 0 || states.includes(s.state)),
      );
      return { status: 200, body: { data: found.map(sliceDto) } };
    }
    const one = /^\/slices\/([^/]+)$/.exec(path);
    if (req.method === 'GET' && one) {
      const slice = slices.find((s) => s.sliceId === one[1]);
      if (!slice) return { status: 404, body: { errors: [{ message: 'slice not found' }] } };
      advance(slice);
      return { status: 200, body: { data: [sliceDto(slice)] } };
    }
    if (req.method === 'GET' && path === '/slivers') {
      const slice = slices.find((s) => s.sliceId === req.query.get('slice_id'));
      if (!slice) return { status: 404, body: { errors: [{ message: 'slice not found' }] } };
      return { status: 200, body: { data: slice.slivers.map((v) => sliverDto(slice, v)) } };
    }
    const renew = /^\/slices\/renew\/([^/]+)$/.exec(path);
    if (req.method === 'POST' && renew) {
      const slice = slices.find((s) => s.sliceId === renew[1] && live(s));
      if (!slice) return { status: 404, body: { errors: [{ message: 'slice not found' }] } };
      const end = req.query.get('lease_end_time') ?? '';
      if (!/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{4}$/.test(end)) {
        return { status: 400, body: { errors: [{ message: `bad lease_end_time ${end}` }] } };
      }
      slice.leaseEndTime = end;
      return { status: 200, body: { data: [] } };
    }
    const del = /^\/slices\/delete\/([^/]+)$/.exec(path);
    if (req.method === 'DELETE' && del) {
      const slice = slices.find((s) => s.sliceId === del[1] && live(s));
      if (!slice) return { status: 404, body: { errors: [{ message: 'slice not found' }] } };
      slice.state = 'Closing';
      for (const v of slice.slivers) v.state = 'Closed';
      return { status: 200, body: { data: [] } };
    }
    return undefined;
  });

  const fake: FakeFabric = {
    ...server,
    credmgrUrl: `${server.url}/credmgr`,
    orchestratorUrl: `${server.url}/orchestrator`,
    options: settings,
    currentRefreshToken: () => refreshToken,
    issuedTokens: [],
    refreshes: 0,
    slices,
    liveSlices: () => slices.filter(live),
    expireIdTokens() {
      for (const key of validIdTokens.keys()) validIdTokens.set(key, 0);
    },
  };
  return fake;
}

/** The VM NetworkNodes of a FIM GraphML request (Class NetworkNode, Type VM). */
export function parseVms(graphml: string): Array<{ name: string; site: string; capacities: string; image: string }> {
  const vms: Array<{ name: string; site: string; capacities: string; image: string }> = [];
  for (const match of graphml.matchAll(/<node id="[^"]+">([\s\S]*?)<\/node>/g)) {
    const data = new Map<string, string>();
    for (const d of (match[1] as string).matchAll(/<data key="([^"]+)">([^<]*)<\/data>/g)) {
      data.set(
        d[1] as string,
        (d[2] as string)
          .replaceAll('&quot;', '"')
          .replaceAll('&lt;', '<')
          .replaceAll('&gt;', '>')
          .replaceAll('&amp;', '&'),
      );
    }
    if (data.get('Class') === 'NetworkNode' && data.get('Type') === 'VM') {
      vms.push({
        name: data.get('Name') ?? '',
        site: data.get('Site') ?? '',
        capacities: data.get('Capacities') ?? '',
        image: data.get('ImageRef') ?? '',
      });
    }
  }
  return vms;
}

/** A JWT-shaped ID token (`header.claims.signature`, base64url) like the credential manager's, with a random signature. */
function signJwt(claims: Record<string, unknown>): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'RS256', typ: 'JWT', kid: 'fake' })}.${part(claims)}.${randomBytes(48).toString('base64url')}`;
}

function formatTime(date: Date): string {
  return `${date.toISOString().slice(0, 19).replace('T', ' ')} +0000`;
}
