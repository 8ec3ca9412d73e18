import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openDb, type Database } from '../index/db.js';
import { migrateDb } from '../index/migrate.js';
import { auditLog } from '../index/schema.js';
import { FakeClock } from '../lib/clock.js';
import { createLogger } from '../lib/log.js';
import { AuditUnavailableError } from './errors.js';
import type { AuditEvent } from './event.js';
import { Pseudonyms } from './pseudonym.js';
import { AuditSearch } from './search.js';
import { AuditTrail } from './trail.js';
import { verifyAuditTrail } from './verify.js';

const log = createLogger('silent');
const pseudonyms = new Pseudonyms(randomBytes(32));

function queryEvent(patientId = 'PID-7', studyUids = ['1.2.3.4']): AuditEvent {
  return {
    type: 'instances-accessed',
    action: 'R',
    outcome: 0,
    user: { id: 'alice', method: 'api-key', roles: ['reader'] },
    clientAddress: '127.0.0.1',
    requestId: 'req-1',
    patient: { patientId, studyUids },
    detail: { route: '/studies/:study', instances: 3 },
  };
}

let database: Database;
let clock: FakeClock;
let trail: AuditTrail;

async function freshTrail() {
  await trail?.close();
  await database.db.execute(sql`delete from audit_log`);
  await database.db.execute(
    sql`update audit_head set seq = 0, hash = repeat('0', 64), anchor_seq = 0, anchor_hash = repeat('0', 64)`,
  );
  clock = new FakeClock(new Date('2026-01-01T00:00:00Z'));
  trail = new AuditTrail({ db: database.db, pseudonyms, log, clock, retentionDays: 30 });
}

beforeAll(async () => {
  database = await openDb({});
  await migrateDb(database);
});
beforeEach(freshTrail);
afterAll(async () => {
  await trail?.close();
  await database?.close();
});

