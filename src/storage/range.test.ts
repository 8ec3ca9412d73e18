import { describe, expect, it } from 'vitest';
import { BlobRangeError } from './errors.js';
import { resolveRange } from './range.js';

describe('resolveRange', () => {
  it('returns undefined (the whole blob) without a range', () => {
    expect(resolveRange('k', 10, undefined)).toBeUndefined();
  });

  it('resolves start-only, start-end and clamps an end past the last byte', () => {
    expect(resolveRange('k', 10, { start: 3 })).toEqual({ start: 3, end: 9 });
    expect(resolveRange('k', 10, { start: 3, end: 5 })).toEqual({ start: 3, end: 5 });
    expect(resolveRange('k', 10, { start: 9, end: 9 })).toEqual({ start: 9, end: 9 });
    expect(resolveRange('k', 10, { start: 0, end: 99 })).toEqual({ start: 0, end: 9 });
  });

  it.each([
    { start: 10 },
    { start: 11, end: 20 },
    { start: -1 },
    { start: 0.5 },
    { start: 4, end: 3 },
    { start: 0, end: Number.NaN },
  ])('refuses %j of a 10-byte blob', (range) => {
    expect(() => resolveRange('k', 10, range)).toThrow(BlobRangeError);
  });

  it('refuses every range of an empty blob', () => {
    expect(() => resolveRange('k', 0, { start: 0 })).toThrow(BlobRangeError);
  });
});
