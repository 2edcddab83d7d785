import {
  type HttpClient,
  type HttpRequest,
  type HttpResponse,
  httpStatusOf,
  type LongOperationOptions,
  ProteusError,
  reportProgress,
  sleep,
  throwIfAborted,
} from '@proteus-wf/core';
import type { FabricTokenStore } from './fabric-token-store.js';

/** A slice as `GET slices` returns it. */
export interface SliceInfo {
  sliceId: string;
  name: string;
  state: string;
  leaseEndTime?: string;
  leaseStartTime?: string;
}

/** A sliver (one reserved resource) of a slice. */
export interface SliverInfo {
  sliverId: string;
  name: string;
  type: string;
  site?: string;
  state: string;
  mgmtIp?: string;
  notice?: string;
}

/** Options of {@link createOrchestratorClient}: where the orchestrator is, and the tokens and HTTP client it uses. */
export interface OrchestratorClientOptions {
  /** Orchestrator base, e.g. `https://orchestrator.fabric-testbed.net`. */
  url: string;
  /** Supplies the bearer ID token; invalidated and asked again once after a 401. */
  tokens: FabricTokenStore;
  /** Sends every request (timeouts, retries of idempotent calls). */
  http: HttpClient;
}

export interface WaitForSliceOptions extends LongOperationOptions {
  pollIntervalMs: number;
  timeoutMs: number;
}

/** The orchestrator calls of testbeds.md §2.2. */
export interface OrchestratorClient {
  createSlice(input: {
    name: string;
    graphml: string;
    sshKeys: string[];
    lifetimeHours: number;
    signal?: AbortSignal;
  }): Promise<string>;
  findSlices(name: string, signal?: AbortSignal): Promise<SliceInfo[]>;
  getSlice(sliceId: string, signal?: AbortSignal): Promise<SliceInfo>;
  getSlivers(sliceId: string, signal?: AbortSignal): Promise<SliverInfo[]>;
  renewSlice(sliceId: string, endDate: Date, signal?: AbortSignal): Promise<void>;
  /** Deletes a slice; a slice that is already gone counts as deleted. */
  deleteSlice(sliceId: string, signal?: AbortSignal): Promise<void>;
  /**
   * Polls until StableOK/ModifyOK, or AllocatedOK (a future-dated slice, reserved and waiting for its lease start:
   * returned so the caller decides); throws with the sliver notices on StableError/ModifyError/AllocatedError/
   * Closing/Dead (fablib's `slice.py` states).
   */
  waitForSlice(sliceId: string, options: WaitForSliceOptions): Promise<SliceInfo>;
}

const LIVE_STATES = [
  'Nascent',
  'Configuring',
  'StableOK',
  'StableError',
  'Modifying',
  'ModifyOK',
  'ModifyError',
  'AllocatedOK',
  'AllocatedError',
];
const CASCADE = /Closing reservation due to failure in slice|is in a terminal state/;

/**
 * Creates a client for the FABRIC orchestrator. Every call carries the bearer ID token; a 401 invalidates it and
 * the call is sent once more with a fresh one.
 * @example const orchestrator = createOrchestratorClient({ url, tokens, http }); await orchestrator.findSlices('px')
 * @throws ProteusError PROTEUS_FABRIC_SLICE_FAILED, PROTEUS_FABRIC_SLICE_TIMEOUT, PROTEUS_FABRIC_HTTP_STATUS
 */
