import { createHash } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { createHashTap } from './hash-tap.js';

const discard = () =>
  new Writable({
    write(_chunk, _encoding, callback) {
      callback();
    },
  });

describe('createHashTap', () => {
  it('gives the SHA-256 of the bytes however they are chunked', async () => {
    const data = Buffer.from('The quick brown fox jumps over the lazy dog');
    const hashTap = createHashTap();
    const parts = [data.subarray(0, 1), data.subarray(1, 20), data.subarray(20)];
    await pipeline(Readable.from(parts), hashTap.tap, discard());
    expect(hashTap.digest()).toBe(
      'd7a8fbb307d7809469ca9abcb0082e4f8d5651e46d3cdb762d02d0bf37c9e592',
    );
  });

  it('hashes an empty stream and takes other algorithms', async () => {
    const hashTap = createHashTap('md5');
    await pipeline(Readable.from([]), hashTap.tap, discard());
    expect(hashTap.digest()).toBe(createHash('md5').digest('hex'));
  });

  it('passes the bytes through unchanged', async () => {
    const hashTap = createHashTap();
    const received: Buffer[] = [];
    await pipeline(
      Readable.from([Buffer.from('ab'), Buffer.from('c')]),
      hashTap.tap,
      new Writable({
        write(chunk: Buffer, _encoding, callback) {
          received.push(chunk);
          callback();
        },
      }),
    );
    expect(Buffer.concat(received).toString()).toBe('abc');
  });

  it('refuses digest() before the stream has ended', () => {
    expect(() => createHashTap().digest()).toThrow(/before the stream ended/);
  });
});
