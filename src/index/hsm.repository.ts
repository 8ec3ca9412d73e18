import { and, asc, desc, eq, gt, gte, inArray, isNull, lt, lte, or, sql } from 'drizzle-orm';
import {
  scheduleBlobDeletion,
  settlePendingBlob,
  type JournalEntry,
} from './blob-journal.repository.js';
import type { Db } from './db.js';
import { blobJournal, hsmCycles, instances, studies } from './schema.js';

/**
 * HSM bookkeeping: claiming instances to move, switching an instance to its new tier, tier
 * statistics and the cycle log. Every time comes from the caller (an injectable clock), never
 * from SQL `now()`, so policies can be tested with a fake clock; only blob journal due times use
 * the database clock, because the sweeper compares them with `now()`.
 */

/** An instance claimed for a move: where its bytes are now and what they must hash to. */
export interface MigrationCandidate {
  id: number;
  blobKey: string;
  storageTier: string;
  size: number;
  sha256: string;
  version: number;
  /** The claim; the switch and the release match it. */
  leaseUntil: Date;
}

export interface ClaimCriteria {
  fromTier: string;
  now: Date;
  leaseSeconds: number;
  /** Last retrieve (or store, when never retrieved) before this. */
  lastAccessBefore?: Date | undefined;
  storedBefore?: Date | undefined;
  /** Recall: retrieved at or after this. */
  accessedSince?: Date | undefined;
  limit: number;
}

/**
 * Claims up to `limit` instances of `fromTier` matching every given condition, oldest access
 * first, by setting their lease; rows another worker holds (locked now or leased until later)
 * are skipped, so two workers never claim the same instance (`FOR UPDATE SKIP LOCKED`, then the
 * lease for the time the copy takes). Uses the `(storage_tier, last_accessed_at)` and
 * `(storage_tier, stored_at)` indexes.
 */
export async function claimCandidates(
  db: Db,
  criteria: ClaimCriteria,
): Promise<MigrationCandidate[]> {
  const { now } = criteria;
  const leaseUntil = new Date(now.getTime() + criteria.leaseSeconds * 1000);
  const conditions = [
    eq(instances.storageTier, criteria.fromTier),
    or(isNull(instances.migrationLeaseUntil), lte(instances.migrationLeaseUntil, now)),
  ];
  if (criteria.lastAccessBefore) {
    conditions.push(
      or(
        lt(instances.lastAccessedAt, criteria.lastAccessBefore),
        and(isNull(instances.lastAccessedAt), lt(instances.storedAt, criteria.lastAccessBefore)),
      ),
    );
  }
  if (criteria.storedBefore) conditions.push(lt(instances.storedAt, criteria.storedBefore));
  if (criteria.accessedSince)
    conditions.push(gte(instances.lastAccessedAt, criteria.accessedSince));
  const chosen = db
    .select({ id: instances.id })
    .from(instances)
    .where(and(...conditions))
    .orderBy(sql`coalesce(${instances.lastAccessedAt}, ${instances.storedAt})`, asc(instances.id))
    .limit(criteria.limit)
    .for('update', { skipLocked: true });
  const rows = await db
    .update(instances)
    .set({ migrationLeaseUntil: leaseUntil })
    .where(inArray(instances.id, chosen))
    .returning({
      id: instances.id,
      blobKey: instances.blobKey,
      storageTier: instances.storageTier,
      size: instances.size,
      sha256: instances.sha256,
      version: instances.version,
      lastAccessedAt: instances.lastAccessedAt,
      storedAt: instances.storedAt,
    });
  // RETURNING has no order: restore the claim's (oldest access first) for byte budgets.
  rows.sort(
    (a, b) =>
      (a.lastAccessedAt ?? a.storedAt).getTime() - (b.lastAccessedAt ?? b.storedAt).getTime() ||
      a.id - b.id,
  );
  return rows.map((r) => ({
    id: r.id,
    blobKey: r.blobKey,
    storageTier: r.storageTier,
    size: r.size,
    sha256: r.sha256,
    version: r.version,
    leaseUntil,
  }));
}

