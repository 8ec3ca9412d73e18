import { and, eq, inArray, notExists, sql } from 'drizzle-orm';
import type { DicomJsonDataset } from '../dicom/json/types.js';
import { scheduleBlobDeletion, settlePendingBlob } from './blob-journal.repository.js';
import { writeInstanceWithChange, type OutboxInstance } from './change-feed.outbox.js';
import type { Db, Tx } from './db.js';
import { canonicalJson, firstInteger, firstText, pickAttributes } from './column-values.js';
import { PATIENT_LEVEL_TAGS, SERIES_LEVEL_TAGS, STUDY_LEVEL_TAGS } from './levels.js';
import { fuzzyName } from './qido/fuzzy.js';
import {
  insertIntoUnchangedSeries,
  instanceRow,
  isUniqueViolation,
  type InstanceRecord,
} from './instance-insert.js';
import { DEFAULT_PARTITION, instances, patients, series, studies } from './schema.js';

export type { InstanceRecord } from './instance-insert.js';

export type CommitResult =
  | ({ kind: 'created' } & PatientCheck)
  /** Same SOP Instance UID, same bytes: nothing changed; the new blob is not needed. */
  | { kind: 'duplicate' }
  /** Same SOP Instance UID, different bytes, policy `reject`. */
  | { kind: 'conflict' }
  /** The series exists under another study: the object contradicts the index. */
  | { kind: 'hierarchy-conflict' }
  /** Policy `replace`: this is now the current version; the old blob is scheduled for deletion. */
  | ({ kind: 'replaced'; version: number } & PatientCheck)
  /** The sweeper already gave up on this upload (see settlePendingBlob). */
  | { kind: 'expired' };

/**
 * `patientConflict`: the instance names another patient (PatientID / IssuerOfPatientID) than
 * the study it joins, which keeps the patient of its first instance (see upsertHierarchy).
 */
export interface PatientCheck {
  patientConflict: boolean;
}

export interface CommitOptions {
  duplicatePolicy: 'reject' | 'replace';
  /** Grace before a replaced version's blob is deleted (readers may still stream it). */
  deleteGraceSeconds: number;
  partitionKey?: string;
  /** Test hook: runs just before each attempt to commit (the one statement, then the transaction). */
  beforeCommit?: (() => void) | undefined;
}

/** Thrown inside the transaction to roll it back with a result. */
class Rollback extends Error {
  constructor(readonly result: CommitResult) {
    super(result.kind);
  }
}

/**
 * Step 3 of the write path (services/store-instances.ts has the whole order): in ONE transaction,
 * upsert patient → study → series, insert or replace the instance row, and settle the pending
 * journal entry, and write the change feed's outbox entry (create or update) in the statement
 * that writes the instance row. Either all of it is visible or none of it is. Upserts take row locks in the same
 * order (patient, study, series, instance) in every transaction, so concurrent STOWs of
 * overlapping series serialise on the shared rows instead of deadlocking. The usual case — one
 * more instance of a known series whose study and series attributes are unchanged — writes no
 * parent row at all, so instances of one series commit in parallel.
 */
export async function commitInstance(
  db: Db,
  record: InstanceRecord,
  options: CommitOptions,
): Promise<CommitResult> {
  const partitionKey = options.partitionKey ?? DEFAULT_PARTITION;
  // The usual case in one statement; anything else is decided in the transaction below.
  options.beforeCommit?.();
  const inserted = await insertIntoUnchangedSeries(db, partitionKey, record).catch(
    (error: unknown) => {
      if (isUniqueViolation(error)) return false;
      throw error;
    },
  );
  if (inserted) return { kind: 'created', patientConflict: false };
  try {
    return await db.transaction(async (tx) => {
      const [existing] = await tx
        .select({
          id: instances.id,
          sha256: instances.sha256,
          blobKey: instances.blobKey,
          storageTier: instances.storageTier,
          version: instances.version,
          seriesFk: instances.seriesFk,
          studyFk: instances.studyFk,
        })
        .from(instances)
        .where(
          and(
            eq(instances.partitionKey, partitionKey),
            eq(instances.sopInstanceUid, record.sopInstanceUid),
          ),
        )
        .for('update');
      if (existing && existing.sha256 === record.sha256) throw new Rollback({ kind: 'duplicate' });
      if (existing && options.duplicatePolicy === 'reject') {
        throw new Rollback({ kind: 'conflict' });
      }

      const { studyId, seriesId, patientConflict } =
        (await findUnchangedParents(tx, partitionKey, record)) ??
        (await upsertHierarchy(tx, partitionKey, record.metadata));
      if (!(await settlePendingBlob(tx, record.blobKey))) throw new Rollback({ kind: 'expired' });

      const row = instanceRow(record, partitionKey, studyId, seriesId);
      if (existing) {
        await writeInstanceWithChange(
          tx,
          tx
            .update(instances)
            .set({ ...row, version: existing.version + 1, storedAt: sql`now()` })
            .where(eq(instances.id, existing.id))
            .returning({ id: instances.id, version: instances.version }),
          'update',
          outboxOf(record, partitionKey, studyId, seriesId),
        );
        await scheduleBlobDeletion(
          tx,
          [{ blobKey: existing.blobKey, storageTier: existing.storageTier }],
          options.deleteGraceSeconds,
        );
        await pruneEmptyParents(tx, [existing.seriesFk], [existing.studyFk]);
        options.beforeCommit?.();
        return { kind: 'replaced' as const, version: existing.version + 1, patientConflict };
      }
      const inserted = await writeInstanceWithChange(
        tx,
        tx
          .insert(instances)
          .values(row)
          .onConflictDoNothing()
          .returning({ id: instances.id, version: instances.version }),
        'create',
        outboxOf(record, partitionKey, studyId, seriesId),
      );
      // A concurrent transaction inserted the same SOP Instance UID after our SELECT: roll back
      // and decide again against its row.
      if (inserted === undefined) throw new Retry();
      options.beforeCommit?.();
      return { kind: 'created' as const, patientConflict };
    });
  } catch (error) {
    if (error instanceof Rollback) return error.result;
    if (error instanceof Retry) return commitInstance(db, record, options);
    throw error;
  }
}

