import type { AuditUser } from '../audit/event.js';

/**
 * Who acts on the archive and within which patient scope: what every use case that reads,
 * writes or deletes patient data receives, whatever the protocol (DICOMweb today, DIMSE later).
 * The protocol layer builds it from its authenticated principal (web/actor.ts).
 */
export interface Actor {
  /** Recorded in the audit trail. */
  user: AuditUser;
  /** The client's network address, for the audit trail. */
  clientAddress?: string | undefined;
  /** The request's id (X-Request-Id), tying audit records to log lines. */
  requestId?: string | undefined;
  /**
   * Patient context (SMART on FHIR style): only the studies of these patients (PatientID
   * values) exist for this actor — searched, retrieved, stored or deleted. Undefined = no
   * restriction; an empty list sees nothing.
   */
  patientIds?: readonly string[] | undefined;
}

/** Whether `patientId` is within the actor's patient scope. */
export function inPatientScope(actor: Actor, patientId: string): boolean {
  return actor.patientIds === undefined || actor.patientIds.includes(patientId);
}

/** `scope` narrowed to the actor's patients (the index joins the condition in). */
export function scopedTo<T extends object>(
  scope: T,
  actor: Actor,
): T & { patientIds?: readonly string[] | undefined } {
  return actor.patientIds === undefined ? scope : { ...scope, patientIds: actor.patientIds };
}