describe('AuditTrail', () => {
  it('#12: records made in parallel form one unbroken chain, seq 1..N, in few transactions', async () => {
    await Promise.all(Array.from({ length: 300 }, (_, i) => trail.record(queryEvent(`P${i}`))));
    const rows = await database.db.select().from(auditLog).orderBy(auditLog.seq);
    expect(rows.map((r) => r.seq)).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
    for (let i = 1; i < rows.length; i++) expect(rows[i]!.prevHash).toBe(rows[i - 1]!.hash);
    expect(rows[0]!.prevHash).toBe('0'.repeat(64));
    // The first record goes alone; the rest gather while it commits.
    expect(trail.stats.records).toBe(300);
    expect(trail.stats.batches).toBeLessThan(10);
    expect(await verifyAuditTrail(database.db)).toMatchObject({ ok: true, records: 300 });
  });

  it('#13: after its first batch a trail appends in one statement, with every field as given', async () => {
    await trail.record(queryEvent('P-first'));
    await trail.record({ ...queryEvent('P-second', ['1.2.3', '1.2.4']), query: 'PatientID=X' });
    await trail.record({ type: 'query', action: 'E', outcome: 4, query: "a'b" });
    const rows = await database.db.select().from(auditLog).orderBy(auditLog.seq);
    expect(rows.map((r) => r.seq)).toEqual([1, 2, 3]);
    expect(rows[1]).toMatchObject({
      userRoles: ['reader'],
      studyRefs: [pseudonyms.ref('1.2.3'), pseudonyms.ref('1.2.4')],
      detail: { route: '/studies/:study', instances: 3 },
      at: new Date('2026-01-01T00:00:00Z'),
      prevHash: rows[0]!.hash,
    });
    expect(rows[2]).toMatchObject({ userId: null, userRoles: null, studyRefs: null, outcome: 4 });
    expect(await verifyAuditTrail(database.db)).toMatchObject({ ok: true, records: 3 });
  });

  it('#13: two trails on one index, taking turns, still form one chain', async () => {
    const other = new AuditTrail({ db: database.db, pseudonyms, log, clock, retentionDays: 30 });
    try {
      for (let i = 0; i < 6; i++) {
        await (i % 2 === 0 ? trail : other).record(queryEvent(`P${i}`));
        await (i % 3 === 0 ? other : trail).record(queryEvent(`Q${i}`));
      }
    } finally {
      await other.close();
    }
    const rows = await database.db.select().from(auditLog).orderBy(auditLog.seq);
    expect(rows.map((r) => r.seq)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    expect(await verifyAuditTrail(database.db)).toMatchObject({ ok: true, records: 12 });
  });

  it('#12: record resolves only once the record is in the table', async () => {
    await trail.record(queryEvent());
    const [row] = await database.db.select().from(auditLog);
    expect(row).toMatchObject({
      seq: 1,
      eventId: '110103',
      action: 'R',
      outcome: 0,
      userId: 'alice',
      userRoles: ['reader'],
      detail: { route: '/studies/:study', instances: 3 },
    });
  });

  it('#12: stores keyed references, never the patient ID or study UID', async () => {
    await trail.record(queryEvent('PATIENT-SECRET-42', ['1.2.840.99999.7']));
    await trail.record({
      type: 'query',
      action: 'E',
      outcome: 0,
      query:
        'PatientID=PATIENT-SECRET-42&00100010=Doe%5EJane&limit=10&StudyInstanceUID=1.2.840.99999.7',
    });
    const dump = JSON.stringify(await database.db.select().from(auditLog));
    expect(dump).not.toContain('PATIENT-SECRET-42');
    expect(dump).not.toContain('1.2.840.99999.7');
    expect(dump).not.toContain('Doe');
    const [, query] = await database.db.select().from(auditLog).orderBy(auditLog.seq);
    expect(query!.query).toBe(
      `PatientID=${pseudonyms.ref('PATIENT-SECRET-42')}&00100010=${pseudonyms.ref('Doe^Jane')}&limit=10&StudyInstanceUID=${pseudonyms.ref('1.2.840.99999.7')}`,
    );
  });

  it('#12: a database that fails rejects each waiting record with AuditUnavailableError', async () => {
    const broken = await openDb({});
    await migrateDb(broken);
    const failing = new AuditTrail({ db: broken.db, pseudonyms, log, retentionDays: 30 });
    await broken.close();
    const results = await Promise.allSettled([1, 2, 3].map(() => failing.record(queryEvent())));
    for (const result of results) {
      expect(result.status).toBe('rejected');
      expect((result as PromiseRejectedResult).reason).toBeInstanceOf(AuditUnavailableError);
    }
    await failing.close();
  });

  it('#12: beyond the waiting bound a record is refused at once', async () => {
    const small = new AuditTrail({
      db: database.db,
      pseudonyms,
      log,
      retentionDays: 30,
      maxWaiting: 5,
    });
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, () => small.record(queryEvent())),
    );
    const refused = results.filter((r) => r.status === 'rejected');
    expect(refused.length).toBeGreaterThan(0);
    for (const r of refused) expect(r.reason).toBeInstanceOf(AuditUnavailableError);
    await small.close();
    expect(await verifyAuditTrail(database.db)).toMatchObject({ ok: true });
  });

  it('refuses records after close, having written those already queued', async () => {
    const queued = trail.record(queryEvent());
    await trail.close();
    await queued;
    await expect(trail.record(queryEvent())).rejects.toBeInstanceOf(AuditUnavailableError);
    expect(await verifyAuditTrail(database.db)).toMatchObject({ ok: true, records: 1 });
  });
});

