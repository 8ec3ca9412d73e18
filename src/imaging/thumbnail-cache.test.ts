import { describe, expect, it } from 'vitest';
import { ThumbnailCache } from './thumbnail-cache.js';

const image = (n: number) => ({ body: Buffer.alloc(n), mediaType: 'image/jpeg' });

describe('ThumbnailCache', () => {
  it('evicts the least recently used entries once over its byte budget', () => {
    const cache = new ThumbnailCache(100);
    cache.set('a', image(40));
    cache.set('b', image(40));
    expect(cache.get('a')).toBeDefined(); // a is now the most recent
    cache.set('c', image(40));
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toBeDefined();
    expect(cache.get('c')).toBeDefined();
    expect(cache.totalBytes).toBe(80);
  });

  it('replaces an entry under the same key without double counting, skips oversize ones', () => {
    const cache = new ThumbnailCache(100);
    cache.set('a', image(30));
    cache.set('a', image(50));
    expect(cache.totalBytes).toBe(50);
    cache.set('huge', image(101));
    expect(cache.get('huge')).toBeUndefined();
    expect(cache.size).toBe(1);
    expect(new ThumbnailCache(0).get('x')).toBeUndefined();
  });
});
