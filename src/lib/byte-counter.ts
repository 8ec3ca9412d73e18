import { Transform } from 'node:stream';
import { SizeLimitExceededError } from './errors.js';

export interface ByteCounterOptions {
  /** Most bytes allowed through; one more destroys the stream with `SizeLimitExceededError`. */
  limit?: number;
}

export interface ByteCounter {
  /** Pass-through transform; put it in a `pipeline()`. */
  tap: Transform;
  /** Bytes seen so far (the total once the stream has ended). */
  result(): number;
}

/**
 * Counts bytes passing through and enforces an optional limit. The limit is checked per chunk
 * before the chunk is passed on, so nothing past the limit reaches the next stage.
 */
export function createByteCounter(options: ByteCounterOptions = {}): ByteCounter {
  const { limit } = options;
  if (limit !== undefined && !(Number.isSafeInteger(limit) && limit >= 0)) {
    throw new RangeError(`byte counter limit must be a non-negative integer: got ${limit}`);
  }
  let count = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      count += chunk.length;
      if (limit !== undefined && count > limit) {
        callback(new SizeLimitExceededError(limit));
        return;
      }
      callback(null, chunk);
    },
  });
  return { tap, result: () => count };
}