/** Gives a claimed instance back (a failed or skipped move): it may be claimed again at once. */
export async function releaseClaims(db: Db, candidates: MigrationCandidate[]): Promise<void> {
  if (candidates.length === 0) return;
  await db
    .update(instances)
    .set({ migrationLeaseUntil: null })
    .where(
      and(
        inArray(
          instances.id,
          candidates.map((c) => c.id),
        ),
        // Only our own claim: after a lease expiry another worker may hold it.
        eq(instances.migrationLeaseUntil, candidates[0]!.leaseUntil),
      ),
    );
}

export type SwitchResult =
  | { kind: 'switched'; deletions: JournalEntry[] }
  /** The instance was replaced, deleted or moved by someone else meanwhile: they win. */
  | { kind: 'changed' }
  /** The sweeper gave up on the new blob's pending row: the copy is scheduled for deletion. */
  | { kind: 'expired' };

/**
 * The index switch of a move, in one transaction: the row points at the new blob and tier (only
 * if it still has the blob key and version that were copied), its lease is cleared, the new
 * blob's pending journal row is removed and the old blob gets a `delete` row due after
 * `deleteGraceSeconds`, so reads that looked up the old key just before still finish.
 */
export async function switchTier(
  db: Db,
  move: {
    candidate: MigrationCandidate;
    newKey: string;
    toTier: string;
    deleteGraceSeconds: number;
  },
  beforeCommit?: () => void,
): Promise<SwitchResult> {
  const { candidate } = move;
  try {
    return await db.transaction(async (tx) => {
      const updated = await tx
        .update(instances)
        .set({ blobKey: move.newKey, storageTier: move.toTier, migrationLeaseUntil: null })
        .where(
          and(
            eq(instances.id, candidate.id),
            eq(instances.blobKey, candidate.blobKey),
            eq(instances.storageTier, candidate.storageTier),
            eq(instances.version, candidate.version),
          ),
        )
        .returning({ id: instances.id });
      if (updated.length === 0) throw new Abort({ kind: 'changed' });
      if (!(await settlePendingBlob(tx, move.newKey))) throw new Abort({ kind: 'expired' });
      const deletions = await scheduleBlobDeletion(
        tx,
        [{ blobKey: candidate.blobKey, storageTier: candidate.storageTier }],
        move.deleteGraceSeconds,
      );
      beforeCommit?.();
      return { kind: 'switched' as const, deletions };
    });
  } catch (error) {
    if (error instanceof Abort) return error.result;
    throw error;
  }
}

/** Rolls the switch transaction back with a result. */
class Abort extends Error {
  constructor(readonly result: SwitchResult) {
    super(result.kind);
  }
}

/** Per-tier figures (CLI `strata hsm stats`, GET /admin/hsm/stats). */
export interface TierStatistics {
  tier: string;
  instances: number;
  bytes: number;
  studies: number;
  series: number;
  patients: number;
}

export async function tierStatistics(db: Db): Promise<TierStatistics[]> {
  return db
    .select({
      tier: instances.storageTier,
      instances: sql<number>`count(*)`.mapWith(Number),
      bytes: sql<number>`coalesce(sum(${instances.size}), 0)`.mapWith(Number),
      studies: sql<number>`count(distinct ${instances.studyFk})`.mapWith(Number),
      series: sql<number>`count(distinct ${instances.seriesFk})`.mapWith(Number),
      patients: sql<number>`count(distinct ${studies.patientFk})`.mapWith(Number),
    })
    .from(instances)
    .innerJoin(studies, eq(studies.id, instances.studyFk))
    .groupBy(instances.storageTier)
    .orderBy(instances.storageTier);
}

export interface CycleRecord {
  worker: string;
  trigger: string;
  startedAt: Date;
  finishedAt: Date;
  migrated: number;
  bytes: number;
  skipped: number;
  failed: number;
  details: unknown;
}

export async function insertCycle(db: Db, cycle: CycleRecord): Promise<number> {
  const [row] = await db.insert(hsmCycles).values(cycle).returning({ id: hsmCycles.id });
  return row!.id;
}

