import type { Db } from './db.js';
import { insertIntoUnchangedSeries, type InstanceRecord } from './instance-insert.js';
import { commitInstance, type CommitOptions, type CommitResult } from './instances.repository.js';
import { DEFAULT_PARTITION } from './schema.js';

/**
 * Commits `records` in order with the same results, one by one, as `commitInstance` would give
 * them — in one transaction when it can. The usual batch (the instances of one STOW request
 * that finished streaming while the previous commit ran: new SOP Instance UIDs joining series
 * whose study and series attributes they repeat) is one transaction whose statements are
 * pipelined (postgres.js sends statements issued together in one write): one commit and about
 * one round trip for the lot instead of one of each per instance.
 *
 * If any record of the batch is anything else (new or changed parents, a duplicate, a replace,
 * an expired upload, a unique violation from a concurrent request), the transaction is rolled
 * back — nothing of the batch is written — and every record goes through `commitInstance` in
 * order, so the answers and the index are exactly those of committing them one at a time.
 */
export async function commitInstances(
  db: Db,
  records: readonly InstanceRecord[],
  options: CommitOptions,
): Promise<PromiseSettledResult<CommitResult>[]> {
  if (records.length > 1 && distinctSopInstances(records)) {
    options.beforeCommit?.();
    if (await insertAllIntoUnchangedSeries(db, records, options.partitionKey)) {
      return records.map(() => ({
        status: 'fulfilled',
        value: { kind: 'created', patientConflict: false },
      }));
    }
  }
  const results: PromiseSettledResult<CommitResult>[] = [];
  for (const record of records) {
    results.push(
      await commitInstance(db, record, options).then(
        (value) => ({ status: 'fulfilled' as const, value }),
        (reason: unknown) => ({ status: 'rejected' as const, reason }),
      ),
    );
  }
  return results;
}

/** Two parts of one batch with one SOP Instance UID: the second must see the first's row. */
function distinctSopInstances(records: readonly InstanceRecord[]): boolean {
  return new Set(records.map((r) => r.sopInstanceUid)).size === records.length;
}

class NotAllInserted extends Error {}

/**
 * All of `records` inserted by insertIntoUnchangedSeries in one transaction, or none (false):
 * a record it declines, or a statement that fails, rolls the whole transaction back.
 */
async function insertAllIntoUnchangedSeries(
  db: Db,
  records: readonly InstanceRecord[],
  partitionKey = DEFAULT_PARTITION,
): Promise<boolean> {
  try {
    await db.transaction(async (tx) => {
      // Issued together so the driver pipelines them; each still runs after the one before.
      const inserted = await Promise.allSettled(
        records.map((record) =>
          insertIntoUnchangedSeries(tx as unknown as Db, partitionKey, record),
        ),
      );
      if (!inserted.every((r) => r.status === 'fulfilled' && r.value)) throw new NotAllInserted();
    });
    return true;
  } catch {
    // A record declined (NotAllInserted), a unique violation (a concurrent request stored one
    // of these UIDs) or anything else the statements met: the one-by-one path decides each
    // record again, and reports real failures as its own.
    return false;
  }
}
