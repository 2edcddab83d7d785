import { type HttpClient, httpBodyOf, httpStatusOf, ProteusError, type Redactor } from '@proteus-wf/core';

/** Options of {@link createKeystoneSession}: the application credential, the region and the HTTP plumbing. */
export interface KeystoneSessionOptions {
  /** `OS_AUTH_URL`, e.g. `https://chi.uc.chameleoncloud.org:5000/v3`. */
  authUrl: string;
  /** `OS_APPLICATION_CREDENTIAL_ID`. */
  credentialId: string;
  /** `OS_APPLICATION_CREDENTIAL_SECRET`. */
  credentialSecret: string;
  /** Catalog region (the site name, e.g. `CHI@UC`); the first public endpoint of a service when absent. */
  region?: string;
  /** Sends the Keystone request (timeouts and retries are its own). */
  http: HttpClient;
  /** Receives the credential secret, so errors never show it. */
  redactor: Redactor;
  /** Re-authenticate this many ms before `expires_at` (default 5 min). */
  refreshMarginMs?: number;
}

/** A Keystone v3 token plus its service catalog, refreshed before it expires. */
export interface KeystoneSession {
  token(signal?: AbortSignal): Promise<string>;
  /** Public endpoint URL of a catalog service type (`reservation`, `compute`, `network`, `image`). */
  endpoint(type: string, signal?: AbortSignal): Promise<string>;
  /** Forget the token (after a 401) so the next call authenticates again. */
  invalidate(): void;
}

interface CatalogEntry {
  type: string;
  endpoints: Array<{ interface: string; region?: string; region_id?: string; url: string }>;
}

/**
 * The Keystone v3 base of `OS_AUTH_URL`: itself when it ends in `/v3`, otherwise the v3 entry of Keystone's version
 * discovery document (`GET <auth_url>` answers 300 with `versions.values[].links[rel=self]`), as keystoneauth does.
 */
async function resolveIdentityUrl(options: KeystoneSessionOptions, signal?: AbortSignal): Promise<string> {
  const base = options.authUrl.replace(/\/+$/, '');
  if (/\/v3$/.test(base)) return base;
  const problem = (found: string, cause?: unknown): ProteusError =>
    new ProteusError(
      'PROTEUS_CHAMELEON_AUTH_URL_INVALID',
      `testbed-chameleon/keystone: OS_AUTH_URL ${options.authUrl} does not end in /v3 and ${found}. Set OS_AUTH_URL ` +
        "to the site's Keystone v3 URL, e.g. https://chi.uc.chameleoncloud.org:5000/v3 (the openrc file of the site has it).",
      { details: { authUrl: options.authUrl }, ...(cause === undefined ? {} : { cause }) },
    );
  let document: unknown;
  try {
    document = (await options.http.request({ method: 'GET', url: base, idempotent: true, signal })).body;
  } catch (error) {
    // Keystone answers version discovery with 300 Multiple Choices, which the client reports as a status error.
    if (httpStatusOf(error) !== 300) throw problem('version discovery at that URL failed', error);
    try {
      document = JSON.parse(httpBodyOf(error));
    } catch {
      document = undefined;
    }
  }
  const versions = (document as { versions?: { values?: unknown } } | undefined)?.versions?.values;
  const single = (document as { version?: unknown } | undefined)?.version;
  const entries = (Array.isArray(versions) ? versions : single ? [single] : []) as Array<{
    id?: unknown;
    status?: unknown;
    links?: Array<{ rel?: unknown; href?: unknown }>;
  }>;
  const v3 = entries.find((v) => typeof v.id === 'string' && v.id.startsWith('v3') && v.status !== 'deprecated');
  const href = v3?.links?.find((l) => l.rel === 'self')?.href;
  if (typeof href !== 'string') throw problem('its version discovery lists no Identity v3 endpoint');
  return href.replace(/\/+$/, '');
}

