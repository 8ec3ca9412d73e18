import { and, asc, eq, inArray, lte, sql } from 'drizzle-orm';
import type { Db, Tx } from './db.js';
import { blobJournal, instances } from './schema.js';

/** A blob the journal tracks (see schema.ts `blobJournal` for the life cycle). */
export interface JournalEntry {
  id: number;
  blobKey: string;
  storageTier: string;
  kind: 'pending' | 'delete';
}

const journalColumns = {
  id: blobJournal.id,
  blobKey: blobJournal.blobKey,
  storageTier: blobJournal.storageTier,
  kind: blobJournal.kind,
};

/** Step 1 of the write path: record the upload before any byte is written. */
export async function recordPendingBlob(
  db: Db,
  blob: { blobKey: string; storageTier: string },
  graceSeconds: number,
): Promise<void> {
  // Plain SQL: once per instance on the write path, where the insert builder's work showed.
  await db.execute(sql`
    insert into ${blobJournal} (blob_key, storage_tier, kind, due_at)
    values (${blob.blobKey}, ${blob.storageTier}, 'pending',
      now() + make_interval(secs => ${graceSeconds}))`);
}

/**
 * Inside the commit transaction: removes the pending entry, proving the sweeper has not given
 * up on this upload. Returns false when the entry is gone (the sweeper claimed it): the caller
 * must then abort, because the blob is scheduled for deletion.
 */
export async function settlePendingBlob(tx: Tx, blobKey: string): Promise<boolean> {
  const rows = await tx
    .delete(blobJournal)
    .where(and(eq(blobJournal.blobKey, blobKey), eq(blobJournal.kind, 'pending')))
    .returning({ id: blobJournal.id });
  return rows.length === 1;
}

/**
 * Schedules blobs for deletion after `graceSeconds`, turning a pending entry into a delete entry
 * when one exists. Runs inside the transaction that drops their index rows, so a crash can never
 * leave a blob both unreferenced and unscheduled.
 */
export async function scheduleBlobDeletion(
  tx: Db | Tx,
  blobs: { blobKey: string; storageTier: string }[],
  graceSeconds: number,
): Promise<JournalEntry[]> {
  if (blobs.length === 0) return [];
  const keys = blobs.map((b) => b.blobKey);
  await tx
    .delete(blobJournal)
    .where(and(inArray(blobJournal.blobKey, keys), eq(blobJournal.kind, 'pending')));
  return tx
    .insert(blobJournal)
    .values(
      blobs.map((b) => ({
        blobKey: b.blobKey,
        storageTier: b.storageTier,
        kind: 'delete' as const,
        dueAt: sql`now() + make_interval(secs => ${graceSeconds})`,
      })),
    )
    .onConflictDoNothing()
    .returning(journalColumns);
}

/**
 * The sweeper's claim: pending entries past their grace period become delete entries (so a late
 * commit of that upload fails in `settlePendingBlob`), then due delete entries are returned.
 */
export async function claimDueBlobs(db: Db, limit: number): Promise<JournalEntry[]> {
  await db
    .update(blobJournal)
    .set({ kind: 'delete' })
    .where(and(eq(blobJournal.kind, 'pending'), lte(blobJournal.dueAt, sql`now()`)));
  return db
    .select(journalColumns)
    .from(blobJournal)
    .where(and(eq(blobJournal.kind, 'delete'), lte(blobJournal.dueAt, sql`now()`)))
    .orderBy(asc(blobJournal.dueAt))
    .limit(limit);
}

/** Removes journal entries whose blobs are gone. */
export async function forgetJournalEntries(db: Db, ids: number[]): Promise<void> {
  if (ids.length === 0) return;
  await db.delete(blobJournal).where(inArray(blobJournal.id, ids));
}

/**
 * `verify --remove-orphans`' decision, made by the database at deletion time: schedules `blob`
 * for deletion now, only if no instance row (of any tier) and no journal row (pending of any
 * age, or delete) names its key. One statement, so one snapshot: an upload's commit swaps its
 * pending row for its instance row atomically, and any snapshot sees one of the two, which a
 * check of the two tables in separate statements could miss. No lock is needed beyond that,
 * because nothing ever adds a reference to an existing key: every upload and every HSM copy
 * writes a fresh key after recording it pending (store-instances.ts, migrate-one.ts).
 * Returns the entry to delete, or undefined when the blob is referenced (or already scheduled).
 * A crash after the insert leaves a due delete row: the sweeper finishes the job.
 */
export async function claimOrphan(
  db: Db,
  blob: { blobKey: string; storageTier: string },
): Promise<JournalEntry | undefined> {
  const result: unknown = await db.execute(sql`
    insert into ${blobJournal} (blob_key, storage_tier, kind, due_at)
    select ${blob.blobKey}, ${blob.storageTier}, 'delete', now()
    where not exists (select 1 from ${instances} where blob_key = ${blob.blobKey})
      and not exists (select 1 from ${blobJournal} where blob_key = ${blob.blobKey})
    on conflict do nothing
    returning id, blob_key, storage_tier, kind`);
  // postgres.js answers an array of rows, PGlite an object with `rows`.
  type Row = { id: number | string; blob_key: string; storage_tier: string; kind: 'delete' };
  const rows = Array.isArray(result) ? (result as Row[]) : (result as { rows: Row[] }).rows;
  const row = rows[0];
  return (
    row && {
      id: Number(row.id),
      blobKey: row.blob_key,
      storageTier: row.storage_tier,
      kind: row.kind,
    }
  );
}
