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
    // index is on upper(); prefix patterns use it too. The columns after the name make a study
    // search by name an index-only scan (the page is chosen on date, time and id; patient_name
    // itself lets the LIKE recheck read the name from the index). Without them PostgreSQL
    // walked studies_date_idx newest first, fetching every study to test its name: `Smi*` read
    // ~5,000 rows for a page of 101 (bench/RESULTS.md, QIDO-RS at archive scale).
    index('studies_patient_name_idx').using(
      'btree',
      sql`upper(${t.patientName}) text_pattern_ops`,
      t.partitionKey,
      t.studyDate.desc().nullsLast(),
      t.studyTime.desc().nullsLast(),
      t.id.desc().nullsLast(),
      t.patientName,
    ),
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

// ---------------------------------------------------------------------------------------------
// Security (README "Security"): credentials and the audit trail.

/** API keys for modalities, gateways and scripts. The secret itself is never stored. */
export const apiKeys = pgTable(
  'api_keys',
  {
    id: text('id').primaryKey(),
    /** Operator-chosen, unique among live keys; the audit trail's user id. */
    name: text('name').notNull(),
    role: text('role').notNull(),
    /** SHA-256 (hex) of the whole key; keys are 256-bit random, so no slow hash is needed. */
    secretHash: text('secret_hash').notNull(),
    /** The first characters of the key, shown by `strata keys list` to tell keys apart. */
    prefix: text('prefix').notNull(),
    /** Optional patient context (like a token's patient claim). */
    patientIds: text('patient_ids').array(),
    createdAt: createdAt(),
    lastUsedAt: timestamp('last_used_at', { withTimezone: true }),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
  },
  (t) => [
    uniqueIndex('api_keys_secret_hash_uq').on(t.secretHash),
    uniqueIndex('api_keys_live_name_uq')
      .on(t.name)
      .where(sql`${t.revokedAt} is null`),
  ],
);

