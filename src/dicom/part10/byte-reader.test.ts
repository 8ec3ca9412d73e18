import { describe, expect, it } from 'vitest';
import { chunked } from '../testing/samples.js';
import { ByteReader } from './byte-reader.js';

const bytes = Uint8Array.from({ length: 64 }, (_, i) => i);

describe('ByteReader', () => {
  it('reads across chunk boundaries and keeps an absolute position', async () => {
    const reader = new ByteReader(chunked(bytes, [3, 1, 5]));
    expect(await reader.ensure(6)).toBe(true);
    expect(reader.uint16(true)).toBe(0x0100);
    expect(reader.uint32(false)).toBe(0x02030405);
    expect(reader.position).toBe(6);
    expect(await reader.skip(50)).toBe(50);
    expect(reader.position).toBe(56);
    expect(await reader.ensure(2)).toBe(true);
    expect(reader.uint8()).toBe(56);
  });

  it('awaits only when short: buffered bytes are read synchronously', async () => {
    let pulls = 0;
    const source = (async function* () {
      for await (const chunk of chunked(bytes, [64])) {
        pulls++;
        yield chunk;
      }
    })();
    const reader = new ByteReader(source);
    await reader.ensure(1);
    expect(reader.available).toBe(64);
    for (let i = 0; i < 16; i++) reader.uint32(true);
    expect(pulls).toBe(1);
    expect(await reader.atEnd()).toBe(true);
  });

  it('reports a short stream: ensure false, skip short', async () => {
    const reader = new ByteReader(chunked(bytes, [10]));
    expect(await reader.ensure(100)).toBe(false);
    expect(reader.available).toBe(64);
    expect(await reader.skip(70)).toBe(64);
    expect(reader.position).toBe(64);
  });

  it('skips without keeping skipped chunks', async () => {
    const reader = new ByteReader(chunked(new Uint8Array(10_000_000), [1 << 20]));
    expect(await reader.skip(9_000_000)).toBe(9_000_000);
    expect(reader.available).toBeLessThanOrEqual(1 << 20);
  });

  it('hands over the rest of the stream and keeps counting', async () => {
    const reader = new ByteReader(chunked(bytes, [7]));
    await reader.ensure(4);
    reader.uint32(true);
    let total = 0;
    for await (const chunk of reader.rest()) total += chunk.length;
    expect(total).toBe(60);
    expect(reader.position).toBe(64);
  });
});

describe('ByteReader with tiny chunks', () => {
  it('gathers a large value from 1-byte chunks in linear time', async () => {
    const big = Uint8Array.from({ length: 200_000 }, (_, i) => i & 0xff);
    const reader = new ByteReader(chunked(big, [1]));
    const started = performance.now();
    expect(await reader.ensure(big.length)).toBe(true);
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(reader.readView(big.length)).toEqual(big);
  });
});
