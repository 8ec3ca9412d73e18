import { describe, expect, it } from 'vitest';
import { ByteLru } from './byte-lru.js';

const lru = (max: number) => new ByteLru<Uint8Array>(max, (v) => v.byteLength);

describe('ByteLru', () => {
  it('keeps the total under its byte budget, evicting the least recently used first', () => {
    const cache = lru(100);
    cache.set('a', new Uint8Array(40));
    cache.set('b', new Uint8Array(40));
    expect(cache.get('a')).toBeDefined(); // a is now the most recent
    cache.set('c', new Uint8Array(40));
    expect(cache.get('b')).toBeUndefined();
    expect(cache.has('b')).toBe(false);
    expect(cache.has('a')).toBe(true);
    expect(cache.get('a')).toBeDefined();
    expect(cache.get('c')).toBeDefined();
    expect(cache.totalBytes).toBe(80);
    cache.set('d', new Uint8Array(100));
    expect(cache.size).toBe(1);
    expect(cache.totalBytes).toBe(100);
  });

  it('counts the bytes the caller says a value holds, once per key', () => {
    const cache = new ByteLru<{ n: number }>(100, (v) => v.n);
    cache.set('a', { n: 30 });
    cache.set('a', { n: 50 });
    expect(cache.totalBytes).toBe(50);
    cache.delete('a');
    expect(cache.totalBytes).toBe(0);
    expect(cache.size).toBe(0);
  });

  it('does not keep an entry larger than the budget, nor anything when the budget is 0', () => {
    const cache = lru(100);
    cache.set('a', new Uint8Array(10));
    cache.set('huge', new Uint8Array(101));
    expect(cache.get('huge')).toBeUndefined();
    expect(cache.get('a')).toBeDefined();
    const off = lru(0);
    off.set('x', new Uint8Array(1));
    expect(off.get('x')).toBeUndefined();
  });
});
