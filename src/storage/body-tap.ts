import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import type { BlobKey } from './blob-store.js';
import { lengthMismatch } from './put-failure.js';

export interface BodyTap {
  /** The body's bytes, counted; errors if they do not match `contentLength`. */
  stream: Transform;
  /** Bytes seen so far. */
  size(): number;
  /** The body's own failure (error or early close), if any; undefined while it is fine. */
  failure(): unknown;
}

/**
 * Feeds `body` through a counting Transform for a backend SDK to read. A body that fails or ends
 * early destroys the tap, so the SDK's upload fails and aborts; `failure()` then tells the body's
 * fault from the backend's. With `contentLength`, a body of another length fails the tap before
 * its end is signalled, so no upload completes with the wrong bytes.
 */
export function tapBody(key: BlobKey, body: Readable, contentLength?: number): BodyTap {
  let size = 0;
  let failure: unknown;
  const stream = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      size += chunk.length;
      if (contentLength !== undefined && size > contentLength) {
        callback(lengthMismatch(key, contentLength, size));
        return;
      }
      callback(null, chunk);
    },
    flush(callback) {
      if (contentLength !== undefined && size !== contentLength) {
        callback(lengthMismatch(key, contentLength, size));
        return;
      }
      callback();
    },
  });
  stream.once('error', (error) => (failure ??= error));
  body.once('error', (error) => (failure ??= error));
  pipeline(body, stream).catch((error: unknown) => {
    failure ??= error;
  });
  return { stream, size: () => size, failure: () => failure };
}
