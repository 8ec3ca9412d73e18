import { and, arrayContains, asc, desc, eq, gt, gte, lt, lte, sql, type SQL } from 'drizzle-orm';
import type { Db } from './db.js';
import { rowsOf } from './rows.js';
import { auditHead, auditLog } from './schema.js';

/**
 * The audit trail's table (schema.ts `audit_log`, `audit_head`): chained appends, paged reads
 * for verification, searches, and retention. The hash itself is computed by the caller
 * (audit/record.ts), which owns its format.
 */

export type AuditRecord = typeof auditLog.$inferSelect;
/** A record before it is chained: everything but its place and hashes. */
export type AuditEntry = Omit<AuditRecord, 'seq' | 'prevHash' | 'hash'>;
export type HashRecord = (
  prevHash: string,
  record: Omit<AuditRecord, 'prevHash' | 'hash'>,
) => string;

export interface AuditHead {
  seq: number;
  hash: string;
  /** The last record retention removed (0 and the genesis hash when none). */
  anchorSeq: number;
  anchorHash: string;
}

/**
 * Appends `entries` in order after the current head, in one transaction: the head row is locked
 * (`FOR UPDATE`), so appends from every process and node sharing the database serialise and each
 * record names its true predecessor; one multi-row INSERT, then the head moves. Returns the
 * records as stored.
 */
export async function appendAuditRecords(
  db: Db,
  entries: readonly AuditEntry[],
  hashRecord: HashRecord,
): Promise<AuditRecord[]> {
  if (entries.length === 0) return [];
  return db.transaction(async (tx) => {
    const [head] = await tx
      .select({ seq: auditHead.seq, hash: auditHead.hash })
      .from(auditHead)
      .where(eq(auditHead.id, 1))
      .for('update');
    if (!head) throw new Error('audit_head has no row 1 (migration 0003 seeds it)');
    const records = chain(head, entries, hashRecord);
    const last = records[records.length - 1]!;
    await tx.insert(auditLog).values(records);
    await tx.update(auditHead).set({ seq: last.seq, hash: last.hash }).where(eq(auditHead.id, 1));
    return records;
  });
}

/**
 * Appends `entries` after `expected`, the head this process last wrote, in ONE statement (one
 * round trip, one commit) instead of the locked transaction's five: the head row moves only if
 * it still holds `expected` — the UPDATE takes the row lock and, under READ COMMITTED,
 * re-checks the condition against the newest version — and the records are inserted only if
 * it moved. Returns undefined, having written nothing, when another process or node appended
 * meanwhile (or the head was changed by hand): the caller then appends under the lock.
 */
export async function appendAuditRecordsAfter(
  db: Db,
  expected: Pick<AuditHead, 'seq' | 'hash'>,
  entries: readonly AuditEntry[],
  hashRecord: HashRecord,
): Promise<AuditRecord[] | undefined> {
  if (entries.length === 0) return [];
  const records = chain(expected, entries, hashRecord);
  const last = records[records.length - 1]!;
  const rows = JSON.stringify(
    records.map((r) => ({
      seq: r.seq,
      at: r.at.toISOString(),
      event_id: r.eventId,
      event_type: r.eventType,
      action: r.action,
      outcome: r.outcome,
      user_id: r.userId,
      user_method: r.userMethod,
      user_roles: r.userRoles,
      client_address: r.clientAddress,
      request_id: r.requestId,
      patient_ref: r.patientRef,
      study_refs: r.studyRefs,
      query: r.query,
      detail: r.detail,
      prev_hash: r.prevHash,
      hash: r.hash,
    })),
  );
  const result: unknown = await db.execute(sql`
    with moved as (
      update audit_head set seq = ${last.seq}::bigint, hash = ${last.hash}
      where id = 1 and seq = ${expected.seq}::bigint and hash = ${expected.hash}
      returning 1
    )
    insert into audit_log (seq, at, event_id, event_type, action, outcome, user_id, user_method,
      user_roles, client_address, request_id, patient_ref, study_refs, query, detail,
      prev_hash, hash)
    select r.seq, r.at, r.event_id, r.event_type, r.action, r.outcome, r.user_id, r.user_method,
      r.user_roles, r.client_address, r.request_id, r.patient_ref, r.study_refs, r.query,
      r.detail, r.prev_hash, r.hash
    from jsonb_to_recordset(${rows}::jsonb) as r(seq bigint, at timestamptz, event_id text,
      event_type text, action text, outcome integer, user_id text, user_method text,
      user_roles text[], client_address text, request_id text, patient_ref text,
      study_refs text[], query text, detail jsonb, prev_hash text, hash text)
    where exists (select 1 from moved)
    returning seq`);
  return rowsOf(result).length === records.length ? records : undefined;
}

