import { describe, expect, it } from 'vitest';
import { IndexAbortedError, IndexUnavailableError, isWasmTrap, toIndexError } from './errors.js';

const withCode = (code: string) => Object.assign(new Error('driver'), { code });

describe('toIndexError', () => {
  it.each([
    'ECONNREFUSED',
    'CONNECTION_CLOSED',
    'QUERY_TIMEOUT',
    '08006',
    '53300',
    '57014',
    '57P01',
  ])(
    'turns %s (also when wrapped as a cause) into IndexUnavailableError with Retry-After',
    (code) => {
      expect(toIndexError(withCode(code))).toBeInstanceOf(IndexUnavailableError);
      const driver = withCode(code);
      const ours = toIndexError(new Error('Failed query: … params: 1.2.3', { cause: driver }));
      expect(ours).toBeInstanceOf(IndexUnavailableError);
      expect((ours as IndexUnavailableError).retryAfterSeconds).toBeGreaterThan(0);
      // The driver's error, not drizzle's wrapper whose message holds the parameters.
      expect((ours as Error).cause).toBe(driver);
    },
  );

  it.each(['23505', '42P01', '22P02'])('leaves %s (a query problem) unchanged', (code) => {
    const error = withCode(code);
    expect(toIndexError(error)).toBe(error);
  });
});

describe('an abort of the embedded database', () => {
  const RuntimeError = (
    globalThis as unknown as { WebAssembly: { RuntimeError: ErrorConstructor } }
  ).WebAssembly.RuntimeError;

  it('becomes IndexAbortedError whose cause is the trap, not the wrapper naming the query', () => {
    const trap = new RuntimeError('Aborted()');
    const ours = toIndexError(new Error('Failed query: insert … params: 1.2.3', { cause: trap }));
    expect(ours).toBeInstanceOf(IndexAbortedError);
    expect((ours as IndexAbortedError).code).toBe('index.aborted');
    expect((ours as Error).cause).toBe(trap);
    expect(isWasmTrap(trap)).toBe(true);
    expect(isWasmTrap(new Error('Aborted()'))).toBe(false);
  });
});
