import { deflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { inflateChunks } from './inflate.js';

async function* once(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  await Promise.resolve();
  yield bytes;
}

async function inflatedLength(source: AsyncIterable<Uint8Array>): Promise<number> {
  let n = 0;
  for await (const chunk of inflateChunks(source)) n += chunk.length;
  return n;
}

describe('inflateChunks', () => {
  it('inflates a small, highly compressed input whose output far exceeds the high-water mark', async () => {
    // 16 MiB of zeros deflate to a few KiB: one input chunk makes zlib pause its output many
    // times over. This used to deadlock (waiting on a write callback zlib held back).
    const compressed = deflateRawSync(Buffer.alloc(16 * 1024 * 1024));
    expect(compressed.length).toBeLessThan(64 * 1024);
    await expect(inflatedLength(once(compressed))).resolves.toBe(16 * 1024 * 1024);
  });

  it('rejects garbage instead of hanging', async () => {
    await expect(
      inflatedLength(once(Buffer.from('definitely not deflate data'))),
    ).rejects.toThrow();
  });
});
