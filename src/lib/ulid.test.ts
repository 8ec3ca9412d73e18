import { describe, expect, it } from 'vitest';
import { createUlidFactory, ulid, ulidTime } from './ulid.js';

const zeros = (buffer: Uint8Array) => buffer.fill(0);

describe('ulid', () => {
  it('is 26 Crockford base32 characters', () => {
    expect(ulid()).toMatch(/^[0-7][0-9A-HJKMNP-TV-Z]{25}$/);
  });

  it('encodes the time in the first 10 characters (spec example time)', () => {
    const next = createUlidFactory({ now: () => 1469918176385, random: zeros });
    const id = next();
    expect(id.slice(0, 10)).toBe('01ARYZ6S41');
    expect(id.slice(10)).toBe('0000000000000000');
    expect(ulidTime(id)).toBe(1469918176385);
    expect(ulidTime(id.toLowerCase())).toBe(1469918176385);
  });

  it('increments the random part within one millisecond', () => {
    const next = createUlidFactory({ now: () => 1000, random: zeros });
    expect([next(), next(), next()].map((id) => id.slice(10))).toEqual([
      '0000000000000000',
      '0000000000000001',
      '0000000000000002',
    ]);
  });

  it('stays strictly increasing when the clock steps back', () => {
    const times = [5000, 4000, 4000, 6000];
    const next = createUlidFactory({ now: () => times.shift() ?? 0 });
    const ids = [next(), next(), next(), next()];
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(4);
    expect(ulidTime(ids[1]!)).toBe(5000);
  });

  it('moves to the next millisecond instead of overflowing the random part', () => {
    const next = createUlidFactory({ now: () => 1000, random: (b) => b.fill(0xff) });
    const first = next();
    expect(first.slice(10)).toBe('ZZZZZZZZZZZZZZZZ');
    const second = next();
    expect(second > first).toBe(true);
    expect(ulidTime(second)).toBe(1001);
  });

  it('yields 10 000 unique, sorted ids from the process generator', () => {
    const ids = Array.from({ length: 10_000 }, () => ulid());
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
  });

  it('refuses a time outside 48 bits', () => {
    expect(createUlidFactory({ now: () => 2 ** 48 })).toThrow(RangeError);
    expect(() => ulidTime('not-a-ulid')).toThrow(RangeError);
  });
});