export function createOrchestratorClient(options: OrchestratorClientOptions): OrchestratorClient {
  const base = options.url.replace(/\/$/, '');
  const call = async (request: Omit<HttpRequest, 'headers'>): Promise<HttpResponse> => {
    const send = async (): Promise<HttpResponse> =>
      options.http.request({
        ...request,
        headers: { authorization: `Bearer ${await options.tokens.idToken(request.signal)}` },
      });
    try {
      return await send();
    } catch (error) {
      if (httpStatusOf(error) !== 401) throw error;
      options.tokens.invalidate();
      return send();
    }
  };
  const dataOf = (response: HttpResponse): Array<Record<string, unknown>> => {
    const data = (response.body as { data?: unknown } | undefined)?.data;
    return Array.isArray(data) ? (data as Array<Record<string, unknown>>) : [];
  };
  const toSlice = (raw: Record<string, unknown>): SliceInfo => ({
    sliceId: String(raw.slice_id ?? ''),
    name: String(raw.name ?? ''),
    state: String(raw.state ?? ''),
    ...(typeof raw.lease_end_time === 'string' ? { leaseEndTime: raw.lease_end_time } : {}),
    ...(typeof raw.lease_start_time === 'string' ? { leaseStartTime: raw.lease_start_time } : {}),
  });
  const client: OrchestratorClient = {
    async createSlice({ name, graphml, sshKeys, lifetimeHours, signal }) {
      const query = new URLSearchParams({ name, lifetime: String(lifetimeHours) });
      const response = await call({
        method: 'POST',
        url: `${base}/slices/creates?${query}`,
        json: { graph_model: graphml, ssh_keys: sshKeys },
        idempotent: false,
        signal,
      });
      const sliceId = dataOf(response)
        .map((s) => s.slice_id)
        .find((id): id is string => typeof id === 'string');
      if (!sliceId) {
        throw new ProteusError(
          'PROTEUS_FABRIC_SLICE_FAILED',
          `testbed-fabric/createSlice: the orchestrator accepted slice "${name}" but returned no slice_id.`,
        );
      }
      return sliceId;
    },
    async findSlices(name, signal) {
      const query = new URLSearchParams({ name, exact_match: 'true', as_self: 'true', limit: '200', offset: '0' });
      for (const state of LIVE_STATES) query.append('states', state);
      const response = await call({ method: 'GET', url: `${base}/slices?${query}`, idempotent: true, signal });
      return dataOf(response)
        .map(toSlice)
        .filter((slice) => slice.name === name);
    },
    async getSlice(sliceId, signal) {
      const response = await call({
        method: 'GET',
        url: `${base}/slices/${encodeURIComponent(sliceId)}?graph_format=NONE&as_self=true`,
        idempotent: true,
        signal,
      });
      const raw = dataOf(response)[0];
      if (!raw) {
        throw new ProteusError('PROTEUS_FABRIC_SLICE_FAILED', `testbed-fabric/getSlice: slice ${sliceId} not found.`);
      }
      return toSlice(raw);
    },
    async getSlivers(sliceId, signal) {
      const query = new URLSearchParams({ slice_id: sliceId, as_self: 'true' });
      const response = await call({ method: 'GET', url: `${base}/slivers?${query}`, idempotent: true, signal });
      return dataOf(response).map((raw) => {
        const sliver = (raw.sliver ?? {}) as Record<string, unknown>;
        return {
          sliverId: String(raw.sliver_id ?? ''),
          name: String(sliver.Name ?? ''),
          type: String(sliver.Type ?? ''),
          state: String(raw.state ?? ''),
          ...(typeof sliver.Site === 'string' ? { site: sliver.Site } : {}),
          ...(typeof sliver.MgmtIp === 'string' && sliver.MgmtIp ? { mgmtIp: sliver.MgmtIp } : {}),
          ...(typeof raw.notice === 'string' && raw.notice ? { notice: raw.notice } : {}),
        };
      });
    },
    async renewSlice(sliceId, endDate, signal) {
      const query = new URLSearchParams({ lease_end_time: formatFabricTime(endDate) });
      await call({
        method: 'POST',
        url: `${base}/slices/renew/${encodeURIComponent(sliceId)}?${query}`,
        idempotent: true,
        signal,
      });
    },
    async deleteSlice(sliceId, signal) {
      try {
        await call({
          method: 'DELETE',
          url: `${base}/slices/delete/${encodeURIComponent(sliceId)}`,
          idempotent: true,
          signal,
        });
      } catch (error) {
        if (httpStatusOf(error) === 404) return;
        throw error;
      }
    },
    async waitForSlice(sliceId, wait) {
      const started = Date.now();
      for (;;) {
        throwIfAborted(wait.signal, 'testbed-fabric/waitForSlice');
        const slice = await client.getSlice(sliceId, wait.signal);
        if (['StableOK', 'ModifyOK', 'AllocatedOK'].includes(slice.state)) return slice;
        if (['StableError', 'ModifyError', 'AllocatedError', 'Closing', 'Dead'].includes(slice.state)) {
          const slivers = await client.getSlivers(sliceId, wait.signal).catch(() => []);
          const notices = rootCauseNotices(slivers);
          throw new ProteusError(
            'PROTEUS_FABRIC_SLICE_FAILED',
            `testbed-fabric/waitForSlice: slice "${slice.name}" (${sliceId}) ended in ${slice.state}: ` +
              `${notices.map((n) => `${n.name}: ${n.notice}`).join(' | ') || 'no sliver notices'}. ` +
              'Change the site or the node sizes in the topology, or check resource availability on the FABRIC portal.',
            { details: { sliceId, state: slice.state, notices } },
          );
        }
        const elapsed = Date.now() - started;
        if (elapsed >= wait.timeoutMs) {
          throw new ProteusError(
            'PROTEUS_FABRIC_SLICE_TIMEOUT',
            `testbed-fabric/waitForSlice: slice "${slice.name}" (${sliceId}) still ${slice.state} after ${wait.timeoutMs} ms. ` +
              'Raise { sliceTimeoutMs } or check the slice on the FABRIC portal.',
            { details: { sliceId, state: slice.state } },
          );
        }
        reportProgress(wait.onProgress, { phase: 'slice', ratio: elapsed / wait.timeoutMs, message: slice.state });
        await sleep(wait.pollIntervalMs, { signal: wait.signal, where: 'testbed-fabric/waitForSlice' });
      }
    },
  };
  return client;
}

/** Sliver notices without the cascades ("Closing reservation due to failure in slice"): those name no root cause. */
export function rootCauseNotices(slivers: SliverInfo[]): Array<{ name: string; notice: string }> {
  const all = slivers.filter((s) => s.notice).map((s) => ({ name: s.name, notice: (s.notice as string).trim() }));
  const roots = all.filter((n) => !CASCADE.test(n.notice));
  return roots.length > 0 ? roots : all;
}

/** The orchestrator's time format, `%Y-%m-%d %H:%M:%S %z`, in UTC. */
export function formatFabricTime(date: Date): string {
  const pad = (n: number): string => String(n).padStart(2, '0');
  return (
    `${date.getUTCFullYear()}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())} ` +
    `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`
  );
}
