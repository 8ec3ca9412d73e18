import { and, eq, sql, type Column, type SQL } from 'drizzle-orm';
import type { Db } from './db.js';
import { DEFAULT_PARTITION, instances, studies } from './schema.js';

/**
 * The condition that keeps a query to the studies of the given patients (PatientID values), for
 * a principal with a patient context (SMART on FHIR style): undefined = no restriction, an empty
 * list matches nothing. It is joined into the query itself, never applied to a page afterwards,
 * so limit and offset count only what the principal may see.
 *
 * A study belongs to the patient of its first stored instance (instances.repository.ts), whose
 * PatientID `studies.patient_id` keeps; an instance naming someone else inside that study is
 * still that study's, so it is seen, searched and deleted with it. studies_patient_id_idx
 * serves the equality.
 */
export function patientScopeClause(patientIds: readonly string[] | undefined): SQL | undefined {
  return patientIdIn(studies.patientId, patientIds);
}

/** The same condition over another PatientID column (the change feed's `patient_id`). */
export function patientIdIn(
  column: Column,
  patientIds: readonly string[] | undefined,
): SQL | undefined {
  if (patientIds === undefined) return undefined;
  if (patientIds.length === 0) return sql`FALSE`;
  return sql`${column} IN (${sql.join(
    patientIds.map((id) => sql`${id}`),
    sql`, `,
  )})`;
}

/**
 * Whose data a new instance would touch: the PatientID of the patient of the stored study it
 * names, and of the study that holds an instance stored under its SOP Instance UID (which a
 * replace would move, a duplicate would confirm). '' = a patient without PatientID; undefined
 * = not stored. Uses studies_uid_uq and instances_uid_uq.
 */
export async function findOwnersOf(
  db: Db,
  ids: { studyInstanceUid: string; sopInstanceUid: string },
  partitionKey = DEFAULT_PARTITION,
): Promise<{ study: string | undefined; instance: string | undefined }> {
  const patientId = sql<string>`coalesce(${studies.patientId}, '')`;
  const [study, instance] = await Promise.all([
    db
      .select({ patientId })
      .from(studies)
      .where(
        and(
          eq(studies.partitionKey, partitionKey),
          eq(studies.studyInstanceUid, ids.studyInstanceUid),
        ),
      )
      .limit(1),
    db
      .select({ patientId })
      .from(instances)
      .innerJoin(studies, eq(studies.id, instances.studyFk))
      .where(
        and(
          eq(instances.partitionKey, partitionKey),
          eq(instances.sopInstanceUid, ids.sopInstanceUid),
        ),
      )
      .limit(1),
  ]);
  return { study: study[0]?.patientId, instance: instance[0]?.patientId };
}
