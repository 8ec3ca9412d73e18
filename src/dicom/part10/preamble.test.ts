import { describe, expect, it } from 'vitest';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { zeroPreamble } from './preamble.js';

async function passThrough(input: Buffer, sizes: number[]): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for (let at = 0, i = 0; at < input.length; i++) {
    const size = sizes[i % sizes.length] ?? 1;
    chunks.push(input.subarray(at, at + size));
    at += size;
  }
  return buffer(Readable.from(chunks).pipe(zeroPreamble()));
}

describe('zeroPreamble', () => {
  const input = Buffer.from(Array.from({ length: 300 }, (_, i) => (i % 255) + 1));

  it.each([[[300]], [[1]], [[127, 1, 5]], [[129]], [[64, 200]]])(
    'zeroes bytes 0-127 only, chunks %j',
    async (sizes) => {
      const out = await passThrough(input, sizes);
      expect(out.length).toBe(300);
      expect(out.subarray(0, 128).every((b) => b === 0)).toBe(true);
      expect(out.subarray(128)).toEqual(input.subarray(128));
    },
  );

  it('does not change the caller buffer', async () => {
    const copy = Buffer.from(input);
    await passThrough(copy, [300]);
    expect(copy).toEqual(input);
  });
});
