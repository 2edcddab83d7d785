import { describe, expect, it } from 'vitest';
import { isProteusError, ProteusError } from './proteus-error.js';
import { createRedactor } from './redactor.js';

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
});
