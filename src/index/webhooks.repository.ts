import { asc, eq, sql } from 'drizzle-orm';
import type { Database, Db, Tx } from './db.js';
import { webhooks } from './schema.js';

export type WebhookRow = typeof webhooks.$inferSelect;
export type NewWebhook = Omit<
  typeof webhooks.$inferInsert,
  'failures' | 'nextAttemptAt' | 'lastError' | 'createdAt'
>;

export async function insertWebhook(db: Db, row: NewWebhook): Promise<WebhookRow> {
  const [created] = await db.insert(webhooks).values(row).returning();
  return created!;
}

export function listWebhooks(db: Db): Promise<WebhookRow[]> {
  return db.select().from(webhooks).orderBy(asc(webhooks.createdAt), asc(webhooks.id));
}

/** True when a subscription was removed. */
export async function deleteWebhook(db: Db, id: string): Promise<boolean> {
  const gone = await db.delete(webhooks).where(eq(webhooks.id, id)).returning({ id: webhooks.id });
  return gone.length > 0;
}

/** A subscription's place in the change feed while this process holds it. */
export interface WebhookCursor {
  readonly row: WebhookRow;
  /** The receiver accepted everything up to `sequence`: move on, forget past failures. */
  advance(sequence: number): Promise<void>;
  /** The entry after the cursor failed: count it and wait until `retryAt`. */
  fail(retryAt: Date, reason: string): Promise<void>;
}

export type WebhookClaim<T> = { claimed: true; value: T } | { claimed: false };

/**
 * Runs `work` as the one deliverer of subscription `id`, the pattern of
 * audit-export.repository.ts `withExportCursor` (which says why in full): on PostgreSQL inside
 * a transaction holding the subscription's row FOR UPDATE SKIP LOCKED, so nodes sharing the
 * index never deliver the same entries in parallel (a node that finds it held gets
 * `{ claimed: false }`, one that dies releases it with its connection); on PGlite (one process
 * per data directory) without a transaction, which would stall every other query during the
 * network calls. `work` should catch delivery failures and record them with `fail`: a throw
 * rolls back the cursor moves made in the transaction, and those entries go out again.
 */
export async function withWebhookCursor<T>(
  database: Pick<Database, 'db' | 'driver'>,
  id: string,
  work: (cursor: WebhookCursor) => Promise<T>,
): Promise<WebhookClaim<T>> {
  const claim = async (db: Db | Tx, lock: boolean): Promise<WebhookClaim<T>> => {
    const query = db.select().from(webhooks).where(eq(webhooks.id, id));
    const [row] = lock ? await query.for('update', { skipLocked: true }) : await query;
    if (!row) return { claimed: false };
    return { claimed: true, value: await work(cursorOn(db, row)) };
  };
  if (database.driver === 'pglite') return claim(database.db, false);
  return database.db.transaction((tx) => claim(tx, true));
}

function cursorOn(db: Db | Tx, row: WebhookRow): WebhookCursor {
  return {
    row,
    advance: async (sequence) => {
      if (sequence <= row.deliveredSequence) return;
      // greatest(): a cursor never moves back, whatever a stale caller passes.
      await db
        .update(webhooks)
        .set({
          deliveredSequence: sql`greatest(${webhooks.deliveredSequence}, ${sequence}::bigint)`,
          failures: 0,
          nextAttemptAt: null,
          lastError: null,
        })
        .where(eq(webhooks.id, row.id));
      row.deliveredSequence = Math.max(row.deliveredSequence, sequence);
      row.failures = 0;
    },
    fail: async (retryAt, reason) => {
      await db
        .update(webhooks)
        .set({ failures: sql`${webhooks.failures} + 1`, nextAttemptAt: retryAt, lastError: reason })
        .where(eq(webhooks.id, row.id));
      row.failures += 1;
      row.nextAttemptAt = retryAt;
    },
  };
}
