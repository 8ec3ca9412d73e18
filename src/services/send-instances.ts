/**
 * Stored instances sent to another DICOM node over DIMSE (`strata send`; C-MOVE and C-GET
 * sub-operations): which instances, their bytes as stored or converted to Explicit VR Little
 * Endian, and the audit trail. 110106 Export (PS3.15 A.5.3.6, action R), one record per patient,
 * written before the first byte is read, so an export that cannot be recorded does not happen;
 * a second record with outcome 4 (some) or 8 (all) follows when instances failed to arrive.
 */
import type { Readable } from 'node:stream';
import type { AuditOutcome, AuditSink } from '../audit/event.js';
import type { Db } from '../index/db.js';
import {
  findInstanceRowsByKeys,
  type InstanceRow,
  type RetrieveKeys,
} from '../index/retrieve.repository.js';
import { scopedTo, type Actor } from './actor.js';
import { byPatient, eventOf, recordAll } from './audit-records.js';
import type { InstanceLookup, RetrieveScope } from './instance-lookup.js';
import type { RetrieveInstances } from './retrieve-instances.js';

export interface SendInstancesDeps {
  db: Db;
  lookup: InstanceLookup;
  instances: RetrieveInstances;
  audit: AuditSink;
}

/** Where the instances go: a remote AE, named in the audit record (not PHI). */
export interface ExportDestination {
  aeTitle: string;
  host: string;
  port: number;
}

export type ExportEvent = 'export' | 'instances-transferred';

export class SendInstances {
  constructor(private readonly deps: SendInstancesDeps) {}

  /** The instances of a study, series or instance within the actor's scope (404 when none). */
  find(scope: RetrieveScope, actor: Actor): Promise<InstanceRow[]> {
    return this.deps.lookup.findRows(scopedTo(scope, actor));
  }

  /**
   * The instances a DIMSE retrieve identifier names (C-MOVE, C-GET), within the actor's scope;
   * an empty list when none match (the retrieve then completes with no sub-operations).
   */
  findByKeys(keys: RetrieveKeys, actor: Actor): Promise<InstanceRow[]> {
    return findInstanceRowsByKeys(this.deps.db, scopedTo(keys, actor));
  }

  /**
   * Recorded before anything is read; throws (audit.unavailable) when it cannot be written.
   * 110106 Export for an operator's send; 110104 Instances Transferred for a peer's C-MOVE or
   * C-GET (the retrieve a remote node asked for).
   */
  recordStart(
    actor: Actor,
    rows: readonly InstanceRow[],
    to: ExportDestination,
    type: ExportEvent = 'export',
  ): Promise<void> {
    return this.record(actor, rows, to, 0, { instances: rows.length }, type);
  }

  /** The outcome when some instances did not arrive (nothing is recorded when all did). */
  async recordFailures(
    actor: Actor,
    rows: readonly InstanceRow[],
    failed: ReadonlySet<string>,
    to: ExportDestination,
    type: ExportEvent = 'export',
  ): Promise<void> {
    if (failed.size === 0) return;
    const outcome: AuditOutcome = failed.size === rows.length ? 8 : 4;
    const failedRows = rows.filter((r) => failed.has(r.sopInstanceUid));
    await this.record(
      actor,
      failedRows,
      to,
      outcome,
      {
        instances: rows.length,
        failed: failed.size,
      },
      type,
    );
  }

  /** Part 10 bytes as stored, or in Explicit VR LE (`requested` = its UID). */
  open(
    row: InstanceRow,
    requested: string,
    signal?: AbortSignal,
  ): Promise<{ body: Readable; transferSyntaxUid: string }> {
    return this.deps.instances.openAs(row, requested, signal);
  }

  private record(
    actor: Actor,
    rows: readonly InstanceRow[],
    to: ExportDestination,
    outcome: AuditOutcome,
    counts: Record<string, number>,
    type: ExportEvent,
  ): Promise<void> {
    const events = byPatient(rows).map((p) => ({
      ...eventOf(actor, type, 'R', outcome),
      patient: { patientId: p.patientId, studyUids: [...p.studyUids] },
      detail: { destination: `${to.aeTitle}@${to.host}:${to.port}`, ...counts },
    }));
    return recordAll(this.deps.audit, events);
  }
}
