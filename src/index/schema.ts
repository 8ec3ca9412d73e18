import {
  bigint,
  bigserial,
  boolean,
  index,
  integer,
  jsonb,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core';
import { sql } from 'drizzle-orm';

/**
 * The index. Every unique key starts with `partition_key`, so data partitions (tenants) can be
 * added later without a schema rewrite; until then everything lives in `default`.
 *
 * Columns hold the attributes QIDO-RS matches on (PS3.18 Table 10.6.1-5, plus common extras);
 * `metadata` holds each instance's full DICOM JSON so WADO metadata is never rebuilt from blobs.
 * String values are stored as they appear in the DICOM JSON (trimmed); dates as DA text
 * (YYYYMMDD), which orders correctly as text.
 */

export const DEFAULT_PARTITION = 'default';

const partitionKey = () => text('partition_key').notNull().default(DEFAULT_PARTITION);
const createdAt = () => timestamp('created_at', { withTimezone: true }).notNull().defaultNow();
const updatedAt = () => timestamp('updated_at', { withTimezone: true }).notNull().defaultNow();

export const patients = pgTable(
  'patients',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    partitionKey: partitionKey(),
    /** PatientID (0010,0020); '' when absent, so all ID-less objects share one patient row. */
    patientId: text('patient_id').notNull().default(''),
    /** IssuerOfPatientID (0010,0021); '' when absent. */
    issuerOfPatientId: text('issuer_of_patient_id').notNull().default(''),
    patientName: text('patient_name'),
    patientBirthDate: text('patient_birth_date'),
    patientSex: text('patient_sex'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    // Ingest upsert (ON CONFLICT) and QIDO PatientID lookups.
    uniqueIndex('patients_identity_uq').on(t.partitionKey, t.patientId, t.issuerOfPatientId),
  ],
);

export const studies = pgTable(
  'studies',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    partitionKey: partitionKey(),
    studyInstanceUid: text('study_instance_uid').notNull(),
    patientFk: bigint('patient_fk', { mode: 'number' })
      .notNull()
      .references(() => patients.id, { onDelete: 'restrict' }),
    studyDate: text('study_date'),
    studyTime: text('study_time'),
    accessionNumber: text('accession_number'),
    studyId: text('study_id'),
    studyDescription: text('study_description'),
    referringPhysicianName: text('referring_physician_name'),
    /** Patient attributes as this study carries them (QIDO study searches match here). */
    patientName: text('patient_name'),
    patientId: text('patient_id'),
    patientBirthDate: text('patient_birth_date'),
    patientSex: text('patient_sex'),
    /**
     * PatientName / ReferringPhysicianName folded for QIDO fuzzy matching (index/qido/fuzzy.ts):
     * accents stripped, upper case, one word per name part, as ' DOE JOHN '. Filled at ingest.
     */
    patientNameFuzzy: text('patient_name_fuzzy'),
    referringPhysicianNameFuzzy: text('referring_physician_name_fuzzy'),
    /** Study-level attributes of the latest stored instance, as DICOM JSON (QIDO returns these). */
    attributes: jsonb('attributes').notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    // Ingest upsert; /studies/{study} lookups.
    uniqueIndex('studies_uid_uq').on(t.partitionKey, t.studyInstanceUid),
    // Delete of a patient's last study; patient-level queries.
    index('studies_patient_idx').on(t.patientFk),
    // QIDO study lists, newest first with limit/offset (the default order of compile.ts), and
    // StudyDate ranges.
    index('studies_date_idx').on(
      t.partitionKey,
      t.studyDate.desc().nullsLast(),
      t.studyTime.desc().nullsLast(),
      t.id.desc(),
    ),
    // QIDO PatientID / AccessionNumber: exact and prefix (`ABC*` → LIKE 'ABC%') matching.
    index('studies_patient_id_idx').on(t.patientId.op('text_pattern_ops')),
    index('studies_accession_idx').on(t.accessionNumber.op('text_pattern_ops')),
    // QIDO PatientName: PN literal matching is case-insensitive (PS3.4 C.2.2.2.1), so the
    // index is on upper(); prefix patterns use it too.
    index('studies_patient_name_idx').using('btree', sql`upper(${t.patientName}) text_pattern_ops`),
  ],
);

export const series = pgTable(
  'series',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    partitionKey: partitionKey(),
    seriesInstanceUid: text('series_instance_uid').notNull(),
    studyFk: bigint('study_fk', { mode: 'number' })
      .notNull()
      .references(() => studies.id, { onDelete: 'cascade' }),
    modality: text('modality'),
    seriesNumber: integer('series_number'),
    seriesDescription: text('series_description'),
    bodyPartExamined: text('body_part_examined'),
    seriesDate: text('series_date'),
    performedProcedureStepStartDate: text('pps_start_date'),
    performedProcedureStepStartTime: text('pps_start_time'),
    institutionName: text('institution_name'),
    /** Series-level attributes of the latest stored instance, as DICOM JSON. */
    attributes: jsonb('attributes').notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    // Ingest upsert; /studies/{study}/series/{series} lookups.
    uniqueIndex('series_uid_uq').on(t.partitionKey, t.seriesInstanceUid),
    // Series of a study (QIDO /studies/{study}/series, study deletes).
    index('series_study_idx').on(t.studyFk),
    // QIDO ModalitiesInStudy (and Modality at study level): studies having a series of a modality.
    index('series_modality_idx').on(t.modality, t.studyFk),
  ],
);

