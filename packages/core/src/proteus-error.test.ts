import { describe, expect, it } from 'vitest';
import { isProteusError, ProteusError } from './proteus-error.js';

describe('ProteusError', () => {
  it('carries code, details and cause', () => {
    const cause = new Error('disk full');
    const error = new ProteusError('PROTEUS_CORE_TEST', 'core/test: failed', { details: { file: 'a.csv' }, cause });
    expect(error.code).toBe('PROTEUS_CORE_TEST');
    expect(error.details).toEqual({ file: 'a.csv' });
    expect(error.cause).toBe(cause);
    expect(error).toBeInstanceOf(Error);
    expect(JSON.parse(JSON.stringify(error))).toMatchObject({
      code: 'PROTEUS_CORE_TEST',
      message: 'core/test: failed',
    });
  });
});

describe('isProteusError', () => {
  it('recognises the brand across copies of the package', () => {
    const foreign = Object.assign(new Error('x'), {
      code: 'PROTEUS_CORE_X',
      [Symbol.for('@proteus-wf/core/ProteusError')]: true,
    });
    expect(isProteusError(foreign)).toBe(true);
    expect(isProteusError(foreign, 'PROTEUS_CORE_X')).toBe(true);
    expect(isProteusError(foreign, 'PROTEUS_CORE_Y')).toBe(false);
  });

  it('rejects plain errors and non-objects', () => {
    expect(isProteusError(new Error('x'))).toBe(false);
    expect(isProteusError({ code: 'PROTEUS_CORE_X' })).toBe(false);
    expect(isProteusError(null)).toBe(false);
    expect(isProteusError('PROTEUS_CORE_X')).toBe(false);
  });
});
