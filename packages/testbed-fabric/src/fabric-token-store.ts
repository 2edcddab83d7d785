import { readFile } from 'node:fs/promises';
import {
  type HttpClient,
  httpStatusOf,
  isProteusError,
  ProteusError,
  type Redactor,
  withFileLock,
  writeFileAtomic,
} from '@proteus-wf/core';

/** Options of {@link createFabricTokenStore}: the credential manager, the token file and the HTTP plumbing. */
export interface FabricTokenStoreOptions {
  /** Credential manager base, e.g. `https://cm.fabric-testbed.net/credmgr`. */
  credmgrUrl: string;
  /** Where the tokens are kept (FABlib's `~/.tokens.json` format); written with mode 0600, shared by processes. */
  tokenFile: string;
  /** Used when the token file does not exist yet (e.g. `FABRIC_REFRESH_TOKEN`). */
  refreshToken?: string;
  /** The FABRIC project the ID token is scoped to (`project_id`); the credential manager's default when absent. */
  projectId?: string;
  /** Sends the refresh request (never retried: the refresh token rotates). */
  http: HttpClient;
  /** Receives every token seen, so errors never show one. */
  redactor: Redactor;
  /** Cancels a refresh when `idToken()` is called without a signal of its own. */
  signal?: AbortSignal;
  /** An ID token is reused until this long before it expires (default 5 min). */
  expiryMarginMs?: number;
  /** How long to wait for another process that is refreshing (default 60 s). */
  lockTimeoutMs?: number;
  /** The clock (ms since the epoch); tests move it. */
  now?: () => number;
}

/** Hands out a valid FABRIC ID token, refreshing (and persisting the rotated refresh token) when needed. */
export interface FabricTokenStore {
  idToken(signal?: AbortSignal): Promise<string>;
  /** The API refused the current ID token (a 401): never hand it out again, so the next call refreshes. */
  invalidate(): void;
}

/** The fields of FABlib's token file that Proteus reads; any other field is kept as it is. */
interface TokenFile {
  id_token?: unknown;
  refresh_token?: unknown;
  created_at?: unknown;
  expires_at?: unknown;
  [field: string]: unknown;
}

interface IdToken {
  token: string;
  expiresAt: number;
}

const DEFAULTS = { expiryMarginMs: 5 * 60_000, lockTimeoutMs: 60_000, lockPollMs: 50 };

/**
 * Creates a token store over the credential manager's `POST tokens/refresh`, safe to use from several processes at
 * once. The ID token in `tokenFile` is reused until its expiry minus a margin (the file's `expires_at`, else the
 * JWT's `exp` claim, as fabrictestbed's `FabricManagerV2.ensure_valid_id_token` does). A refresh rotates the refresh
 * token, so it happens under a lock file (`<tokenFile>.lock`: pid, start time, host; a dead holder's lock is taken
 * over), re-reads the file first (another process may have just refreshed), and writes the new tokens atomically
 * (mode 0600) before the ID token is used. When the credential manager refuses the refresh token, the file is read
 * again and the refresh retried once with a token another client rotated in the meantime.
 * @example const tokens = createFabricTokenStore({ credmgrUrl, tokenFile: '~/.tokens.json', http, redactor })
 * @throws ProteusError PROTEUS_FABRIC_NO_CREDENTIALS, PROTEUS_FABRIC_TOKEN_REJECTED, PROTEUS_FABRIC_TOKEN_FILE_INVALID,
 *   PROTEUS_FABRIC_TOKEN_LOCKED
 */
