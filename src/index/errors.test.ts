import { describe, expect, it } from 'vitest';
import { IndexUnavailableError, rethrowIndexError } from './errors.js';

const withCode = (code: string) => Object.assign(new Error('driver'), { code });

describe('rethrowIndexError', () => {
  it.each(['ECONNREFUSED', 'CONNECTION_CLOSED', '08006', '53300', '57P01'])(
    'turns %s (also when wrapped as a cause) into IndexUnavailableError',
    (code) => {
      expect(() => rethrowIndexError(withCode(code))).toThrow(IndexUnavailableError);
      const wrapped = new Error('query failed', { cause: withCode(code) });
      expect(() => rethrowIndexError(wrapped)).toThrow(IndexUnavailableError);
    },
  );

  it.each(['23505', '42P01', '22P02'])('re-throws %s (a query problem) unchanged', (code) => {
    const error = withCode(code);
    expect(() => rethrowIndexError(error)).toThrow(error);
  });
});