class Retry extends Error {}

function outboxOf(
  record: InstanceRecord,
  partitionKey: string,
  studyId: number,
  seriesId: number,
): OutboxInstance {
  return {
    partitionKey,
    studyInstanceUid: record.studyInstanceUid,
    seriesInstanceUid: record.seriesInstanceUid,
    sopInstanceUid: record.sopInstanceUid,
    sopClassUid: record.sopClassUid,
    studyId,
    seriesId,
  };
}

/**
 * The study and series rows when they already hold exactly this instance's study- and
 * series-level attributes, so nothing above the instance needs writing. FOR KEY SHARE keeps a
 * concurrent delete from removing them before our instance row references them, without
 * blocking other instances of the same series. Equal study attributes mean the same patient.
 */
async function findUnchangedParents(
  tx: Tx,
  partitionKey: string,
  record: InstanceRecord,
): Promise<Hierarchy | undefined> {
  const [parents] = await tx
    .select({
      seriesId: series.id,
      studyId: studies.id,
      studyInstanceUid: studies.studyInstanceUid,
      seriesAttributes: series.attributes,
      studyAttributes: studies.attributes,
    })
    .from(series)
    .innerJoin(studies, eq(studies.id, series.studyFk))
    .where(
      and(
        eq(series.partitionKey, partitionKey),
        eq(series.seriesInstanceUid, record.seriesInstanceUid),
      ),
    )
    .for('key share');
  if (!parents || parents.studyInstanceUid !== record.studyInstanceUid) return undefined;
  const same =
    canonicalJson(parents.studyAttributes) ===
      canonicalJson(pickAttributes(record.metadata, STUDY_LEVEL_TAGS)) &&
    canonicalJson(parents.seriesAttributes) ===
      canonicalJson(pickAttributes(record.metadata, SERIES_LEVEL_TAGS));
  return same
    ? { studyId: parents.studyId, seriesId: parents.seriesId, patientConflict: false }
    : undefined;
}

interface Hierarchy extends PatientCheck {
  studyId: number;
  seriesId: number;
}

/** PATIENT_LEVEL_TAGS as a SQL array literal (constants, so no parameters are needed). */
const PATIENT_TAGS = sql.raw(`ARRAY[${PATIENT_LEVEL_TAGS.map((t) => `'${t}'`).join(',')}]::text[]`);

/** The incoming study attributes, with the Patient module tags the study row already has. */
const KEEP_STUDY_PATIENT = sql`(excluded.attributes - ${PATIENT_TAGS}) || (
  SELECT coalesce(jsonb_object_agg(kept.key, kept.value), '{}'::jsonb)
  FROM jsonb_each(${studies.attributes}) AS kept WHERE kept.key = ANY(${PATIENT_TAGS}))`;

