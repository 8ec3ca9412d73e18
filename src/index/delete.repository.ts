import { and, eq, inArray, sql } from 'drizzle-orm';
import { scheduleBlobDeletion, type JournalEntry } from './blob-journal.repository.js';
import { deleteInstancesWithChanges } from './change-feed.outbox.js';
import type { Db } from './db.js';
import { patientScopeClause } from './patient-scope.js';
import { pruneEmptyParents } from './instances.repository.js';
import { DEFAULT_PARTITION, instances, series, studies } from './schema.js';

/** A study, a series of it, or one instance of that series. */
export interface DeleteScope {
  studyInstanceUid: string;
  seriesInstanceUid?: string | undefined;
  sopInstanceUid?: string | undefined;
  /** Only these patients' studies (index/patient-scope.ts); undefined = every patient's. */
  patientIds?: readonly string[] | undefined;
}

export interface DeleteResult {
  /** The blobs to delete now (empty when nothing matched). */
  entries: JournalEntry[];
  /** PatientID of the study's patient ('' when none), for the audit trail; '' when nothing matched. */
  patientId: string;
}

/**
 * Removes the index rows in `scope` (with one change feed `delete` entry each) and, in the same
 * transaction, schedules their blobs for
 * deletion (due at once). Returns the journal entries so the caller can delete the blobs now;
 * if it crashes first, the sweeper does. No entries when nothing matched (or nothing in the
 * patient scope: the same answer, so another patient's study is as if absent).
 */
export async function deleteInstances(
  db: Db,
  scope: DeleteScope,
  partitionKey = DEFAULT_PARTITION,
): Promise<DeleteResult> {
  return db.transaction(async (tx) => {
    const conditions = [
      eq(studies.partitionKey, partitionKey),
      eq(studies.studyInstanceUid, scope.studyInstanceUid),
    ];
    if (scope.seriesInstanceUid !== undefined) {
      conditions.push(eq(series.seriesInstanceUid, scope.seriesInstanceUid));
    }
    if (scope.sopInstanceUid !== undefined) {
      conditions.push(eq(instances.sopInstanceUid, scope.sopInstanceUid));
    }
    const inScope = patientScopeClause(scope.patientIds);
    if (inScope) conditions.push(inScope);
    const victims = await tx
      .select({
        id: instances.id,
        blobKey: instances.blobKey,
        storageTier: instances.storageTier,
        seriesFk: instances.seriesFk,
        studyFk: instances.studyFk,
        patientId: sql<string>`coalesce(${studies.patientId}, '')`,
      })
      .from(instances)
      .innerJoin(series, eq(series.id, instances.seriesFk))
      .innerJoin(studies, eq(studies.id, instances.studyFk))
      .where(and(...conditions))
      .for('update', { of: instances });
    if (victims.length === 0) return { entries: [], patientId: '' };

    // The outbox's `delete` entries are written by the statement that deletes the rows.
    await deleteInstancesWithChanges(
      tx,
      tx
        .delete(instances)
        .where(
          inArray(
            instances.id,
            victims.map((v) => v.id),
          ),
        )
        .returning({
          id: instances.id,
          version: instances.version,
          partitionKey: instances.partitionKey,
          sopInstanceUid: instances.sopInstanceUid,
          sopClassUid: instances.sopClassUid,
          seriesFk: instances.seriesFk,
          studyFk: instances.studyFk,
        }),
    );
    const entries = await scheduleBlobDeletion(tx, victims, 0);
    await pruneEmptyParents(
      tx,
      [...new Set(victims.map((v) => v.seriesFk))],
      [...new Set(victims.map((v) => v.studyFk))],
    );
    return { entries, patientId: victims[0]!.patientId };
  });
}