export async function recentCycles(
  db: Db,
  limit: number,
): Promise<(CycleRecord & { id: number })[]> {
  return db
    .select()
    .from(hsmCycles)
    .orderBy(desc(hsmCycles.startedAt), desc(hsmCycles.id))
    .limit(limit);
}

/** Cumulative figures over every cycle of every worker. */
export interface CycleTotals {
  cycles: number;
  migrated: number;
  bytes: number;
  skipped: number;
  failed: number;
  durationMs: number;
}

export async function cycleTotals(db: Db): Promise<CycleTotals> {
  const [row] = await db
    .select({
      cycles: sql<number>`count(*)`.mapWith(Number),
      migrated: sql<number>`coalesce(sum(${hsmCycles.migrated}), 0)`.mapWith(Number),
      bytes: sql<number>`coalesce(sum(${hsmCycles.bytes}), 0)`.mapWith(Number),
      skipped: sql<number>`coalesce(sum(${hsmCycles.skipped}), 0)`.mapWith(Number),
      failed: sql<number>`coalesce(sum(${hsmCycles.failed}), 0)`.mapWith(Number),
      durationMs:
        sql<number>`coalesce(sum(extract(epoch from ${hsmCycles.finishedAt} - ${hsmCycles.startedAt}) * 1000), 0)`.mapWith(
          Number,
        ),
    })
    .from(hsmCycles);
  return row!;
}

/**
 * Every tier some instance row names. A loose index scan (one index probe per distinct tier via
 * `instances_tier_accessed_idx`), so start-up stays cheap however many instances there are.
 */
export async function tiersInUse(db: Db): Promise<string[]> {
  // postgres.js answers an array of rows, PGlite an object with `rows`.
  const result: unknown = await db.execute(sql`
    with recursive t(tier) as (
      (select min(storage_tier) from instances)
      union all
      select (select min(storage_tier) from instances where storage_tier > t.tier)
      from t where t.tier is not null
    )
    select tier from t where tier is not null`);
  type Row = { tier: string | null };
  const rows = Array.isArray(result) ? (result as Row[]) : (result as { rows: Row[] }).rows;
  return rows.flatMap((r) => (r.tier === null ? [] : [r.tier]));
}

/** One page of instance blobs for `strata verify`, by id. */
export interface IndexedBlob {
  id: number;
  blobKey: string;
  storageTier: string;
  size: number;
  sha256: string;
}

export async function pageIndexedBlobs(
  db: Db,
  afterId: number,
  limit: number,
): Promise<IndexedBlob[]> {
  return db
    .select({
      id: instances.id,
      blobKey: instances.blobKey,
      storageTier: instances.storageTier,
      size: instances.size,
      sha256: instances.sha256,
    })
    .from(instances)
    .where(gt(instances.id, afterId))
    .orderBy(asc(instances.id))
    .limit(limit);
}

/** The current blob of one instance row (verify re-checks before reporting damage). */
export async function findIndexedBlob(db: Db, id: number): Promise<IndexedBlob | undefined> {
  const [row] = await db
    .select({
      id: instances.id,
      blobKey: instances.blobKey,
      storageTier: instances.storageTier,
      size: instances.size,
      sha256: instances.sha256,
    })
    .from(instances)
    .where(eq(instances.id, id));
  return row;
}

/**
 * Which of `keys` in `tier` an instance row or a journal row references. One statement (one
 * snapshot): two queries could straddle a commit that swaps a pending row for an instance row
 * and see neither.
 */
export async function referencedKeys(db: Db, tier: string, keys: string[]): Promise<Set<string>> {
  if (keys.length === 0) return new Set();
  const rows = await db
    .select({ key: instances.blobKey })
    .from(instances)
    .where(and(eq(instances.storageTier, tier), inArray(instances.blobKey, keys)))
    .unionAll(
      db
        .select({ key: blobJournal.blobKey })
        .from(blobJournal)
        .where(and(eq(blobJournal.storageTier, tier), inArray(blobJournal.blobKey, keys))),
    );
  return new Set(rows.map((r) => r.key));
}
