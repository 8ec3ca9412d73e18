/**
 * How use cases record to the audit trail (audit/event.ts): one record per patient per request
 * (IHE ATNA, DICOM PS3.15 A.5), awaited before the answer is sent, so a request whose record
 * cannot be written is not served (AuditUnavailableError, 503).
 */
import type {
  AuditAction,
  AuditEvent,
  AuditEventType,
  AuditOutcome,
  AuditSink,
} from '../audit/event.js';
import { AuditUnavailableError } from '../audit/errors.js';
import { ProjectError } from '../lib/errors.js';
import type { Actor } from './actor.js';
import type { Choice, Choices, Offer, Representation } from './representation.js';

/** What a record is about: one patient and their studies involved. */
export interface PatientStudies {
  patientId: string;
  studyUids: Set<string>;
}

/** Groups (patient, study) pairs by patient, in first-seen order. */
export function byPatient(
  items: Iterable<{ patientId: string; studyInstanceUid: string }>,
): PatientStudies[] {
  const out = new Map<string, PatientStudies>();
  for (const { patientId, studyInstanceUid } of items) {
    let entry = out.get(patientId);
    if (!entry) out.set(patientId, (entry = { patientId, studyUids: new Set() }));
    entry.studyUids.add(studyInstanceUid);
  }
  return [...out.values()];
}

/** The fields of every record an actor's request raises. */
export function eventOf(
  actor: Actor,
  type: AuditEventType,
  action: AuditAction,
  outcome: AuditOutcome,
): AuditEvent {
  return {
    type,
    action,
    outcome,
    user: actor.user,
    ...(actor.clientAddress !== undefined ? { clientAddress: actor.clientAddress } : {}),
    ...(actor.requestId !== undefined ? { requestId: actor.requestId } : {}),
  };
}

/**
 * Records the events in order; resolves once all are durable. A sink that fails with anything
 * but an error of ours is wrapped into AuditUnavailableError: the caller's answer is a 503.
 */
export async function recordAll(audit: AuditSink, events: readonly AuditEvent[]): Promise<void> {
  for (const event of events) {
    try {
      await audit.record(event);
    } catch (error) {
      // The trail's own refusals (audit.unavailable, or the index's error when the index is
      // what failed) pass as they are; anything else is an unrecorded request all the same.
      if (error instanceof ProjectError) throw error;
      throw new AuditUnavailableError({ cause: error });
    }
  }
}

/**
 * A read of these patients' instances (WADO-RS): 110104 Instances Transferred for bulk bytes
 * (instances, frames, bulk data, rendered images), 110103 Instances Accessed for metadata.
 */
export function readEvents(
  actor: Actor,
  type: 'instances-transferred' | 'instances-accessed',
  found: readonly PatientStudies[],
  detail: Readonly<Record<string, string | number | boolean>>,
): AuditEvent[] {
  return found.map((p) => ({
    ...eventOf(actor, type, 'R', 0),
    patient: { patientId: p.patientId, studyUids: [...p.studyUids] },
    detail,
  }));
}

/** What a retrieve is about: the rows found, as a patient and a study each. */
export type ReadRows = Iterable<{ patientId: string; studyInstanceUid: string }>;

/**
 * WADO-RS records: the representation a retrieve service plans, with its audit record written
 * when the body is opened — after the request was negotiated (a 406 records nothing) and
 * before the first byte is read or sent. A 304 opens nothing and records nothing: no patient
 * data leaves. The record comes first, so a trail that cannot be written means no storage read
 * (a representation may `start` work from memory meanwhile; its result is not sent).
 * A stored object that fails its integrity check while being opened (storage.integrity: an
 * encrypted object altered at rest) raises a 110113 Security Alert as well.
 */
export class RetrieveAudit {
  constructor(private readonly audit: AuditSink) {}

  representation(
    representation: Representation,
    actor: Actor,
    type: 'instances-transferred' | 'instances-accessed',
    rows: ReadRows,
    detail: Readonly<Record<string, string | number | boolean>>,
  ): Representation {
    const found = byPatient(rows);
    return {
      ...representation,
      open: async () => {
        // Work from memory only (see Representation.start) may overlap the write: nothing is
        // read from storage, and nothing sent, before the record is durable.
        representation.start?.();
        await recordAll(this.audit, readEvents(actor, type, found, detail));
        try {
          return await representation.open();
        } catch (error) {
          if ((error as { code?: unknown }).code === 'storage.integrity') {
            // The read fails with its own error whether or not the alert could be written.
            await recordAll(this.audit, integrityAlerts(actor, found)).catch(() => undefined);
          }
          throw error;
        }
      },
    };
  }

  /** As `representation`, for every representation `choices` may plan. */
  choices<T extends Offer, C extends Choice<T>>(
    choices: Choices<T, C>,
    actor: Actor,
    type: 'instances-transferred' | 'instances-accessed',
    rows: ReadRows,
    detail: Readonly<Record<string, string | number | boolean>>,
  ): Choices<T, C> {
    return {
      ...choices,
      choose: (choice) => this.representation(choices.choose(choice), actor, type, rows, detail),
    };
  }
}

/** A stored object failed its integrity check (110113, PS3.15 A.5.3.11: action E). */
export function integrityAlerts(actor: Actor | undefined, found: PatientStudies[]): AuditEvent[] {
  const base: AuditEvent = actor
    ? eventOf(actor, 'security-alert', 'E', 8)
    : { type: 'security-alert', action: 'E', outcome: 8 };
  return found.map((p) => ({
    ...base,
    patient: { patientId: p.patientId, studyUids: [...p.studyUids] },
    detail: { alert: 'integrity' },
  }));
}