/** `entries` numbered and hashed after `head`, each naming its predecessor. */
function chain(
  head: Pick<AuditHead, 'seq' | 'hash'>,
  entries: readonly AuditEntry[],
  hashRecord: HashRecord,
): AuditRecord[] {
  let { seq, hash } = head;
  return entries.map((entry) => {
    seq += 1;
    const unchained = { ...entry, seq };
    const record: AuditRecord = { ...unchained, prevHash: hash, hash: hashRecord(hash, unchained) };
    hash = record.hash;
    return record;
  });
}

export async function readAuditHead(db: Db): Promise<AuditHead> {
  const [head] = await db
    .select({
      seq: auditHead.seq,
      hash: auditHead.hash,
      anchorSeq: auditHead.anchorSeq,
      anchorHash: auditHead.anchorHash,
    })
    .from(auditHead)
    .where(eq(auditHead.id, 1));
  if (!head) throw new Error('audit_head has no row 1 (migration 0003 seeds it)');
  return head;
}

/** Up to `limit` records after `afterSeq`, in seq order (verification pages). */
export function auditRecordsAfter(db: Db, afterSeq: number, limit: number): Promise<AuditRecord[]> {
  return db
    .select()
    .from(auditLog)
    .where(gt(auditLog.seq, afterSeq))
    .orderBy(asc(auditLog.seq))
    .limit(limit);
}

/**
 * A consistent view for verification: head and pages from one snapshot (REPEATABLE READ), so
 * appends and retention running meanwhile neither show as gaps nor as strangers.
 */
export function inAuditSnapshot<T>(db: Db, work: (db: Db) => Promise<T>): Promise<T> {
  return db.transaction((tx) => work(tx as unknown as Db), {
    isolationLevel: 'repeatable read',
    accessMode: 'read only',
  });
}

export interface AuditCriteria {
  patientRef?: string | undefined;
  studyRef?: string | undefined;
  userId?: string | undefined;
  eventId?: string | undefined;
  from?: Date | undefined;
  to?: Date | undefined;
  /** Records with seq below this (paging backwards from the newest). */
  beforeSeq?: number | undefined;
  limit: number;
}

/** Matching records, newest first. Uses the patient, user, event and time indexes. */
export function searchAuditRecords(db: Db, criteria: AuditCriteria): Promise<AuditRecord[]> {
  const conditions: SQL[] = [];
  if (criteria.patientRef !== undefined)
    conditions.push(eq(auditLog.patientRef, criteria.patientRef));
  if (criteria.studyRef !== undefined) {
    conditions.push(arrayContains(auditLog.studyRefs, [criteria.studyRef]));
  }
  if (criteria.userId !== undefined) conditions.push(eq(auditLog.userId, criteria.userId));
  if (criteria.eventId !== undefined) conditions.push(eq(auditLog.eventId, criteria.eventId));
  if (criteria.from !== undefined) conditions.push(gte(auditLog.at, criteria.from));
  if (criteria.to !== undefined) conditions.push(lte(auditLog.at, criteria.to));
  if (criteria.beforeSeq !== undefined) conditions.push(lt(auditLog.seq, criteria.beforeSeq));
  return db
    .select()
    .from(auditLog)
    .where(and(...conditions))
    .orderBy(desc(auditLog.seq))
    .limit(criteria.limit);
}

/**
 * Removes at most `limit` of the oldest records, stopping at the first record at or after
 * `before` (the chain is removed as a prefix, so what stays is still one chain), and moves the
 * anchor to the last one removed, in one transaction under the head lock. Returns how many were
 * removed; 0 when the oldest record is recent enough.
 */
export async function removeAuditPrefix(db: Db, before: Date, limit: number): Promise<number> {
  return db.transaction(async (tx) => {
    const [head] = await tx
      .select({ seq: auditHead.seq, anchorSeq: auditHead.anchorSeq })
      .from(auditHead)
      .where(eq(auditHead.id, 1))
      .for('update');
    if (!head) throw new Error('audit_head has no row 1 (migration 0003 seeds it)');
    const [firstKept] = await tx
      .select({ seq: auditLog.seq })
      .from(auditLog)
      .where(gte(auditLog.at, before))
      .orderBy(asc(auditLog.seq))
      .limit(1);
    const lastOld = Math.min(firstKept ? firstKept.seq - 1 : head.seq, head.anchorSeq + limit);
    if (lastOld <= head.anchorSeq) return 0;
    const [last] = await tx
      .select({ hash: auditLog.hash })
      .from(auditLog)
      .where(eq(auditLog.seq, lastOld));
    if (!last) throw new Error(`audit record ${lastOld} is missing: run strata audit verify`);
    const removed = await tx
      .delete(auditLog)
      .where(and(gt(auditLog.seq, head.anchorSeq), lte(auditLog.seq, lastOld)))
      .returning({ seq: auditLog.seq });
    await tx
      .update(auditHead)
      .set({ anchorSeq: lastOld, anchorHash: last.hash })
      .where(eq(auditHead.id, 1));
    return removed.length;
  });
}
