/**
 * Transforms for native frames streamed from storage (never held whole): one checks the stored
 * range really holds the recorded length, one swaps big-endian words to little endian across
 * chunk boundaries (PS3.5 §7.3; PS3.18 8.7.3: frames on the web are little endian).
 */
import { Transform, type TransformCallback } from 'node:stream';
import { StoredLayoutError } from './errors.js';

/**
 * Passes exactly `length` bytes. A blob that ends early fails the stream with StoredLayoutError
 * (the response is cut rather than padded: the status line may already be sent).
 */
export function exactLength(length: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      const take = Math.min(chunk.length, length - seen);
      seen += take;
      callback(null, take === chunk.length ? chunk : chunk.subarray(0, take));
    },
    flush(callback: TransformCallback) {
      callback(
        seen === length
          ? null
          : new StoredLayoutError(
              `stored blob ends before a recorded range (${seen} of ${length} bytes)`,
            ),
      );
    },
  });
}

/**
 * Swaps each `size`-byte word (2, 4 or 8). A word split between two chunks is carried over to
 * the next; a trailing partial word (odd-length damage) is passed on as it is, as in
 * FrameSource's buffered swap.
 */
export function swapWordsStream(size: 2 | 4 | 8): Transform {
  let carry: Buffer = Buffer.alloc(0);
  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      const data = carry.length > 0 ? Buffer.concat([carry, chunk]) : Buffer.from(chunk);
      const whole = data.length - (data.length % size);
      carry = Buffer.from(data.subarray(whole));
      const words = data.subarray(0, whole);
      if (size === 2) words.swap16();
      else if (size === 4) words.swap32();
      else words.swap64();
      callback(null, words);
    },
    flush(callback: TransformCallback) {
      callback(null, carry.length > 0 ? carry : undefined);
    },
  });
}
