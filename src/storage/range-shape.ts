import type { ByteRange } from './blob-store.js';

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
