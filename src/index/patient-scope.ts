import { and, eq, sql, type SQL } from 'drizzle-orm';
import type { Db } from './db.js';
import { DEFAULT_PARTITION, studies } from './schema.js';

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
  if (patientIds === undefined) return undefined;
  if (patientIds.length === 0) return sql`FALSE`;
  return sql`${studies.patientId} IN (${sql.join(
    patientIds.map((id) => sql`${id}`),
    sql`, `,
  )})`;
}

/**
 * PatientID of the patient a stored study belongs to ('' when it has none); undefined when the
 * study is not stored. Uses studies_uid_uq.
 */
export async function findStudyPatientId(
  db: Db,
  studyInstanceUid: string,
  partitionKey = DEFAULT_PARTITION,
): Promise<string | undefined> {
  const [row] = await db
    .select({ patientId: studies.patientId })
    .from(studies)
    .where(
      and(eq(studies.partitionKey, partitionKey), eq(studies.studyInstanceUid, studyInstanceUid)),
    )
    .limit(1);
  return row ? (row.patientId ?? '') : undefined;
}
