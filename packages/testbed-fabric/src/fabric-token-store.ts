import { readFile } from 'node:fs/promises';
import { type HttpClient, httpStatusOf, ProteusError, type Redactor, writeFileAtomic } from '@proteus-wf/core';

/** Options of {@link createFabricTokenStore}: the credential manager, the token file and the HTTP plumbing. */
export interface FabricTokenStoreOptions {
  /** Credential manager base, e.g. `https://cm.fabric-testbed.net/credmgr`. */
  credmgrUrl: string;
  /** Where the rotating refresh token is kept (FABlib's `~/.tokens.json` format); written with mode 0600. */
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
}

/** Hands out a valid FABRIC ID token, refreshing (and persisting the rotated refresh token) when needed. */
export interface FabricTokenStore {
  idToken(signal?: AbortSignal): Promise<string>;
  /** Forget the cached ID token (after a 401), so the next call refreshes. */
  invalidate(): void;
}

/** Refresh this long before the ID token's `expires_at`. */
const EXPIRY_MARGIN_MS = 5 * 60_000;

/**
 * Creates a token store over the credential manager's `POST tokens/refresh`. The refresh token rotates on every
 * refresh, so the new one is written to `tokenFile` (atomically, mode 0600) before the ID token is used; a crash
 * after the refresh therefore never strands the user with a dead refresh token.
 * @example const tokens = createFabricTokenStore({ credmgrUrl, tokenFile: '~/.tokens.json', http, redactor })
 * @throws ProteusError PROTEUS_FABRIC_NO_CREDENTIALS, PROTEUS_FABRIC_TOKEN_REJECTED, PROTEUS_FABRIC_TOKEN_FILE_INVALID
 */
export function createFabricTokenStore(options: FabricTokenStoreOptions): FabricTokenStore {
  const { redactor } = options;
  redactor.add(options.refreshToken);
  let cached: { token: string; expiresAt: number } | undefined;
  let refreshing: Promise<string> | undefined;

  const readRefreshToken = async (): Promise<string> => {
    let text: string | undefined;
    try {
      text = await readFile(options.tokenFile, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    if (text !== undefined) {
      let parsed: { refresh_token?: unknown };
      try {
        parsed = JSON.parse(text) as { refresh_token?: unknown };
      } catch {
        throw new ProteusError(
          'PROTEUS_FABRIC_TOKEN_FILE_INVALID',
          `testbed-fabric/tokens: ${options.tokenFile} is not JSON. Download a new token file from the FABRIC portal.`,
        );
      }
      if (typeof parsed.refresh_token === 'string' && parsed.refresh_token.length > 0) {
        redactor.add(parsed.refresh_token);
        return parsed.refresh_token;
      }
    }
    if (options.refreshToken) return options.refreshToken;
    throw new ProteusError(
      'PROTEUS_FABRIC_NO_CREDENTIALS',
      `testbed-fabric/tokens: no refresh token: ${options.tokenFile} has none and FABRIC_REFRESH_TOKEN is not set. ` +
        'Create a token at https://cm.fabric-testbed.net and save it there, or set FABRIC_REFRESH_TOKEN.',
    );
  };

  const refresh = async (signal?: AbortSignal): Promise<string> => {
    const refreshToken = await readRefreshToken();
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
    await writeFileAtomic(
      options.tokenFile,
      `${JSON.stringify({ id_token: idToken, refresh_token: nextRefresh, created_at: token?.created_at, expires_at: token?.expires_at }, null, 2)}\n`,
      { mode: 0o600 },
    );
    const expiresAt = typeof token?.expires_at === 'string' ? Date.parse(token.expires_at) : Number.NaN;
    cached = { token: idToken, expiresAt: Number.isFinite(expiresAt) ? expiresAt : Date.now() + 60 * 60_000 };
    return idToken;
  };

  return {
    async idToken(signal) {
      if (cached && cached.expiresAt - EXPIRY_MARGIN_MS > Date.now()) return cached.token;
      refreshing ??= refresh(signal ?? options.signal).finally(() => {
        refreshing = undefined;
      });
      return refreshing;
    },
    invalidate() {
      cached = undefined;
    },
  };
}