/** Built-in accounts for sites without an identity provider. */
export const accounts = pgTable(
  'accounts',
  {
    id: text('id').primaryKey(),
    username: text('username').notNull(),
    /** Memory-hard KDF output with its parameters (auth/passwords.ts). */
    passwordHash: text('password_hash').notNull(),
    roles: text('roles').array().notNull(),
    patientIds: text('patient_ids').array(),
    /** RFC 6238 shared secret (base32); null = no second factor enrolled. */
    totpSecret: text('totp_secret'),
    totpRequired: boolean('totp_required').notNull().default(false),
    /** The last accepted TOTP time step, so one code cannot be replayed. */
    totpLastStep: bigint('totp_last_step', { mode: 'number' }),
    failedAttempts: integer('failed_attempts').notNull().default(0),
    lockedUntil: timestamp('locked_until', { withTimezone: true }),
    disabledAt: timestamp('disabled_at', { withTimezone: true }),
    passwordChangedAt: timestamp('password_changed_at', { withTimezone: true }),
    lastLoginAt: timestamp('last_login_at', { withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('accounts_username_uq').on(t.username)],
);

/** Refresh tokens of built-in accounts: hashed, rotated on each use, revocable. */
export const refreshTokens = pgTable(
  'refresh_tokens',
  {
    id: text('id').primaryKey(),
    accountId: text('account_id')
      .notNull()
      .references(() => accounts.id, { onDelete: 'cascade' }),
    secretHash: text('secret_hash').notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    usedAt: timestamp('used_at', { withTimezone: true }),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('refresh_tokens_secret_hash_uq').on(t.secretHash),
    index('refresh_tokens_account_idx').on(t.accountId),
  ],
);

/**
 * Keys that sign access tokens of built-in accounts, shared by every node through the index.
 * The newest signs; older ones verify until the tokens they signed have expired.
 */
export const signingKeys = pgTable('signing_keys', {
  kid: text('kid').primaryKey(),
  algorithm: text('algorithm').notNull(),
  privateJwk: jsonb('private_jwk').notNull(),
  publicJwk: jsonb('public_jwk').notNull(),
  createdAt: createdAt(),
});

/**
 * The audit trail (PS3.15 A.5): append-only, each record's `hash` covers its content and the
 * previous record's hash, so an edit or a deletion breaks the chain (`strata audit verify`).
 * Patient and study identifiers are keyed hashes (AUDIT_PSEUDONYM_KEY), searchable by hashing.
 */
export const auditLog = pgTable(
  'audit_log',
  {
    seq: bigint('seq', { mode: 'number' }).primaryKey(),
    at: timestamp('at', { withTimezone: true }).notNull(),
    eventId: text('event_id').notNull(),
    eventType: text('event_type'),
    action: text('action').notNull(),
    outcome: integer('outcome').notNull(),
    userId: text('user_id'),
    userMethod: text('user_method'),
    userRoles: text('user_roles').array(),
    clientAddress: text('client_address'),
    requestId: text('request_id'),
    patientRef: text('patient_ref'),
    studyRefs: text('study_refs').array(),
    query: text('query'),
    detail: jsonb('detail'),
    prevHash: text('prev_hash').notNull(),
    hash: text('hash').notNull(),
  },
  (t) => [
    index('audit_log_at_idx').on(t.at),
    index('audit_log_patient_idx').on(t.patientRef),
    index('audit_log_user_idx').on(t.userId),
    index('audit_log_event_idx').on(t.eventId, t.at),
  ],
);

/**
 * The chain's head: one row, locked by each append, so appends from every node serialise and
 * each record names its true predecessor. The anchor is the last record retention removed (seq
 * 0 and the genesis hash until then): the oldest kept record must follow it, so removing old
 * records on schedule keeps the chain verifiable while removing any other still shows.
 */
export const auditHead = pgTable('audit_head', {
  id: integer('id').primaryKey(),
  seq: bigint('seq', { mode: 'number' }).notNull(),
  hash: text('hash').notNull(),
  anchorSeq: bigint('anchor_seq', { mode: 'number' }).notNull().default(0),
  anchorHash: text('anchor_hash').notNull().default('0'.repeat(64)),
});

/** How far each export destination (the ATNA syslog) has delivered: the spool is the log. */
export const auditExport = pgTable('audit_export', {
  destination: text('destination').primaryKey(),
  deliveredSeq: bigint('delivered_seq', { mode: 'number' }).notNull(),
  updatedAt: updatedAt(),
});

// ---------------------------------------------------------------------------------------------
// Change feed and events (README "Change feed and events").

/**
 * The outbox: one row per instance change (create, update = replace of a stored SOP Instance,
 * delete), inserted by the same statement or transaction that changes the index
 * (instance-insert.ts, instances.repository.ts, delete.repository.ts), so a change is in the
 * feed exactly when it is in the index.
 *
 * `sequence` is the feed's order (the change feed's `Sequence`). It is NOT taken at insert: a
 * writer that took 10 could commit after one that took 11, and a reader at 11 would skip 10
 * for good. Rows are inserted with `sequence` null and numbered after they committed, in
 * batches, by whoever reads the feed (change-feed.repository.ts `publishChanges`, under the
 * `change_feed_head` row lock): every sequence is assigned to an already committed row, and a
 * later batch always gets higher numbers, so "everything above my offset" never misses a change
 * that committed late. The writers pay one insert and no lock.
 *
 * `patient_id` is the PatientID of the study's patient (studies.patient_id) when the change
 * happened, so a principal with a patient scope sees only its patients' entries. `modality` and
 * `sop_class_uid` serve webhook filters.
 */
export const changeFeed = pgTable(
  'change_feed',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    sequence: bigint('sequence', { mode: 'number' }),
    partitionKey: partitionKey(),
    action: text('action', { enum: ['create', 'update', 'delete'] }).notNull(),
    studyInstanceUid: text('study_instance_uid').notNull(),
    seriesInstanceUid: text('series_instance_uid').notNull(),
    sopInstanceUid: text('sop_instance_uid').notNull(),
    /** instances.id and instances.version this entry made current (the entry's State). */
    instanceId: bigint('instance_id', { mode: 'number' }).notNull(),
    instanceVersion: integer('instance_version').notNull(),
    patientId: text('patient_id'),
    modality: text('modality'),
    sopClassUid: text('sop_class_uid'),
    at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    // Published entries only: a STOW's insert then touches two indexes, not three.
    uniqueIndex('change_feed_sequence_uq')
      .on(t.sequence)
      .where(sql`${t.sequence} is not null`),
    // The publisher's scan for committed rows still without a sequence.
    index('change_feed_unpublished_idx')
      .on(t.id)
      .where(sql`${t.sequence} is null`),
  ],
);

/** The last sequence given out; its row lock makes publishing one batch at a time. */
export const changeFeedHead = pgTable('change_feed_head', {
  id: integer('id').primaryKey(),
  lastSequence: bigint('last_sequence', { mode: 'number' }).notNull(),
});

/**
 * Outgoing webhooks (admin-managed). Each has its own cursor over the change feed
 * (`delivered_sequence`), moved only after the receiver accepted a delivery, so deliveries
 * survive restarts; the row is held FOR UPDATE SKIP LOCKED while delivering, so nodes sharing
 * the index never send the same entry twice in parallel. Filters: null = any.
 */
export const webhooks = pgTable('webhooks', {
  id: text('id').primaryKey(),
  url: text('url').notNull(),
  /** The HMAC-SHA256 key of X-Strata-Signature; the server must hold it to sign. */
  secret: text('secret').notNull(),
  actions: text('actions').array(),
  studyInstanceUid: text('study_instance_uid'),
  seriesInstanceUid: text('series_instance_uid'),
  modality: text('modality'),
  sopClassUid: text('sop_class_uid'),
  deliveredSequence: bigint('delivered_sequence', { mode: 'number' }).notNull(),
  /** Consecutive failed attempts of the entry after the cursor; drives the back-off. */
  failures: integer('failures').notNull().default(0),
  nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true }),
  /** Why the last attempt failed (status code or error code; never the body). */
  lastError: text('last_error'),
  createdBy: text('created_by'),
  createdAt: createdAt(),
});
