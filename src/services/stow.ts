/**
 * STOW-RS for one request on behalf of an actor (PS3.18 10.5): the parts go through storeMany
 * (store-many.ts), each one admitted only within the actor's patient scope, and the request is
 * recorded in the audit trail before it is answered.
 */
import type { AuditEvent, AuditSink } from '../audit/event.js';
import type { Db } from '../index/db.js';
import { findInstance } from '../index/current-instance.repository.js';
import { findOwnersOf } from '../index/patient-scope.js';
import { inPatientScope, type Actor } from './actor.js';
import { eventOf, recordAll } from './audit-records.js';
import { FailureReason, type StoreOutcome } from './outcomes.js';
import { ImportSession } from './import-session.js';
import type { ServiceObserver } from './observer.js';
import { storeMany, type IncomingInstance, type StoreManyResult } from './store-many.js';
import type { StoreInstances } from './store-instances.js';

export interface StowRequest {
  actor: Actor;
  /** `{study}` of `POST /studies/{study}`. */
  studyInstanceUid?: string | undefined;
  signal?: AbortSignal | undefined;
}

export interface StowServiceDeps {
  db: Db;
  store: StoreInstances;
  audit: AuditSink;
  observer?: ServiceObserver | undefined;
}

export interface NamedPatient {
  patientId: string;
  studyInstanceUid: string;
}

/** What the audit record of one patient counts. */
interface PatientTally {
  studyUids: Set<string>;
  stored: number;
  failed: number;
  replaced: boolean;
}

export class StowService {
  constructor(private readonly deps: StowServiceDeps) {}

  /**
   * Stores the parts in order (store-many.ts) and records 110104 Instances Transferred, one
   * record per patient, before resolving: the answer is not sent unless the records are durable.
   *
   * Patient scope, checked per instance once it is identified and before it is committed:
   * - an instance naming a PatientID outside the scope is refused (FailureReason 0124, Refused:
   *   Not Authorized);
   * - an instance of a study stored under a patient outside the scope, or whose SOP Instance
   *   UID is stored in such a study (a replace would move it out of that patient's study, a
   *   duplicate would confirm it), is refused alike, with the same code and no other hint, so
   *   the answer does not tell whose the study is. (That it is refused at all is unavoidable:
   *   storing it would change another patient's data.)
   *
   * The check runs when the instance's turn to commit has come, outside the commit's
   * transaction: a study another request creates for another patient in the milliseconds
   * between the two can still receive the instance, which then stays invisible to this actor
   * (and carries the B00A patient-conflict warning).
   *
   * If the audit trail cannot be written, this throws AuditUnavailableError (503) although the
   * instances are stored (durably, before the record): the client retries, and the retry is
   * idempotent — a duplicate is answered as stored and recorded then.
   */
  async store(
    parts: AsyncIterable<IncomingInstance> | Iterable<IncomingInstance>,
    request: StowRequest,
  ): Promise<StoreManyResult> {
    // Which patient and study each identified instance names, to attribute its outcome.
    const patientOf = new Map<string, NamedPatient>();
    const result = await this.storeParts(parts, request, patientOf);
    await recordAll(this.deps.audit, stowEvents(request.actor, result, patientOf));
    return result;
  }

  /**
   * An import (`strata import`): instances stored one call at a time through the same pipeline
   * and patient scope as `store`, recorded as 110107 Import rather than per call
   * (services/import-session.ts).
   */
  importSession(actor: Actor, source: string): ImportSession {
    return new ImportSession(
      {
        store: (parts, patientOf) => this.storeParts(parts, { actor }, patientOf),
        storedSha256: (sopInstanceUid) =>
          // A scoped actor learns nothing about what is stored: everything goes through admit.
          actor.patientIds === undefined
            ? findInstance(this.deps.db, sopInstanceUid).then((row) => row?.sha256)
            : Promise.resolve(undefined),
        audit: this.deps.audit,
      },
      actor,
      source,
    );
  }

  /** storeMany with the actor's patient scope; fills `patientOf` for the audit records. */
  private async storeParts(
    parts: AsyncIterable<IncomingInstance> | Iterable<IncomingInstance>,
    request: StowRequest,
    patientOf: Map<string, NamedPatient>,
  ): Promise<StoreManyResult> {
    const { actor } = request;
    const result = await storeMany(this.deps.store, parts, {
      studyInstanceUid: request.studyInstanceUid,
      signal: request.signal,
      admit: async (instance) => {
        patientOf.set(instance.sopInstanceUid, instance);
        if (actor.patientIds === undefined) return undefined;
        const refused: StoreOutcome = {
          ok: false,
          reason: FailureReason.NotAuthorized,
          detail: 'outside the patient scope of the sender',
          sopClassUid: instance.sopClassUid,
          sopInstanceUid: instance.sopInstanceUid,
        };
        if (!inPatientScope(actor, instance.patientId)) return refused;
        const owners = await findOwnersOf(this.deps.db, instance);
        const foreign = (owner: string | undefined) =>
          owner !== undefined && !inPatientScope(actor, owner);
        return foreign(owners.study) || foreign(owners.instance) ? refused : undefined;
      },
    });
    this.count(result);
    return result;
  }

  private count(result: StoreManyResult): void {
    const observer = this.deps.observer;
    if (!observer) return;
    for (const part of result.parts) {
      if (!('outcome' in part)) observer.stowPart('error');
      else if (part.outcome.ok) observer.stowPart(part.outcome.result);
      else observer.stowPart('failed', part.outcome.reason);
    }
  }
}

/**
 * 110104 Instances Transferred, action C (U when an instance replaced a stored one), one record
 * per patient: outcome 0 when all of theirs were stored, 4 when some failed, 8 when all did.
 * Parts that failed before naming a patient (not DICOM, no UIDs, cut off) are counted in one
 * record without a patient. An import (`type` 'import', 110107, PS3.15 A.5.3.6) is recorded the
 * same way, with `extra` naming the source kind.
 */
export function stowEvents(
  actor: Actor,
  result: Pick<StoreManyResult, 'parts'>,
  patientOf: ReadonlyMap<string, NamedPatient>,
  type: 'instances-transferred' | 'import' = 'instances-transferred',
  extra: Readonly<Record<string, string | number | boolean>> = {},
): AuditEvent[] {
  const tallies = new Map<string | undefined, PatientTally>();
  const tally = (patientId: string | undefined) => {
    let t = tallies.get(patientId);
    if (!t)
      tallies.set(patientId, (t = { studyUids: new Set(), stored: 0, failed: 0, replaced: false }));
    return t;
  };
  for (const part of result.parts) {
    const outcome = 'outcome' in part ? part.outcome : undefined;
    const sop = outcome?.sopInstanceUid;
    const named = sop === undefined ? undefined : patientOf.get(sop);
    const t = tally(named?.patientId);
    if (named) t.studyUids.add(named.studyInstanceUid);
    if (outcome?.ok) {
      t.stored++;
      t.studyUids.add(outcome.studyInstanceUid);
      if (outcome.result === 'replaced') t.replaced = true;
    } else {
      t.failed++;
    }
  }
  return [...tallies].map(([patientId, t]) => ({
    ...eventOf(actor, type, t.replaced ? 'U' : 'C', t.failed === 0 ? 0 : t.stored === 0 ? 8 : 4),
    ...(patientId !== undefined ? { patient: { patientId, studyUids: [...t.studyUids] } } : {}),
    // Instances stored (duplicates included: the sender holds them stored) and refused.
    detail: { ...extra, instances: t.stored, failed: t.failed },
  }));
}
