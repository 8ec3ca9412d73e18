import { asc, eq, gt, sql } from 'drizzle-orm';
import type { Database, Db, Tx } from './db.js';
import { auditExport, auditLog } from './schema.js';

/** One stored audit record, as the exporter reads it. */
export type AuditLogRow = typeof auditLog.$inferSelect;

/** A destination's place in the log while this process holds it. */
export interface ExportCursor {
  /** The highest seq the destination has accepted (0: nothing yet). */
  readonly deliveredSeq: number;
  /** The next records after `deliveredSeq`, in seq order. */
  next(limit: number): Promise<AuditLogRow[]>;
  /** Records that the destination accepted everything up to `seq`. */
  advance(seq: number): Promise<void>;
}

export type ExportClaim<T> = { claimed: true; value: T } | { claimed: false };

/**
 * Runs `work` as the one exporter of `destination`: the audit log is the spool and
 * `audit_export.delivered_seq` the cursor, so whatever was not accepted is sent again later.
 * The destination's row is created on first use at 0 (the whole log goes out).
 *
 * Reading "every seq above the cursor" relies on records becoming visible in seq order: the
 * trail assigns seq while holding the `audit_head` row until its commit, so a lower seq can
 * never commit after a higher one has been read (and skipped past).
 *
 * PostgreSQL, where several nodes share the log: `work` runs inside a transaction holding the
 * destination's row (`FOR UPDATE SKIP LOCKED`); a node that finds it held gets
 * `{ claimed: false }` and tries again later, and a node that dies releases it with its
 * connection. Only this transaction waits on the network, on its own pooled connection.
 *
 * PGlite is one process per data directory (index/db.ts takes a directory lock), so no other
 * node can compete; and a PGlite transaction makes every other query of the process wait, which
 * must not last as long as a network send. There `work` runs without a transaction. The same
 * row lock statement runs on PGlite too (tests), it just has nobody to skip.
 *
 * If `work` throws, the transaction rolls back and advances made in it are lost (the records go
 * out again): `work` should catch its delivery failure, `advance` past what was accepted, and
 * return the failure as a value.
 */
export async function withExportCursor<T>(
  database: Pick<Database, 'db' | 'driver'>,
  destination: string,
  work: (cursor: ExportCursor) => Promise<T>,
): Promise<ExportClaim<T>> {
  const { db } = database;
  await db.insert(auditExport).values({ destination, deliveredSeq: 0 }).onConflictDoNothing();
  if (database.driver === 'pglite') {
    const deliveredSeq = await readDeliveredSeq(db, destination, false);
    if (deliveredSeq === undefined) return { claimed: false };
    return { claimed: true, value: await work(cursorOn(db, destination, deliveredSeq)) };
  }
  return db.transaction(async (tx) => {
    const deliveredSeq = await readDeliveredSeq(tx, destination, true);
    if (deliveredSeq === undefined) return { claimed: false };
    return { claimed: true, value: await work(cursorOn(tx, destination, deliveredSeq)) };
  });
}

/** The destination's cursor; with `lock`, undefined when another transaction holds the row. */
export async function readDeliveredSeq(
  db: Db | Tx,
  destination: string,
  lock: boolean,
): Promise<number | undefined> {
  const query = db
    .select({ deliveredSeq: auditExport.deliveredSeq })
    .from(auditExport)
    .where(eq(auditExport.destination, destination));
  const rows = lock ? await query.for('update', { skipLocked: true }) : await query;
  return rows[0]?.deliveredSeq;
}

function cursorOn(db: Db | Tx, destination: string, start: number): ExportCursor {
  let deliveredSeq = start;
  return {
    get deliveredSeq() {
      return deliveredSeq;
    },
    next: (limit) =>
      db
        .select()
        .from(auditLog)
        .where(gt(auditLog.seq, deliveredSeq))
        .orderBy(asc(auditLog.seq))
        .limit(limit),
    advance: async (seq) => {
      if (seq <= deliveredSeq) return;
      // greatest(): a cursor never moves back, whatever a stale caller passes.
      await db
        .update(auditExport)
        .set({
          deliveredSeq: sql`greatest(${auditExport.deliveredSeq}, ${seq}::bigint)`,
          updatedAt: sql`now()`,
        })
        .where(eq(auditExport.destination, destination));
      deliveredSeq = seq;
    },
  };
}
