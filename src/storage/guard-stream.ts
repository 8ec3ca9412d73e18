import { PassThrough, type Readable } from 'node:stream';
import type { BlobKey } from './blob-store.js';
import { StorageAbortedError, StorageUnavailableError } from './errors.js';

/**
 * The response body behind a PassThrough, so that a network failure mid-stream surfaces as our
 * StorageUnavailableError and an abort as StorageAbortedError, as the BlobStore contract wants.
 */
export function guardStream(
  backend: string,
  key: BlobKey,
  body: Readable,
  signal?: AbortSignal,
): Readable {
  const out = new PassThrough();
  body.once('error', (error) => {
    out.destroy(
      signal?.aborted
        ? new StorageAbortedError(key, { cause: signal.reason })
        : new StorageUnavailableError(`${backend} read of blob ${key} failed mid-stream`, {
            cause: error,
          }),
    );
  });
  out.once('close', () => body.destroy());
  if (signal) {
    const onAbort = () => out.destroy(new StorageAbortedError(key, { cause: signal.reason }));
    signal.addEventListener('abort', onAbort, { once: true });
    out.once('close', () => signal.removeEventListener('abort', onAbort));
  }
  body.pipe(out); // errors are handled above: 'error' on body destroys out with ours
  return out;
}
