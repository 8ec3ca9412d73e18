import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { exactLength, swapWordsStream } from './frame-stream.js';
import { swapWords } from './frame-source.js';

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** `bytes` cut into chunks of the given sizes (cycled), as storage may hand them out. */
function chunked(bytes: Buffer, sizes: number[]): Readable {
  const chunks: Buffer[] = [];
  for (let at = 0, i = 0; at < bytes.length; i++) {
    const size = sizes[i % sizes.length] ?? 1;
    chunks.push(Buffer.from(bytes.subarray(at, at + size)));
    at += size;
  }
  return Readable.from(chunks);
}

describe('swapWordsStream', () => {
  const bytes = Buffer.from(Array.from({ length: 67 }, (_, i) => i));

  it.each([2, 4, 8] as const)(
    'swaps %i-byte words split across any chunking like the buffered swap',
    async (size) => {
      for (const sizes of [[1], [3], [5, 1, 7], [67]]) {
        const out = await collect(chunked(bytes, sizes).pipe(swapWordsStream(size)));
        expect(out).toEqual(Buffer.from(swapWords(bytes, size)));
      }
    },
  );

  it('leaves the source chunks untouched', async () => {
    const source = Buffer.from([1, 2, 3, 4]);
    await collect(Readable.from([source]).pipe(swapWordsStream(2)));
    expect([...source]).toEqual([1, 2, 3, 4]);
  });
});

describe('exactLength', () => {
  it('passes the first `length` bytes', async () => {
    const out = await collect(chunked(Buffer.alloc(10, 7), [3]).pipe(exactLength(8)));
    expect(out).toEqual(Buffer.alloc(8, 7));
  });

  it('fails a stream that ends early with a layout error', async () => {
    await expect(collect(chunked(Buffer.alloc(5), [2]).pipe(exactLength(8)))).rejects.toMatchObject(
      { code: 'service.stored_layout' },
    );
  });
});
