import { createHash } from 'node:crypto';
import type { AuditRecord } from '../index/audit-log.repository.js';

/**
 * How a stored audit record is hashed. Verification (`strata audit verify`) recomputes this
 * from the stored row, so it is a format: changing it breaks every existing chain.
 *
 *   hash = hex(SHA-256(UTF-8(prev_hash + canonical)))
 *
 * where `prev_hash` is the previous record's hash (64 hex digits; the retention anchor's, or
 * 64 zeros, for the first), and `canonical` is the JSON text of the object
 *
 *   { action, at, clientAddress, detail, eventId, eventType, outcome, patientRef, query,
 *     requestId, seq, studyRefs, userId, userMethod, userRoles }
 *
 * with: every one of these keys present (absent values as `null`); object keys sorted by
 * UTF-16 code units at every depth (so jsonb's own key order does not matter); no whitespace;
 * `at` as an ISO 8601 UTC string with milliseconds (`Date.prototype.toISOString`); `seq` and
 * `outcome` as JSON numbers; arrays in stored order; strings escaped as `JSON.stringify` does.
 */
export function recordHash(
  prevHash: string,
  record: Omit<AuditRecord, 'prevHash' | 'hash'>,
): string {
  return createHash('sha256')
    .update(prevHash + canonicalJson(canonicalFields(record)), 'utf8')
    .digest('hex');
}

/** The hashed fields of a record, exactly these keys (see recordHash). */
function canonicalFields(record: Omit<AuditRecord, 'prevHash' | 'hash'>): Record<string, unknown> {
  return {
    action: record.action,
    at: record.at,
    clientAddress: record.clientAddress,
    detail: record.detail,
    eventId: record.eventId,
    eventType: record.eventType,
    outcome: record.outcome,
    patientRef: record.patientRef,
    query: record.query,
    requestId: record.requestId,
    seq: record.seq,
    studyRefs: record.studyRefs,
    userId: record.userId,
    userMethod: record.userMethod,
    userRoles: record.userRoles,
  };
}

/** Stable JSON: sorted keys at every depth, dates as ISO strings, undefined as null. */
export function canonicalJson(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item)).join(',')}]`;
  if (typeof value === 'object') {
    // A key whose value is undefined is not stored (JSON and jsonb drop it): leave it out.
    const entries = Object.keys(value)
      .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
      .sort()
      .map(
        (key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`,
      );
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The hash before the first record: 64 zeros. */
export const GENESIS_HASH = '0'.repeat(64);
