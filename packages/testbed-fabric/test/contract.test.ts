import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type FakeFabric, shapeDifferences, startFakeFabric } from '@proteus-wf/test-utils';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

// Replays a transcript written from fabrictestbed's own client (the fixture names its source) against the fake.
const fixtures = join(import.meta.dirname, 'fixtures', 'transcripts');

let fabric: FakeFabric;
beforeEach(async () => {
  fabric = await startFakeFabric({ refreshToken: 'refresh-contract-0' });
});
afterEach(async () => {
  await fabric.close();
});

describe('fake FABRIC credential manager against documented transcripts', () => {
  it('tokens/refresh answers data[0] with the TokenDTO fields, credmgr time format and a JWT id_token', async () => {
    const transcript = JSON.parse(await readFile(join(fixtures, 'credmgr-tokens-refresh.json'), 'utf8'));
    const body = { refresh_token: 'refresh-contract-0' };
    const response = await fetch(`${fabric.credmgrUrl}${transcript.request.path}`, {
      method: transcript.request.method,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(response.status).toBe(transcript.response.status);
    const answer = (await response.json()) as { data: Array<{ id_token: string }> };
    expect(shapeDifferences(transcript.response.body, answer)).toEqual([]);
    expect(answer.data[0]?.id_token.split('.')).toHaveLength(3);
  });
});
