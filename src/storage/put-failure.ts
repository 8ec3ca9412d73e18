import { isProjectError } from '../lib/errors.js';
import type { BlobKey } from './blob-store.js';
import { BlobBodyError, StorageAbortedError } from './errors.js';

/**
 * What `put` rejects with when the caller's signal aborted: the signal's reason if it is one of
 * ours (a service may abort with its own typed error), otherwise `StorageAbortedError` with the
 * reason as `cause`.
 */
export function abortFailure(key: BlobKey, signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return isProjectError(reason) ? reason : new StorageAbortedError(key, { cause: reason });
}

/**
 * What `put` rejects with when the body failed: the body's own error if it is one of ours (e.g. a
 * byte counter's SizeLimitExceededError, which the service maps to its own outcome), otherwise
 * `BlobBodyError` with the foreign error as `cause`.
 */
export function bodyFailure(key: BlobKey, error: unknown): Error {
  if (isProjectError(error)) return error;
  const code = (error as { code?: unknown } | undefined)?.code;
  const detail = typeof code === 'string' ? code : 'stream error';
  return new BlobBodyError(key, detail, { cause: error });
}

/** `put` with a `contentLength` that the body did not match. */
export function lengthMismatch(key: BlobKey, expected: number, actual: number): Error {
  return new BlobBodyError(key, `expected ${expected} bytes, got ${actual}`);
}
