import { describe, expect, it } from 'vitest';
import { isProjectError, SizeLimitExceededError } from './errors.js';

describe('isProjectError', () => {
  it('recognises errors whose code is shaped module.name', () => {
    expect(isProjectError(new SizeLimitExceededError(1))).toBe(true);
    expect(isProjectError(Object.assign(new Error('x'), { code: 'storage.blob_exists' }))).toBe(
      true,
    );
  });

  it('treats Node, SDK and code-less errors as foreign', () => {
    expect(isProjectError(Object.assign(new Error('x'), { code: 'ECONNRESET' }))).toBe(false);
    expect(
      isProjectError(Object.assign(new Error('x'), { code: 'ERR_STREAM_PREMATURE_CLOSE' })),
    ).toBe(false);
    expect(isProjectError(new Error('x'))).toBe(false);
    expect(isProjectError({ code: 'storage.blob_exists' })).toBe(false);
  });
});
