import { searchAuditRecords, type AuditRecord } from '../index/audit-log.repository.js';
import type { Db } from '../index/db.js';
import type { Pseudonyms } from './pseudonym.js';

/** What an operator searches the trail by (`GET /admin/audit`, `strata audit search`). */
export interface AuditFilters {
  /** In the clear; hashed with the pseudonym key before the search. */
  patientId?: string | undefined;
  studyUid?: string | undefined;
  user?: string | undefined;
  /** Event ID code, e.g. 110112 (Query). */
  event?: string | undefined;
  from?: Date | undefined;
  to?: Date | undefined;
  /** Records with seq below this: the next page is `before` = the last seq of this one. */
  before?: number | undefined;
  limit: number;
}

export const MAX_SEARCH_LIMIT = 1000;
const DEFAULT_LIMIT = 100;

/**
 * Filters from named text values (query parameters or command-line options), or a message
 * naming the one that is wrong.
 */
export function parseAuditFilters(
  values: Record<string, string | undefined>,
): AuditFilters | string {
  const filters: AuditFilters = {
    patientId: values['patientId'],
    studyUid: values['studyUid'],
    user: values['user'],
    limit: DEFAULT_LIMIT,
  };
  const event = values['event'];
  if (event !== undefined) {
    if (!/^\d{6}$/.test(event)) return 'event: expected an event ID code such as 110112';
    filters.event = event;
  }
  for (const name of ['from', 'to'] as const) {
    const text = values[name];
    if (text === undefined) continue;
    const date = new Date(text);
    if (!/^\d{4}-\d{2}-\d{2}/.test(text) || Number.isNaN(date.getTime())) {
      return `${name}: expected an ISO 8601 date or date-time`;
    }
    filters[name] = date;
  }
  for (const name of ['limit', 'before'] as const) {
    const text = values[name];
    if (text === undefined) continue;
    if (!/^\d+$/.test(text) || Number(text) < 1 || !Number.isSafeInteger(Number(text))) {
      return `${name}: expected a positive whole number`;
    }
    filters[name] = Number(text);
  }
  if (filters.limit > MAX_SEARCH_LIMIT) return `limit: at most ${MAX_SEARCH_LIMIT}`;
  return filters;
}

/** A record as an operator reads it: stored fields, `at` as ISO 8601. */
export type AuditRecordView = Omit<AuditRecord, 'at'> & { at: string };

/** Searches the trail; patient and study are matched by their references, never stored clear. */
export class AuditSearch {
  constructor(
    private readonly db: Db,
    private readonly pseudonyms: Pseudonyms,
  ) {}

  async search(filters: AuditFilters): Promise<AuditRecordView[]> {
    const records = await searchAuditRecords(this.db, {
      patientRef:
        filters.patientId !== undefined ? this.pseudonyms.ref(filters.patientId) : undefined,
      studyRef: filters.studyUid !== undefined ? this.pseudonyms.ref(filters.studyUid) : undefined,
      userId: filters.user,
      eventId: filters.event,
      from: filters.from,
      to: filters.to,
      beforeSeq: filters.before,
      limit: Math.min(filters.limit, MAX_SEARCH_LIMIT),
    });
    return records.map((record) => ({ ...record, at: record.at.toISOString() }));
  }
}
