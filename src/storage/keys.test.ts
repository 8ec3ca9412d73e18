import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { InvalidBlobKeyError } from './errors.js';
import { assertSafeKey, assertSafePrefix, isSafeKey, newBlobKey } from './keys.js';

describe('newBlobKey', () => {
  it('is two hex chars of the SHA-256 of a lowercase ULID, a slash, then that ULID', () => {
    const key = newBlobKey();
    expect(key).toMatch(/^[0-9a-f]{2}\/[0-7][0-9a-hjkmnp-tv-z]{25}$/);
    const [prefix, id] = key.split('/') as [string, string];
    expect(prefix).toBe(createHash('sha256').update(id).digest('hex').slice(0, 2));
    assertSafeKey(key);
  });

  it('spreads keys over many prefixes', () => {
    const prefixes = new Set(Array.from({ length: 2000 }, () => newBlobKey().slice(0, 2)));
    expect(prefixes.size).toBeGreaterThan(200);
  });

  it('never repeats', () => {
    const keys = Array.from({ length: 5000 }, () => newBlobKey());
    expect(new Set(keys).size).toBe(keys.length);
  });
});

describe('assertSafeKey', () => {
  it.each(['a', '3f/01jd2x', 'a/b/c', 'a.b-c_d', '..a', 'a..', '.hidden', 'x'.repeat(512)])(
    'accepts %j',
    (key) => {
      expect(() => assertSafeKey(key)).not.toThrow();
      expect(isSafeKey(key)).toBe(true);
    },
  );

  it.each([
    '',
    '/abs',
    'a/',
    'a//b',
    '.',
    '..',
    '../x',
    'a/../b',
    'a/./b',
    'a\\b',
    'a\0b',
    'A',
    'a b',
    'é',
    'a:b',
    'x'.repeat(513),
  ])('refuses %j with InvalidBlobKeyError', (key) => {
    expect(() => assertSafeKey(key)).toThrow(InvalidBlobKeyError);
    expect(isSafeKey(key)).toBe(false);
  });
});

describe('assertSafePrefix', () => {
  it.each(['', 'a', '3', '3f/', '3f/01', 'a/b/', 'a/.', 'a/..'])('accepts %j', (prefix) => {
    expect(() => assertSafePrefix(prefix)).not.toThrow();
  });

  it.each(['/', '/a', '../', 'a/../', 'a//', 'A', 'a\\', 'x'.repeat(513)])(
    'refuses %j',
    (prefix) => {
      expect(() => assertSafePrefix(prefix)).toThrow(InvalidBlobKeyError);
    },
  );
});
