import { sql, type SQLWrapper } from 'drizzle-orm';
import type { Tx } from './db.js';
import { rowsOf } from './rows.js';

/**
 * Writing the change feed's outbox (schema.ts `change_feed`) in the statement that changes the
 * instance row: the instance write becomes a data-modifying CTE and the outbox insert reads its
 * RETURNING rows, so the entry commits with the change, or not at all, and costs no round trip.
 */

/** The outbox columns every writer fills, in this order. */
export const OUTBOX_COLUMNS = sql.raw(
  'partition_key, action, study_instance_uid, series_instance_uid, sop_instance_uid, ' +
    'instance_id, instance_version, patient_id, modality, sop_class_uid',
);

/** What the transaction path knows of the instance it writes. */
export interface OutboxInstance {
  partitionKey: string;
  studyInstanceUid: string;
  seriesInstanceUid: string;
  sopInstanceUid: string;
  sopClassUid: string;
  studyId: number;
  seriesId: number;
}

/**
 * Runs `write` (an insert or update of one instance row, RETURNING `id` and `version`) and
 * inserts its outbox entry in the same statement. The study's patient and the series' modality
 * are read in that statement too (the study row may have been upserted earlier in the
 * transaction, which this statement sees). Returns the instance id, undefined when `write`
 * changed no row (then no entry is written either).
 */
export async function writeInstanceWithChange(
  tx: Tx,
  write: SQLWrapper,
  action: 'create' | 'update',
  instance: OutboxInstance,
): Promise<number | undefined> {
  const result = await tx.execute(sql`
    with written as (${write.getSQL()})
    insert into change_feed (${OUTBOX_COLUMNS})
    select ${instance.partitionKey}, ${action}, ${instance.studyInstanceUid},
      ${instance.seriesInstanceUid}, ${instance.sopInstanceUid}, written.id, written.version,
      (select patient_id from studies where id = ${instance.studyId}),
      (select modality from series where id = ${instance.seriesId}), ${instance.sopClassUid}
    from written
    returning instance_id`);
  const [row] = rowsOf<{ instance_id: number | string }>(result);
  return row === undefined ? undefined : Number(row.instance_id);
}

/**
 * Deletes instance rows (`remove`: a DELETE … RETURNING every instances column the entry needs:
 * id, version, partition_key, sop_instance_uid, sop_class_uid, series_fk, study_fk) and inserts
 * one `delete` entry per row in the same statement. Series and study rows are still there (the
 * caller prunes them afterwards), so the entry names them and the study's patient.
 */
export async function deleteInstancesWithChanges(tx: Tx, remove: SQLWrapper): Promise<number> {
  const result = await tx.execute(sql`
    with gone as (${remove.getSQL()})
    insert into change_feed (${OUTBOX_COLUMNS})
    select gone.partition_key, 'delete', st.study_instance_uid, se.series_instance_uid,
      gone.sop_instance_uid, gone.id, gone.version, st.patient_id, se.modality,
      gone.sop_class_uid
    from gone
    join series se on se.id = gone.series_fk
    join studies st on st.id = gone.study_fk
    returning id`);
  return rowsOf(result).length;
}