async function upsertHierarchy(
  tx: Tx,
  partitionKey: string,
  ds: DicomJsonDataset,
): Promise<Hierarchy> {
  const patient = {
    patientName: firstText(ds, '00100010'),
    patientBirthDate: firstText(ds, '00100030'),
    patientSex: firstText(ds, '00100040'),
  };
  const [patientRow] = await tx
    .insert(patients)
    .values({
      partitionKey,
      patientId: firstText(ds, '00100020') ?? '',
      issuerOfPatientId: firstText(ds, '00100021') ?? '',
      ...patient,
    })
    .onConflictDoUpdate({
      target: [patients.partitionKey, patients.patientId, patients.issuerOfPatientId],
      set: { ...patient, updatedAt: sql`now()` },
    })
    .returning({ id: patients.id });

  const patientOfStudy = {
    patientName: patient.patientName,
    patientNameFuzzy: fuzzyName(patient.patientName),
    patientId: firstText(ds, '00100020'),
    patientBirthDate: patient.patientBirthDate,
    patientSex: patient.patientSex,
  };
  const study = {
    studyDate: firstText(ds, '00080020'),
    studyTime: firstText(ds, '00080030'),
    accessionNumber: firstText(ds, '00080050'),
    studyId: firstText(ds, '00200010'),
    studyDescription: firstText(ds, '00081030'),
    referringPhysicianName: firstText(ds, '00080090'),
    referringPhysicianNameFuzzy: fuzzyName(firstText(ds, '00080090')),
  };
  // A study belongs to one patient: the one its first stored instance names. A later instance
  // naming another patient (a mislabelled image, a merge gone wrong) is still stored and keeps
  // its own patient attributes in its metadata, but neither moves the study nor renames its
  // patient — a radiologist must never see one patient's study listed under another's name
  // because an instance arrived last. The caller warns the sender. Its other study attributes
  // follow the latest instance, as before. "First" is the first to commit: a concurrent
  // creator waits on studies_uid_uq and then takes this update path.
  const [studyRow] = await tx
    .insert(studies)
    .values({
      partitionKey,
      studyInstanceUid: requiredText(ds, '0020000D'),
      patientFk: patientRow!.id,
      ...study,
      ...patientOfStudy,
      attributes: pickAttributes(ds, STUDY_LEVEL_TAGS),
    })
    .onConflictDoUpdate({
      target: [studies.partitionKey, studies.studyInstanceUid],
      set: { ...study, attributes: KEEP_STUDY_PATIENT, updatedAt: sql`now()` },
    })
    .returning({ id: studies.id, patientFk: studies.patientFk });
  const patientConflict = studyRow!.patientFk !== patientRow!.id;
  // The other patient's row was upserted for nothing when no study is theirs: drop it again.
  if (patientConflict) await pruneEmptyPatients(tx, [patientRow!.id]);
  const studyId = studyRow!.id;

  const seriesValues = {
    modality: firstText(ds, '00080060'),
    seriesNumber: firstInteger(ds, '00200011'),
    seriesDescription: firstText(ds, '0008103E'),
    bodyPartExamined: firstText(ds, '00180015'),
    seriesDate: firstText(ds, '00080021'),
    performedProcedureStepStartDate: firstText(ds, '00400244'),
    performedProcedureStepStartTime: firstText(ds, '00400245'),
    institutionName: firstText(ds, '00080080'),
    attributes: pickAttributes(ds, SERIES_LEVEL_TAGS),
  };
  const [seriesRow] = await tx
    .insert(series)
    .values({
      partitionKey,
      seriesInstanceUid: requiredText(ds, '0020000E'),
      studyFk: studyId,
      ...seriesValues,
    })
    .onConflictDoUpdate({
      target: [series.partitionKey, series.seriesInstanceUid],
      set: { ...seriesValues, updatedAt: sql`now()` },
    })
    .returning({ id: series.id, studyFk: series.studyFk });
  if (seriesRow!.studyFk !== studyId) throw new Rollback({ kind: 'hierarchy-conflict' });
  return { studyId, seriesId: seriesRow!.id, patientConflict };
}

function requiredText(ds: DicomJsonDataset, tag: string): string {
  const value = firstText(ds, tag);
  if (value === null) throw new Error(`instance record lacks ${tag}; the service validates it`);
  return value;
}

/**
 * After instances moved (replace) or were deleted: drops the given series, and then studies and
 * patients, that no longer have anything under them. Only the named rows are looked at, so the
 * cost does not grow with the archive.
 */
export async function pruneEmptyParents(
  tx: Tx,
  seriesIds: number[],
  studyIds: number[],
): Promise<void> {
  const goneSeries = seriesIds.length
    ? await tx
        .delete(series)
        .where(
          and(
            inArray(series.id, seriesIds),
            notExists(tx.select().from(instances).where(eq(instances.seriesFk, series.id))),
          ),
        )
        .returning({ studyFk: series.studyFk })
    : [];
  const candidateStudies = [...new Set([...studyIds, ...goneSeries.map((s) => s.studyFk)])];
  const goneStudies = candidateStudies.length
    ? await tx
        .delete(studies)
        .where(
          and(
            inArray(studies.id, candidateStudies),
            notExists(tx.select().from(series).where(eq(series.studyFk, studies.id))),
          ),
        )
        .returning({ patientFk: studies.patientFk })
    : [];
  await pruneEmptyPatients(tx, [...new Set(goneStudies.map((s) => s.patientFk))]);
}

/** Drops the given patients that no study refers to. */
async function pruneEmptyPatients(tx: Tx, patientIds: number[]): Promise<void> {
  if (patientIds.length === 0) return;
  await tx
    .delete(patients)
    .where(
      and(
        inArray(patients.id, patientIds),
        notExists(tx.select().from(studies).where(eq(studies.patientFk, patients.id))),
      ),
    );
}