export const instances = pgTable(
  'instances',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    partitionKey: partitionKey(),
    sopInstanceUid: text('sop_instance_uid').notNull(),
    seriesFk: bigint('series_fk', { mode: 'number' })
      .notNull()
      .references(() => series.id, { onDelete: 'cascade' }),
    studyFk: bigint('study_fk', { mode: 'number' })
      .notNull()
      .references(() => studies.id, { onDelete: 'cascade' }),
    sopClassUid: text('sop_class_uid').notNull(),
    instanceNumber: integer('instance_number'),
    transferSyntaxUid: text('transfer_syntax_uid').notNull(),
    rows: integer('rows'),
    columns: integer('columns'),
    bitsAllocated: integer('bits_allocated'),
    numberOfFrames: integer('number_of_frames'),
    /** Where the Part 10 bytes are: an opaque key in the named store/tier. */
    blobKey: text('blob_key').notNull(),
    storageTier: text('storage_tier').notNull(),
    size: bigint('size', { mode: 'number' }).notNull(),
    /** SHA-256 of the stored bytes (hex): duplicate detection and verification. */
    sha256: text('sha256').notNull(),
    /** Incremented when a different object replaces this SOP Instance UID (replace policy). */
    version: integer('version').notNull().default(1),
    /** File offset of the dataset after the file meta; with `deflated`, offsets below are in the inflated dataset. */
    datasetOffset: integer('dataset_offset').notNull(),
    deflated: boolean('deflated').notNull().default(false),
    /** Pixel data layout recorded at ingest (native range or encapsulated fragments), for frame reads by byte range. */
    pixelData: jsonb('pixel_data'),
    /** Every element stored as a BulkDataURI: path, tag, VR, offset, length. */
    bulkData: jsonb('bulk_data').notNull(),
    /** The instance's DICOM JSON (PS3.18 Annex F) with instance-relative BulkDataURIs. */
    metadata: jsonb('metadata').notNull(),
    storedAt: timestamp('stored_at', { withTimezone: true }).notNull().defaultNow(),
    lastAccessedAt: timestamp('last_accessed_at', { withTimezone: true }),
    /**
     * HSM claim: a migration worker that set this (to now + lease) owns the move of this
     * instance until then; an expired lease may be claimed again (the worker died).
     */
    migrationLeaseUntil: timestamp('migration_lease_until', { withTimezone: true }),
  },
  (t) => [
    // Duplicate detection at ingest; instance retrieve.
    uniqueIndex('instances_uid_uq').on(t.partitionKey, t.sopInstanceUid),
    // Instances of a series (metadata, retrieve, QIDO instance level).
    index('instances_series_idx').on(t.seriesFk, t.instanceNumber),
    // Instances of a study (study retrieve and delete).
    index('instances_study_idx').on(t.studyFk),
    // QIDO /instances?SOPClassUID=… across the archive.
    index('instances_sop_class_idx').on(t.sopClassUid),
    // HSM policy scans: the oldest-accessed / oldest-stored instances of a tier.
    index('instances_tier_accessed_idx').on(t.storageTier, t.lastAccessedAt),
    index('instances_tier_stored_idx').on(t.storageTier, t.storedAt),
  ],
);

/**
 * Blob life-cycle journal: the durability bookkeeping of the write and delete paths.
 * - `pending`: written BEFORE a blob upload starts; removed in the transaction that makes the
 *   instance row visible. A `pending` row whose `due_at` has passed belongs to an upload that
 *   died (crash, disconnect): the sweeper deletes the blob if any, then the row.
 * - `delete`: written in the same transaction that removes (or replaces) an instance row; the
 *   sweeper deletes the blob once `due_at` passes (a grace period lets in-flight reads of a
 *   replaced version finish), then the row.
 */
export const blobJournal = pgTable(
  'blob_journal',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    blobKey: text('blob_key').notNull(),
    storageTier: text('storage_tier').notNull(),
    kind: text('kind', { enum: ['pending', 'delete'] }).notNull(),
    dueAt: timestamp('due_at', { withTimezone: true }).notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    // The sweeper's scan for due work.
    index('blob_journal_due_idx').on(t.dueAt),
    uniqueIndex('blob_journal_key_kind_uq').on(t.blobKey, t.kind),
  ],
);

/**
 * One row per HSM migration cycle of any worker (process): what it moved, so cumulative
 * figures survive restarts and cover every process sharing the database.
 */
export const hsmCycles = pgTable(
  'hsm_cycles',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    /** Which process ran it (host:pid), for operators. */
    worker: text('worker').notNull(),
    /** What started it: the interval timer, the CLI or the admin endpoint. */
    trigger: text('trigger').notNull(),
    startedAt: timestamp('started_at', { withTimezone: true }).notNull(),
    finishedAt: timestamp('finished_at', { withTimezone: true }).notNull(),
    migrated: integer('migrated').notNull().default(0),
    bytes: bigint('bytes', { mode: 'number' }).notNull().default(0),
    skipped: integer('skipped').notNull().default(0),
    failed: integer('failed').notNull().default(0),
    /** Per-transition breakdown and failure reasons (PHI-free: keys and tiers only). */
    details: jsonb('details').notNull(),
  },
  (t) => [index('hsm_cycles_started_idx').on(t.startedAt)],
);
