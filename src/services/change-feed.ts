import type { AuditSink } from '../audit/event.js';
import {
  latestChange,
  publishChanges,
  readChanges,
  type ChangeRow,
} from '../index/change-feed.repository.js';
import type { Db } from '../index/db.js';
import type { Actor } from './actor.js';
import { eventOf, recordAll } from './audit-records.js';

/**
 * One entry of the change feed, in the shape of the Microsoft DICOM service's change feed
 * (docs "Change feed overview", v1/v2), so its consumers (DICOM Cast and the like) read ours:
 * PascalCase fields, Action create|update|delete, State current|replaced|deleted, Metadata only
 * when asked for and the entry's version is still the stored one.
 */
export interface ChangeFeedEntry {
  Sequence: number;
  StudyInstanceUid: string;
  SeriesInstanceUid: string;
  SopInstanceUid: string;
  Action: 'create' | 'update' | 'delete';
  Timestamp: string;
  State: 'current' | 'replaced' | 'deleted';
  Metadata?: unknown;
}

export interface ChangeFeedQuery {
  /** Entries with a Sequence above this (0: from the start). */
  offset: number;
  limit: number;
  includeMetadata: boolean;
}

/** Bounds of `limit` (the Microsoft service: default 10; v2 allows up to 200). */
export const CHANGE_FEED_LIMITS = { default: 10, max: 200 } as const;

export function toEntry(row: ChangeRow, includeMetadata: boolean): ChangeFeedEntry {
  const entry: ChangeFeedEntry = {
    Sequence: row.sequence,
    StudyInstanceUid: row.studyInstanceUid,
    SeriesInstanceUid: row.seriesInstanceUid,
    SopInstanceUid: row.sopInstanceUid,
    Action: row.action,
    Timestamp: new Date(row.at).toISOString(),
    State: row.state,
  };
  if (includeMetadata) entry.Metadata = row.metadata ?? null;
  return entry;
}

/**
 * Reads the change feed (index/change-feed.repository.ts): publishes what committed since the
 * last read, then answers from the published entries, within the actor's patient scope. Each
 * read is recorded as a 110112 Query (the feed names studies and, with metadata, their
 * patients), as QIDO-RS is.
 *
 * `offset` is a Sequence, not a count: entries with a higher Sequence follow. The Microsoft
 * documentation calls it "records to skip" and its clients pass either the last Sequence they
 * processed or the number of entries read so far; sequences start at 1 and only ever have gaps,
 * so the count is never above the last Sequence read, and either way nothing is skipped (a
 * count can at worst re-read entries).
 */
export class ChangeFeedService {
  constructor(private readonly deps: { db: Db; audit: AuditSink }) {}

  async read(query: ChangeFeedQuery, actor: Actor): Promise<ChangeFeedEntry[]> {
    const rows = await this.page(query, actor.patientIds);
    await this.record(actor, 'changefeed', rows.length);
    return rows.map((r) => toEntry(r, query.includeMetadata));
  }

  /** The newest entry (undefined: the feed is empty for this actor). */
  async latest(includeMetadata: boolean, actor: Actor): Promise<ChangeFeedEntry | undefined> {
    await publishChanges(this.deps.db);
    const row = await latestChange(this.deps.db, {
      includeMetadata,
      patientIds: actor.patientIds,
    });
    await this.record(actor, 'changefeed/latest', row ? 1 : 0);
    return row && toEntry(row, includeMetadata);
  }

  /** Numbers what committed since the last read (the feed's safe watermark). */
  async publish(): Promise<void> {
    await publishChanges(this.deps.db);
  }

  /** A page without an audit record: the event stream records its subscription once. */
  async page(
    query: ChangeFeedQuery,
    patientIds: readonly string[] | undefined,
  ): Promise<ChangeRow[]> {
    await publishChanges(this.deps.db);
    return readChanges(this.deps.db, {
      after: query.offset,
      limit: query.limit,
      includeMetadata: query.includeMetadata,
      patientIds,
    });
  }

  /** Records that `actor` reads the feed (a page, the latest entry, an event stream). */
  async record(actor: Actor, resource: string, results: number): Promise<void> {
    await recordAll(this.deps.audit, [
      { ...eventOf(actor, 'query', 'E', 0), detail: { resource, results } },
    ]);
  }
}
