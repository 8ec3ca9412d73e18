import { sql } from 'drizzle-orm';
import type { Db } from '../../index/db.js';
import { auditLog } from '../../index/schema.js';

/**
 * Appends audit records as the trail does (seq after the highest, chained hashes), directly
 * through SQL: the exporter's tests need rows, not the trail. Each record's user is `user-<seq>`
 * so a received message says which record it was.
 */
export async function appendAuditRows(db: Db, count: number): Promise<number[]> {
  const [last] = await db.select({ max: sql<string | null>`max(${auditLog.seq})` }).from(auditLog);
  const start = Number(last?.max ?? 0) + 1;
  const seqs = Array.from({ length: count }, (_, i) => start + i);
  if (count === 0) return seqs;
  await db.insert(auditLog).values(
    seqs.map((seq) => ({
      seq,
      at: new Date(Date.UTC(2026, 11, 4, 10, 0, 0) + seq * 1000),
      eventId: '110112',
      action: 'E',
      outcome: seq % 5 === 0 ? 4 : 0,
      userId: `user-${seq}`,
      userMethod: 'api-key',
      userRoles: ['reader'],
      clientAddress: '192.0.2.7',
      requestId: `req-${seq}`,
      patientRef: `patient-pseudonym-${seq}`,
      studyRefs: [`study-pseudonym-${seq}`],
      query: `PatientID=patient-pseudonym-${seq}`,
      detail: { route: '/studies' },
      prevHash: String(seq - 1).padStart(64, '0'),
      hash: String(seq).padStart(64, '0'),
    })),
  );
  return seqs;
}

/** The record a received message came from (see `appendAuditRows`). */
export function seqOfMessage(xml: string): number {
  const match = /UserID="user-(\d+)"/.exec(xml);
  if (!match) throw new Error('message without a test user');
  return Number(match[1]);
}
