/**
 * Which elements become BulkDataURI (PS3.18 F.2.6) instead of inline values, and the default
 * URI builder. The caller (the ingest service) injects its own builder.
 */
import { isBytesVr, isNumericBinaryVr } from '../vr.js';

export interface BulkDataLimits {
  /** Byte-stream and numeric binary values longer than this are bulk data. */
  inlineBinaryLimit: number;
  /** Text values longer than this are bulk data. */
  inlineTextLimit: number;
}

export const DEFAULT_BULK_DATA_LIMITS: Readonly<BulkDataLimits> = {
  inlineBinaryLimit: 1024,
  inlineTextLimit: 65536,
};

/** F.2.6 lists the VRs a BulkDataURI may stand for; SQ, AT and short-text VRs stay inline. */
const BULK_TEXT = new Set(['DS', 'IS', 'LT', 'ST', 'UC', 'UT']);

/** True when a value of `vr` and `length` bytes should become a BulkDataURI. */
export function isBulkData(vr: string, length: number, limits: BulkDataLimits): boolean {
  if (vr === 'AT') return false;
  if (isBytesVr(vr) || isNumericBinaryVr(vr)) return length > limits.inlineBinaryLimit;
  if (BULK_TEXT.has(vr)) return length > limits.inlineTextLimit;
  return false;
}

/** The default BulkDataURI: relative, `bulkdata/<path>`. */
export function defaultBulkDataUri(path: string): string {
  return `bulkdata/${path}`;
}
