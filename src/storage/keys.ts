import { createHash } from 'node:crypto';
import { ulid } from '../lib/ulid.js';
import type { BlobKey } from './blob-store.js';
import { InvalidBlobKeyError } from './errors.js';

/** Longest key accepted; leaves room under PATH_MAX and object-store key limits (S3: 1024). */
export const MAX_KEY_LENGTH = 512;

const SEGMENT = /^[a-z0-9._-]+$/;
const PREFIX_CHARS = /^[a-z0-9._/-]*$/;

/**
 * A new, unique key: two hex chars of the SHA-256 of a lowercase ULID, '/', the ULID
 * (`3f/01jd2x…`). The hash prefix spreads keys over 256 filesystem directories and object-store
 * partitions (sequential ULIDs alone would all land in one hot partition); within a prefix keys
 * sort by creation time, which sweepers can use. Keys never come from DICOM UIDs (see BlobKey).
 */
export function newBlobKey(): BlobKey {
  const id = ulid().toLowerCase();
  const prefix = createHash('sha256').update(id).digest('hex').slice(0, 2);
  return `${prefix}/${id}`;
}

/**
 * Throws `InvalidBlobKeyError` unless `key` is 1–512 chars of `[a-z0-9._-]+` segments joined by
 * '/', none of them '.' or '..'. That rules out empty segments, leading or trailing '/',
 * backslashes, NUL and upper case (case-insensitive filesystems would merge keys). Every backend
 * calls it before touching storage.
 */
export function assertSafeKey(key: string): void {
  const reason = unsafeKeyReason(key);
  if (reason !== undefined) throw new InvalidBlobKeyError(reason);
}

export function isSafeKey(key: string): boolean {
  return unsafeKeyReason(key) === undefined;
}

/**
 * Throws `InvalidBlobKeyError` unless `prefix` can begin a safe key: empty, or up to 512 chars
 * of `[a-z0-9._/-]` whose complete segments (all but the text after the last '/') are safe. The
 * last, partial segment may be anything in the alphabet: `list('3')` matches `3f/…`.
 */
export function assertSafePrefix(prefix: string): void {
  if (prefix === '') return;
  if (prefix.length > MAX_KEY_LENGTH) throw new InvalidBlobKeyError('prefix too long');
  if (!PREFIX_CHARS.test(prefix)) {
    throw new InvalidBlobKeyError('prefix has characters outside [a-z0-9._/-]');
  }
  const slash = prefix.lastIndexOf('/');
  if (slash >= 0) assertSafeKey(prefix.slice(0, slash));
}

function unsafeKeyReason(key: string): string | undefined {
  if (typeof key !== 'string' || key.length === 0) return 'empty';
  if (key.length > MAX_KEY_LENGTH) return `longer than ${MAX_KEY_LENGTH} characters`;
  for (const segment of key.split('/')) {
    if (segment === '') return 'empty segment (leading, trailing or double slash)';
    if (segment === '.' || segment === '..') return 'dot segment';
    if (!SEGMENT.test(segment)) return 'characters outside [a-z0-9._-]';
  }
  return undefined;
}