describe('verifyAuditTrail', () => {
  async function tenRecords() {
    await Promise.all(Array.from({ length: 10 }, (_, i) => trail.record(queryEvent(`P${i}`))));
  }

  it('#12: an edited record is named by its seq', async () => {
    await tenRecords();
    await database.db.execute(sql`update audit_log set user_id = 'mallory' where seq = 4`);
    expect(await verifyAuditTrail(database.db)).toMatchObject({
      ok: false,
      seq: 4,
      kind: 'edited',
      records: 3,
    });
  });

  it('#12: a deleted record in the middle is named', async () => {
    await tenRecords();
    await database.db.execute(sql`delete from audit_log where seq = 6`);
    expect(await verifyAuditTrail(database.db)).toMatchObject({
      ok: false,
      seq: 6,
      kind: 'deleted',
    });
  });

  it('#12: a deleted record whose successors were renumbered is named', async () => {
    await tenRecords();
    await database.db.execute(sql`delete from audit_log where seq = 6`);
    await database.db.execute(sql`update audit_log set seq = seq - 1 where seq > 6`);
    await database.db.execute(sql`update audit_head set seq = 9`);
    // Record 7, now at 6, no longer hashes to its stored hash (seq is hashed).
    expect(await verifyAuditTrail(database.db)).toMatchObject({ ok: false, seq: 6 });
  });

  it('#12: the newest records removed, or a record added beyond the head, are named', async () => {
    await tenRecords();
    await database.db.execute(sql`delete from audit_log where seq >= 9`);
    expect(await verifyAuditTrail(database.db)).toMatchObject({
      ok: false,
      seq: 9,
      kind: 'deleted',
    });
    await freshTrail();
    await tenRecords();
    await database.db.execute(
      sql`insert into audit_log select seq + 1, at, event_id, event_type, action, outcome, user_id, user_method, user_roles, client_address, request_id, patient_ref, study_refs, query, detail, hash, hash from audit_log where seq = 10`,
    );
    expect(await verifyAuditTrail(database.db)).toMatchObject({
      ok: false,
      seq: 11,
      kind: 'inserted',
    });
  });

  it('#12: retention removes records older than the period, and the rest still verifies', async () => {
    await tenRecords();
    clock.advanceDays(40);
    await Promise.all([1, 2, 3].map(() => trail.record(queryEvent())));
    expect(await trail.applyRetention()).toBe(10);
    const rows = await database.db.select({ seq: auditLog.seq }).from(auditLog);
    expect(rows.map((r) => r.seq).sort((a, b) => a - b)).toEqual([11, 12, 13]);
    expect(await verifyAuditTrail(database.db)).toEqual({
      ok: true,
      records: 3,
      firstSeq: 11,
      lastSeq: 13,
    });
    // Removing a kept record afterwards is still seen.
    await database.db.execute(sql`delete from audit_log where seq = 11`);
    expect(await verifyAuditTrail(database.db)).toMatchObject({
      ok: false,
      seq: 11,
      kind: 'deleted',
    });
  });

  it('retention of every record leaves a chain that new records continue', async () => {
    await tenRecords();
    clock.advanceDays(31);
    expect(await trail.applyRetention()).toBe(10);
    expect(await verifyAuditTrail(database.db)).toMatchObject({ ok: true, records: 0 });
    await trail.record(queryEvent());
    expect(await verifyAuditTrail(database.db)).toMatchObject({
      ok: true,
      records: 1,
      firstSeq: 11,
    });
  });
});

describe('AuditSearch', () => {
  it('#12: finds a patient and a study by hashing the searched values', async () => {
    await trail.record(queryEvent('P-A', ['1.1']));
    await trail.record(queryEvent('P-B', ['1.2', '1.3']));
    await trail.record({
      type: 'query',
      action: 'E',
      outcome: 0,
      user: { id: 'bob', method: 'oidc', roles: [] },
    });
    const search = new AuditSearch(database.db, pseudonyms);
    expect((await search.search({ patientId: 'P-B', limit: 10 })).map((r) => r.seq)).toEqual([2]);
    expect((await search.search({ studyUid: '1.3', limit: 10 })).map((r) => r.seq)).toEqual([2]);
    expect((await search.search({ user: 'bob', limit: 10 })).map((r) => r.seq)).toEqual([3]);
    expect((await search.search({ event: '110112', limit: 10 })).map((r) => r.seq)).toEqual([3]);
    expect((await search.search({ limit: 2 })).map((r) => r.seq)).toEqual([3, 2]);
    expect((await search.search({ limit: 2, before: 2 })).map((r) => r.seq)).toEqual([1]);
    const [one] = await search.search({ patientId: 'P-A', limit: 1 });
    expect(one!.at).toBe('2026-01-01T00:00:00.000Z');
    expect(await search.search({ from: new Date('2026-01-02T00:00:00Z'), limit: 10 })).toEqual([]);
  });
});
