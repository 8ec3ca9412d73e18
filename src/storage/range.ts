import type { BlobKey, ByteRange } from './blob-store.js';
import { BlobRangeError } from './errors.js';

/** Inclusive byte bounds, both inside the blob. */
export interface ResolvedRange {
  start: number;
  end: number;
}

/**
 * Checks `range` against a blob of `size` bytes, as RFC 9110 §14.1.2 reads `bytes=start-end`:
 * `end` omitted or past the last byte means "to the end" (clamped); a `start` at or past the
 * size is unsatisfiable (so no range of an empty blob is). Malformed ranges (negative, fractional,
 * end before start) are refused the same way. Returns `undefined` for "the whole blob".
 */
export function resolveRange(
  key: BlobKey,
  size: number,
  range: ByteRange | undefined,
): ResolvedRange | undefined {
  if (range === undefined) return undefined;
  const { start, end } = range;
  if (!validRangeShape(range) || start >= size) throw new BlobRangeError(key, size);
  return { start, end: Math.min(end ?? size - 1, size - 1) };
}

/**
 * True when `range` is well formed (whole, non-negative, end ≥ start), size aside. Object stores
 * check it before sending `Range:`: a malformed header would be ignored by S3/Azure (RFC 9110
 * §14.2 lets servers ignore it) and the whole object returned instead of an error.
 */
export function validRangeShape(range: ByteRange): boolean {
  const { start, end } = range;
  if (!Number.isSafeInteger(start) || start < 0) return false;
  return end === undefined || (Number.isSafeInteger(end) && end >= start);
}