/**
 * Authenticates with an application credential (`POST {auth_url}/auth/tokens`): the token is the
 * `X-Subject-Token` header, endpoints come from `token.catalog`, and the token is renewed before `expires_at`.
 * @example const session = createKeystoneSession({ authUrl, credentialId, credentialSecret, region: 'CHI@UC', http, redactor })
 * An `authUrl` without `/v3` is resolved through Keystone's version discovery first.
 * @throws ProteusError PROTEUS_CHAMELEON_AUTH_FAILED, PROTEUS_CHAMELEON_AUTH_URL_INVALID, PROTEUS_CHAMELEON_NO_ENDPOINT
 */
export function createKeystoneSession(options: KeystoneSessionOptions): KeystoneSession {
  const { redactor } = options;
  redactor.add(options.credentialSecret);
  const margin = options.refreshMarginMs ?? 5 * 60_000;
  let current: { token: string; expiresAt: number; catalog: CatalogEntry[] } | undefined;
  let pending: Promise<NonNullable<typeof current>> | undefined;

  let identityUrl: Promise<string> | undefined;
  const authenticate = async (signal?: AbortSignal): Promise<NonNullable<typeof current>> => {
    identityUrl ??= resolveIdentityUrl(options, signal).catch((error: unknown) => {
      identityUrl = undefined;
      throw error;
    });
    const url = `${await identityUrl}/auth/tokens`;
    let response: Awaited<ReturnType<HttpClient['request']>>;
    try {
      response = await options.http.request({
        method: 'POST',
        url,
        json: {
          auth: {
            identity: {
              methods: ['application_credential'],
              application_credential: { id: options.credentialId, secret: options.credentialSecret },
            },
          },
        },
        // Issuing a token creates nothing that needs releasing, so repeating it is harmless.
        idempotent: true,
        signal,
      });
    } catch (error) {
      const status = httpStatusOf(error);
      if (status === 401 || status === 403 || status === 404) {
        throw new ProteusError(
          'PROTEUS_CHAMELEON_AUTH_FAILED',
          `testbed-chameleon/keystone: ${options.authUrl} refused application credential ${options.credentialId} (${status}). ` +
            'Check OS_AUTH_URL (the site of the credential) and that the credential has not expired; create a new one in the ' +
            'Chameleon dashboard (Identity > Application Credentials).',
          { details: { status }, cause: redactor.sanitize(error) },
        );
      }
      throw error;
    }
    const token = response.headers.get('x-subject-token');
    const body = response.body as { token?: { expires_at?: string; catalog?: CatalogEntry[] } } | undefined;
    if (!token || !body?.token) {
      throw new ProteusError(
        'PROTEUS_CHAMELEON_AUTH_FAILED',
        `testbed-chameleon/keystone: ${url} answered without an X-Subject-Token header or a token body.`,
      );
    }
    redactor.add(token);
    const expiresAt = Date.parse(body.token.expires_at ?? '');
    return {
      token,
      expiresAt: Number.isFinite(expiresAt) ? expiresAt : Date.now() + 60 * 60_000,
      catalog: body.token.catalog ?? [],
    };
  };

  const session = async (signal?: AbortSignal): Promise<NonNullable<typeof current>> => {
    if (current && current.expiresAt - margin > Date.now()) return current;
    pending ??= authenticate(signal).finally(() => {
      pending = undefined;
    });
    current = await pending;
    return current;
  };

  return {
    async token(signal) {
      return (await session(signal)).token;
    },
    async endpoint(type, signal) {
      const { catalog } = await session(signal);
      const entry = catalog.find((c) => c.type === type);
      const endpoint = entry?.endpoints.find(
        (e) =>
          e.interface === 'public' &&
          (!options.region || e.region === options.region || e.region_id === options.region),
      );
      if (!endpoint) {
        throw new ProteusError(
          'PROTEUS_CHAMELEON_NO_ENDPOINT',
          `testbed-chameleon/keystone: the catalog has no public "${type}" endpoint${options.region ? ` in region ${options.region}` : ''} ` +
            `(services: ${catalog.map((c) => c.type).join(', ') || 'none'}). Check the topology's chameleon.site.`,
        );
      }
      return endpoint.url.replace(/\/$/, '');
    },
    invalidate() {
      current = undefined;
    },
  };
}