export function createFabricTokenStore(options: FabricTokenStoreOptions): FabricTokenStore {
  const { redactor } = options;
  redactor.add(options.refreshToken);
  const margin = options.expiryMarginMs ?? DEFAULTS.expiryMarginMs;
  const now = options.now ?? Date.now;
  const rejected = new Set<string>();
  let cached: IdToken | undefined;
  let pending: Promise<IdToken> | undefined;

  const usable = (token: IdToken | undefined): token is IdToken =>
    token !== undefined && !rejected.has(token.token) && token.expiresAt - margin > now();

  const readTokenFile = async (): Promise<TokenFile | undefined> => {
    let text: string;
    try {
      text = await readFile(options.tokenFile, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    try {
      const parsed = JSON.parse(text) as unknown;
      if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
        const file = parsed as TokenFile;
        if (typeof file.refresh_token === 'string') redactor.add(file.refresh_token);
        if (typeof file.id_token === 'string') redactor.add(file.id_token);
        return file;
      }
    } catch {
      // Reported below.
    }
    throw new ProteusError(
      'PROTEUS_FABRIC_TOKEN_FILE_INVALID',
      `testbed-fabric/tokens: ${options.tokenFile} is not a JSON object. Download a new token file from the FABRIC portal.`,
    );
  };

  const idTokenOf = (file: TokenFile | undefined): IdToken | undefined => {
    if (typeof file?.id_token !== 'string' || file.id_token.length === 0) return undefined;
    const expiresAt = expiryOf(file.id_token, file.expires_at);
    return expiresAt === undefined ? undefined : { token: file.id_token, expiresAt };
  };

  const refreshTokenOf = (file: TokenFile | undefined): string => {
    if (typeof file?.refresh_token === 'string' && file.refresh_token.length > 0) return file.refresh_token;
    if (options.refreshToken) return options.refreshToken;
    throw new ProteusError(
      'PROTEUS_FABRIC_NO_CREDENTIALS',
      `testbed-fabric/tokens: no refresh token: ${options.tokenFile} has none and FABRIC_REFRESH_TOKEN is not set. ` +
        'Create a token at https://cm.fabric-testbed.net and save it there, or set FABRIC_REFRESH_TOKEN.',
    );
  };

  const refresh = async (file: TokenFile | undefined, signal?: AbortSignal): Promise<IdToken> => {
    const refreshToken = refreshTokenOf(file);
    const query = new URLSearchParams({ scope: 'all' });
    if (options.projectId) query.set('project_id', options.projectId);
    let body: unknown;
    try {
      const response = await options.http.request({
        method: 'POST',
        url: `${options.credmgrUrl}/tokens/refresh?${query}`,
        json: { refresh_token: refreshToken },
        // The refresh token rotates: a repeated request would present a token the server just retired.
        idempotent: false,
        signal,
      });
      body = response.body;
    } catch (error) {
      const status = httpStatusOf(error);
      if (status !== undefined && status >= 400 && status < 500) {
        throw new ProteusError(
          'PROTEUS_FABRIC_TOKEN_REJECTED',
          `testbed-fabric/tokens: the credential manager refused the refresh token (${status}); it has expired or was ` +
            'already used. Create a new token at https://cm.fabric-testbed.net and save it to ' +
            `${options.tokenFile} (or set FABRIC_REFRESH_TOKEN).`,
          { details: { status }, cause: redactor.sanitize(error) },
        );
      }
      throw error;
    }
    const token = (body as { data?: Array<Record<string, unknown>> } | undefined)?.data?.[0];
    const idToken = token?.id_token;
    const nextRefresh = token?.refresh_token;
    if (typeof idToken !== 'string' || typeof nextRefresh !== 'string') {
      throw new ProteusError(
        'PROTEUS_FABRIC_TOKEN_REJECTED',
        'testbed-fabric/tokens: the credential manager answered without data[0].id_token and refresh_token.',
      );
    }
    redactor.add(idToken);
    redactor.add(nextRefresh);
    // Persist first: from this moment on the old refresh token is dead.
    await writeFileAtomic(options.tokenFile, `${JSON.stringify({ ...file, ...token }, null, 2)}\n`, { mode: 0o600 });
    return { token: idToken, expiresAt: expiryOf(idToken, token?.expires_at) ?? now() + 60 * 60_000 };
  };

  const acquire = async (signal?: AbortSignal): Promise<IdToken> => {
    const onDisk = idTokenOf(await readTokenFile());
    if (usable(onDisk)) return onDisk;
    return withFileLock(
      `${options.tokenFile}.lock`,
      {
        timeoutMs: options.lockTimeoutMs ?? DEFAULTS.lockTimeoutMs,
        pollMs: DEFAULTS.lockPollMs,
        signal,
        code: 'PROTEUS_FABRIC_TOKEN_LOCKED',
        where: 'testbed-fabric/tokens',
      },
      async () => {
        // Another process may have refreshed while this one waited for the lock.
        const file = await readTokenFile();
        const fresh = idTokenOf(file);
        if (usable(fresh)) return fresh;
        try {
          return await refresh(file, signal);
        } catch (error) {
          if (!isProteusError(error) || error.code !== 'PROTEUS_FABRIC_TOKEN_REJECTED') throw error;
          // A client that does not take this lock (FABlib in a notebook) may have rotated the token meanwhile.
          const latest = await readTokenFile();
          const latestId = idTokenOf(latest);
          if (usable(latestId)) return latestId;
          if (refreshTokenOf(latest) === refreshTokenOf(file)) throw error;
          return await refresh(latest, signal);
        }
      },
    );
  };

  return {
    async idToken(signal) {
      if (usable(cached)) return cached.token;
      pending ??= acquire(signal ?? options.signal).finally(() => {
        pending = undefined;
      });
      cached = await pending;
      return cached.token;
    },
    invalidate() {
      if (cached) rejected.add(cached.token);
      cached = undefined;
    },
  };
}

/**
 * When an ID token expires, in ms since the epoch: the token file's `expires_at` (the credential manager's
 * `%Y-%m-%d %H:%M:%S %z`, or ISO 8601), else the JWT's `exp` claim; `undefined` when neither says.
 */
export function expiryOf(idToken: string, expiresAt: unknown): number | undefined {
  if (typeof expiresAt === 'string') {
    const fabricTime = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d(?:\.\d+)?) ?([+-]\d\d):?(\d\d)$/.exec(expiresAt.trim());
    const parsed = fabricTime
      ? Date.parse(`${fabricTime[1]}T${fabricTime[2]}${fabricTime[3]}:${fabricTime[4]}`)
      : Date.parse(expiresAt);
    if (Number.isFinite(parsed)) return parsed;
  }
  const payload = idToken.split('.')[1];
  if (payload === undefined) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { exp?: unknown };
    return typeof claims.exp === 'number' && Number.isFinite(claims.exp) ? claims.exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}
