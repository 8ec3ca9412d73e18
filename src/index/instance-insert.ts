import { sql } from 'drizzle-orm';
import type { DicomJsonDataset } from '../dicom/json/types.js';
import { firstInteger, pickAttributes } from './column-values.js';
import type { Db } from './db.js';
import { SERIES_LEVEL_TAGS, STUDY_LEVEL_TAGS } from './levels.js';
import { OUTBOX_COLUMNS } from './change-feed.outbox.js';
import { rowsOf } from './rows.js';
import type { instances } from './schema.js';

/** Everything the ingest path knows about one stored instance. */
export interface InstanceRecord {
  studyInstanceUid: string;
  seriesInstanceUid: string;
  sopInstanceUid: string;
  sopClassUid: string;
  transferSyntaxUid: string;
  blobKey: string;
  storageTier: string;
  size: number;
  sha256: string;
  datasetOffset: number;
  deflated: boolean;
  pixelData: unknown;
  bulkData: unknown;
  /** The dataset's DICOM JSON (without group 0002). */
  metadata: DicomJsonDataset;
}

/**
 * The usual commit of the write path in ONE statement (so one round trip and, outside a
 * transaction, one commit): a new SOP Instance UID joining a series whose study and series rows
 * already hold exactly this instance's study- and series-level attributes. It inserts the
 * instance row and deletes the upload's pending journal row together, or changes nothing:
 *
 * - `parents` finds the series and its study only when nothing above the instance needs
 *   writing (jsonb equality ignores key order, as the transaction path's canonical comparison
 *   does), and locks them FOR KEY SHARE so a concurrent delete cannot remove them first;
 * - `settled` deletes the pending row only when `parents` matched and no row has the SOP
 *   Instance UID yet;
 * - the insert takes one row from `parents` × `settled`: it happens exactly when the pending row
 *   was deleted. A concurrent insert of the same SOP Instance UID fails the whole statement
 *   (unique violation), which changes nothing either;
 * - the change feed's outbox row (schema.ts `change_feed`, action `create`) is inserted from
 *   the instance row the statement inserted, so it exists exactly when the instance does, at no
 *   extra round trip.
 *
 * Returns true when the instance was inserted (`created`, no patient conflict: equal study
 * attributes mean the same patient). False or a unique violation: nothing was written, and the
 * caller decides in the full transaction (duplicate, conflict, replace, new parents, expired).
 */
export async function insertIntoUnchangedSeries(
  db: Db,
  partitionKey: string,
  record: InstanceRecord,
): Promise<boolean> {
  const ds = record.metadata;
  const studyAttributes = JSON.stringify(pickAttributes(ds, STUDY_LEVEL_TAGS));
  const seriesAttributes = JSON.stringify(pickAttributes(ds, SERIES_LEVEL_TAGS));
  const result: unknown = await db.execute(sql`
    with parents as (
      select se.id as series_id, st.id as study_id, st.patient_id, se.modality
      from series se join studies st on st.id = se.study_fk
      where se.partition_key = ${partitionKey} and se.series_instance_uid = ${record.seriesInstanceUid}
        and st.study_instance_uid = ${record.studyInstanceUid}
        and st.attributes = ${studyAttributes}::jsonb and se.attributes = ${seriesAttributes}::jsonb
      for key share of se, st
    ), settled as (
      delete from blob_journal
      where blob_key = ${record.blobKey} and kind = 'pending'
        and exists (select 1 from parents)
        and not exists (select 1 from instances
          where partition_key = ${partitionKey} and sop_instance_uid = ${record.sopInstanceUid})
      returning id
    ), inserted as (
    insert into instances (partition_key, sop_instance_uid, series_fk, study_fk, sop_class_uid,
      instance_number, transfer_syntax_uid, rows, columns, bits_allocated, number_of_frames,
      blob_key, storage_tier, size, sha256, dataset_offset, deflated, pixel_data, bulk_data,
      metadata)
    select ${partitionKey}, ${record.sopInstanceUid}, parents.series_id, parents.study_id,
      ${record.sopClassUid}, ${firstInteger(ds, '00200013')}::integer,
      ${record.transferSyntaxUid}, ${firstInteger(ds, '00280010')}::integer,
      ${firstInteger(ds, '00280011')}::integer, ${firstInteger(ds, '00280100')}::integer,
      ${firstInteger(ds, '00280008')}::integer, ${record.blobKey}, ${record.storageTier},
      ${record.size}::bigint, ${record.sha256}, ${record.datasetOffset}::integer,
      ${record.deflated}::boolean, ${jsonText(record.pixelData ?? null)}::jsonb,
      ${jsonText(record.bulkData)}::jsonb, ${JSON.stringify(ds)}::jsonb
    from parents, settled
    returning id, version
    )
    insert into change_feed (${OUTBOX_COLUMNS})
    select ${partitionKey}, 'create', ${record.studyInstanceUid}, ${record.seriesInstanceUid},
      ${record.sopInstanceUid}, inserted.id, inserted.version, parents.patient_id,
      parents.modality, ${record.sopClassUid}
    from inserted, parents
    returning id`);
  return rowsOf(result).length === 1;
}

/** JSON text of a jsonb parameter; SQL NULL for null. */
function jsonText(value: unknown): string | null {
  return value === null || value === undefined ? null : JSON.stringify(value);
}

/** True for a unique violation (SQLSTATE 23505), as either driver reports it. */
export function isUniqueViolation(error: unknown): boolean {
  for (let e = error; e !== null && typeof e === 'object'; e = (e as { cause?: unknown }).cause) {
    if ((e as { code?: unknown }).code === '23505') return true;
  }
  return false;
}

/** The instance row of `record` for drizzle's insert and update (the transaction path). */
export function instanceRow(
  record: InstanceRecord,
  partitionKey: string,
  studyId: number,
  seriesId: number,
): typeof instances.$inferInsert {
  const ds = record.metadata;
  return {
    partitionKey,
    sopInstanceUid: record.sopInstanceUid,
    seriesFk: seriesId,
    studyFk: studyId,
    sopClassUid: record.sopClassUid,
    instanceNumber: firstInteger(ds, '00200013'),
    transferSyntaxUid: record.transferSyntaxUid,
    rows: firstInteger(ds, '00280010'),
    columns: firstInteger(ds, '00280011'),
    bitsAllocated: firstInteger(ds, '00280100'),
    numberOfFrames: firstInteger(ds, '00280008'),
    blobKey: record.blobKey,
    storageTier: record.storageTier,
    size: record.size,
    sha256: record.sha256,
    datasetOffset: record.datasetOffset,
    deflated: record.deflated,
    pixelData: record.pixelData ?? null,
    bulkData: record.bulkData,
    metadata: record.metadata,
  };
}
