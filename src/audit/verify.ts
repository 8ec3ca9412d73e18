import {
  auditRecordsAfter,
  inAuditSnapshot,
  readAuditHead,
  type AuditRecord,
} from '../index/audit-log.repository.js';
import type { Db } from '../index/db.js';
import { recordHash } from './record.js';

/**
 * What a broken chain shows at its first break:
 * - `edited`: the record's content no longer matches its hash (or the head's hash, for the
 *   newest record);
 * - `deleted`: a record is missing: a gap in seq, a record whose prev_hash is not its
 *   predecessor's hash, a chain that ends before the head, or an oldest record that does not
 *   follow the retention anchor;
 * - `inserted`: a record the head never counted (seq beyond the head).
 */
export type AuditBreak = 'edited' | 'deleted' | 'inserted';

export type AuditVerification =
  | { ok: true; records: number; firstSeq: number | undefined; lastSeq: number }
  | { ok: false; records: number; seq: number; kind: AuditBreak; message: string };

const PAGE = 1000;

/**
 * Walks the whole trail in seq order, a page at a time, from one snapshot, recomputing each
 * record's hash (audit/record.ts) and its link to the one before; stops at the first break.
 */
export function verifyAuditTrail(db: Db): Promise<AuditVerification> {
  return inAuditSnapshot(db, async (snapshot) => {
    const head = await readAuditHead(snapshot);
    let prev = { seq: head.anchorSeq, hash: head.anchorHash };
    let records = 0;
    let firstSeq: number | undefined;
    for (;;) {
      const page = await auditRecordsAfter(snapshot, prev.seq, PAGE);
      for (const record of page) {
        const broken = checkLink(prev, record, head.seq);
        if (broken) return { ok: false, records, ...broken };
        firstSeq ??= record.seq;
        records += 1;
        prev = record;
      }
      if (page.length < PAGE) break;
    }
    if (prev.seq < head.seq) {
      return broken(
        records,
        prev.seq + 1,
        'deleted',
        `the newest records up to ${head.seq} are missing`,
      );
    }
    if (prev.hash !== head.hash) {
      return broken(records, prev.seq, 'edited', 'the newest record does not match the head');
    }
    return { ok: true, records, firstSeq, lastSeq: head.seq };
  });
}

function checkLink(
  prev: { seq: number; hash: string },
  record: AuditRecord,
  headSeq: number,
): { seq: number; kind: AuditBreak; message: string } | undefined {
  if (record.seq > headSeq) {
    return {
      seq: record.seq,
      kind: 'inserted',
      message: `record ${record.seq} is beyond the head (${headSeq})`,
    };
  }
  if (record.seq !== prev.seq + 1) {
    return {
      seq: prev.seq + 1,
      kind: 'deleted',
      message: `records ${prev.seq + 1}..${record.seq - 1} are missing`,
    };
  }
  if (recordHash(record.prevHash, record) !== record.hash) {
    return {
      seq: record.seq,
      kind: 'edited',
      message: `record ${record.seq} does not match its hash`,
    };
  }
  if (record.prevHash !== prev.hash) {
    return {
      seq: record.seq,
      kind: 'deleted',
      message: `record ${record.seq} does not follow record ${prev.seq}: a record between them was removed or replaced`,
    };
  }
  return undefined;
}

function broken(
  records: number,
  seq: number,
  kind: AuditBreak,
  message: string,
): AuditVerification {
  return { ok: false, records, seq, kind, message };
}
