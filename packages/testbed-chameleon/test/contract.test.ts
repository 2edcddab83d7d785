import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type FakeChameleon, shapeDifferences, startFakeChameleon } from '@proteus-wf/test-utils';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

// Replays request/response transcripts written from the real APIs' documentation (each fixture names its source)
// against the loopback fake, so the fake is checked against something Proteus did not write.
const fixtures = join(import.meta.dirname, 'fixtures', 'transcripts');
interface Transcript {
  source: string;
  request: { method: string; path: string; body?: unknown };
  response: { status: number; headers?: string[]; body: unknown };
}
const load = async (name: string): Promise<Transcript> => JSON.parse(await readFile(join(fixtures, name), 'utf8'));

let chi: FakeChameleon;
beforeEach(async () => {
  chi = await startFakeChameleon({ applicationCredentialId: 'cred-id', applicationCredentialSecret: 'cred-secret' });
});
afterEach(async () => {
  await chi.close();
});

async function send(url: string, transcript: Transcript, token?: string) {
  const response = await fetch(url, {
    method: transcript.request.method,
    headers: { 'content-type': 'application/json', ...(token ? { 'x-auth-token': token } : {}) },
    ...(transcript.request.body === undefined ? {} : { body: JSON.stringify(transcript.request.body) }),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
}

async function authenticate(): Promise<string> {
  const keystone = await load('keystone-application-credential.json');
  const body = JSON.parse(
    JSON.stringify(keystone.request.body)
      .replace('{credential-id}', 'cred-id')
      .replace('{credential-secret}', 'cred-secret'),
  );
  return (
    await send(`${chi.authUrl}/auth/tokens`, { ...keystone, request: { ...keystone.request, body } })
  ).headers.get('x-subject-token') as string;
}

describe('fake Chameleon against documented transcripts', () => {
  it('Keystone: application-credential auth answers 201 with X-Subject-Token, expires_at and the catalog', async () => {
    const transcript = await load('keystone-application-credential.json');
    const body = JSON.parse(
      JSON.stringify(transcript.request.body)
        .replace('{credential-id}', 'cred-id')
        .replace('{credential-secret}', 'cred-secret'),
    );
    const answer = await send(`${chi.authUrl}/auth/tokens`, {
      ...transcript,
      request: { ...transcript.request, body },
    });
    expect(answer.status).toBe(transcript.response.status);
    for (const header of transcript.response.headers ?? []) expect(answer.headers.get(header)).toBeTruthy();
    expect(shapeDifferences(transcript.response.body, answer.body)).toEqual([]);
  });

  it('Blazar: a lease with a host and a FABRIC-stitch network reservation, start "now", answers 201 PENDING', async () => {
    const transcript = await load('blazar-lease-create.json');
    const answer = await send(`${chi.url}/reservation/v1${transcript.request.path}`, transcript, await authenticate());
    expect(answer.status).toBe(transcript.response.status);
    expect(shapeDifferences(transcript.response.body, answer.body)).toEqual([]);
  });

  it('Neutron: add_extraroutes answers 200 with the router and its routes', async () => {
    const transcript = await load('neutron-router-extraroutes.json');
    const token = await authenticate();
    const router = (
      await send(
        `${chi.url}/network/v2.0/routers`,
        {
          ...transcript,
          request: {
            method: 'POST',
            path: '',
            body: { router: { name: 'r', external_gateway_info: { network_id: 'net-public' } } },
          },
        },
        token,
      )
    ).body.router.id as string;
    const path = transcript.request.path.replace('{router_id}', router);
    const answer = await send(`${chi.url}/network${path}`, transcript, token);
    expect(answer.status).toBe(transcript.response.status);
    expect(shapeDifferences(transcript.response.body, answer.body)).toEqual([]);
    expect(answer.body.router.routes).toEqual(
      (transcript.response.body as { router: { routes: unknown } }).router.routes,
    );
  });
});
