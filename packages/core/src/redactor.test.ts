import { describe, expect, it } from 'vitest';
import { isProteusError, ProteusError } from './proteus-error.js';
import { createRedactor, redactSecrets } from './redactor.js';

describe('createRedactor', () => {
  it('masks every known secret, the longest first, and ignores undefined and very short values', () => {
    const redactor = createRedactor();
    redactor.add('token-abc');
    redactor.add('token-abc-refresh');
    redactor.add(undefined);
    redactor.add('yes');
    expect(redactor.redact('a=token-abc-refresh b=token-abc yes')).toBe('a=[REDACTED] b=[REDACTED] yes');
  });

  it('sanitizes a ProteusError: same code, secrets gone from message, details and cause', () => {
    const redactor = createRedactor();
    redactor.add('s3cr3t-password');
    const error = new ProteusError('PROTEUS_TEST_FAILED', 'failed with s3cr3t-password', {
      details: { body: '{"password":"s3cr3t-password"}' },
      cause: new Error('sent s3cr3t-password'),
    });
    const clean = redactor.sanitize(error);
    expect(isProteusError(clean, 'PROTEUS_TEST_FAILED')).toBe(true);
    const text = `${(clean as ProteusError).message} ${JSON.stringify((clean as ProteusError).details)} ${String((clean as Error).cause)}`;
    expect(text).not.toContain('s3cr3t-password');
    expect(text).toContain('[REDACTED]');
  });

  it('sanitizes a plain Error and passes other values through', () => {
    const redactor = createRedactor();
    redactor.add('hunter2-hunter2');
    const clean = redactor.sanitize(new TypeError('bad hunter2-hunter2')) as Error;
    expect(clean.name).toBe('TypeError');
    expect(clean.message).toBe('bad [REDACTED]');
    expect(redactor.sanitize('plain')).toBe('plain');
  });

  it('masks secrets it was never told about by their shape (an older ID token, a token a proxy echoes)', () => {
    const jwt = `eyJhbGciOiJSUzI1NiJ9.${Buffer.from('{"exp":1999999999,"sub":"u"}').toString('base64url')}.c2lnbmF0dXJlLXNpZw`;
    const fernet = `gAAAAABl${'x'.repeat(60)}`;
    const cilogon = 'NB2HI4DTHIXS6Y3JNRXWO33OFZXXEZZPN5QXK5DIGIXTMMJZGE3DSOJWMM2DCZBU';
    const text = [
      `Authorization: Bearer ${jwt}`,
      `{"authorization": "Basic YWxpY2U6cGFzc3dvcmQ="}`,
      `X-Auth-Token: ${fernet}`,
      `{"x-subject-token":"abcdef0123456789"}`,
      `{"id_token": "${jwt}", "refresh_token": "${cilogon}", "token": "plain-token-value", "secret": "app-secret-1"}`,
      `refresh_token=opaque-refresh-value&scope=all`,
      `older token ${jwt} from tokens.json`,
      'https://cilogon.org/oauth2/refreshToken/7a8b9c/1700000000',
    ].join('\n');
    const clean = createRedactor().redact(text);
    for (const secret of [
      jwt,
      fernet,
      cilogon,
      'YWxpY2U6cGFzc3dvcmQ=',
      'abcdef0123456789',
      'plain-token-value',
      'app-secret-1',
      'opaque-refresh-value',
      '7a8b9c',
    ]) {
      expect(clean).not.toContain(secret);
    }
    expect(clean).toContain('Authorization: Bearer [REDACTED]');
    expect(clean).toContain('"refresh_token": "[REDACTED]"');
    expect(clean).toContain('&scope=all');
  });

  it('leaves ordinary text alone: token_hash values, words, slice ids, URLs', () => {
    const text =
      'slice px (slice-1-ab12) StableOK; token_hash 9f8e; GET https://orchestrator.fabric-testbed.net/slices';
    expect(redactSecrets(text)).toBe(text);
  });

  it('masks pattern secrets inside a sanitized error (message, details, cause)', () => {
    const jwt = `eyJhbGciOiJIUzI1NiJ9.${Buffer.from('{"exp":1}').toString('base64url')}.abcdefgh`;
    const error = new ProteusError('PROTEUS_TEST_FAILED', `401 for Bearer ${jwt}`, {
      details: { body: `{"id_token":"${jwt}"}` },
      cause: new Error(`proxy echoed ${jwt}`),
    });
    const clean = createRedactor().sanitize(error) as ProteusError;
    expect(`${clean.message} ${JSON.stringify(clean.details)} ${String(clean.cause)}`).not.toContain(jwt);
  });
});
