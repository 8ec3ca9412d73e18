import { lastSequence } from '../index/change-feed.repository.js';
import type { Db } from '../index/db.js';
import type { Actor } from './actor.js';
import { toEntry, type ChangeFeedEntry, type ChangeFeedService } from './change-feed.js';
import type { ChangeSignal } from './change-signal.js';

export interface ChangeEventsOptions {
  /** A comment line is sent after this much silence, so proxies keep the stream open. */
  heartbeatMs: number;
}

/** What the event stream yields: an entry, or a heartbeat after `heartbeatMs` of silence. */
export type ChangeEvent = { entry: ChangeFeedEntry } | { heartbeat: true };

const PAGE = 100;

/**
 * Live change events (`GET /events`, Server-Sent Events): the change feed followed from a
 * Sequence — the client's Last-Event-ID, or the newest entry for a new subscriber — within the
 * actor's patient scope. Each stream reads the feed from its own cursor whenever the change
 * signal fires, so a slow or resuming client never misses or reorders an entry, and what it
 * was sent is exactly the feed's order. The subscription is recorded once as a query.
 */
export class ChangeEvents {
  private readonly closing = new AbortController();

  constructor(
    private readonly deps: {
      db: Db;
      feed: ChangeFeedService;
      signal: ChangeSignal;
      options: ChangeEventsOptions;
    },
  ) {}

  /** Ends every stream (shutdown: the server waits for open responses before it closes). */
  close(): void {
    this.closing.abort();
  }

  /**
   * Where a stream starts: after `lastEventId` (a resuming client), else after the newest
   * entry. Records the subscription; a trail that cannot record it refuses the stream (503)
   * before its first byte.
   */
  async open(actor: Actor, lastEventId: number | undefined): Promise<number> {
    const start = lastEventId ?? (await publishedUpTo(this.deps.db, this.deps.feed));
    await this.deps.feed.record(actor, 'events', 0);
    return start;
  }

  /** The entries after `from`, live, until `abort` fires. */
  async *follow(actor: Actor, from: number, stop: AbortSignal): AsyncGenerator<ChangeEvent> {
    const { db, feed, signal, options } = this.deps;
    const abort = AbortSignal.any([stop, this.closing.signal]);
    let cursor = from;
    while (!abort.aborted) {
      // Read the head before the page: every entry up to it is visible to the page's query, so
      // an empty page means none of them is this actor's, and the cursor may skip them.
      const head = await lastSequence(db);
      const rows = await feed.page(
        { offset: cursor, limit: PAGE, includeMetadata: false },
        actor.patientIds,
      );
      for (const row of rows) {
        yield { entry: toEntry(row, false) };
        cursor = row.sequence;
      }
      if (rows.length === PAGE) continue;
      if (rows.length === 0) cursor = Math.max(cursor, head);
      if (!(await signal.wait(head, options.heartbeatMs, abort)) && !abort.aborted) {
        yield { heartbeat: true };
      }
    }
  }
}

/** The newest Sequence, after publishing what committed: where a new subscriber starts. */
async function publishedUpTo(db: Db, feed: ChangeFeedService): Promise<number> {
  await feed.publish();
  return lastSequence(db);
}
