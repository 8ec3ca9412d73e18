import { and, asc, desc, eq, gt, sql, type SQL } from 'drizzle-orm';
import type { Db } from './db.js';
import { patientIdIn } from './patient-scope.js';
import { rowsOf } from './rows.js';
import { changeFeed, changeFeedHead, instances } from './schema.js';

/** One change feed entry as the index holds it (the service shapes the HTTP answer). */
export interface ChangeRow {
  sequence: number;
  action: 'create' | 'update' | 'delete';
  studyInstanceUid: string;
  seriesInstanceUid: string;
  sopInstanceUid: string;
  at: Date;
  /** current: this entry's version is the stored one; replaced: a newer one is; deleted: none. */
  state: 'current' | 'replaced' | 'deleted';
  modality: string | null;
  sopClassUid: string | null;
  /** The stored DICOM JSON when asked for and the state is current; otherwise null. */
  metadata: unknown;
}

export interface ChangeQuery {
  /** Entries with a sequence above this one. */
  after: number;
  limit: number;
  includeMetadata: boolean;
  /** Only these patients' entries (index/patient-scope.ts); undefined = everyone's. */
  patientIds?: readonly string[] | undefined;
}

/** The most rows one publishing statement numbers; a longer backlog takes several. */
const PUBLISH_BATCH = 5000;

/**
 * Gives sequences to committed outbox rows (schema.ts `change_feed` says why they are not
 * taken at insert), oldest first, and returns how many it numbered. Readers call it before
 * reading, so a change is in the feed as soon as it committed, whoever reads first.
 *
 * Correctness: the `change_feed_head` row lock makes one publisher at a time, and in READ
 * COMMITTED the numbering statement takes its snapshot after the lock is granted, so it sees
 * every row the previous publisher numbered (it committed before releasing the lock) and every
 * writer's row committed by then. Rows committed later are numbered by a later publisher, above
 * these. A reader's snapshot therefore always sees a gap-free prefix of what was published.
 * The cheap check first keeps idle readers off the lock.
 */
export async function publishChanges(db: Db): Promise<number> {
  const pending = rowsOf<{ n: boolean }>(
    await db.execute(sql`select exists (select 1 from change_feed where sequence is null) as n`),
  );
  if (!pending[0]?.n) return 0;
  let total = 0;
  for (;;) {
    const numbered = await db.transaction(async (tx) => {
      const [head] = await tx
        .select({ last: changeFeedHead.lastSequence })
        .from(changeFeedHead)
        .where(eq(changeFeedHead.id, 1))
        .for('update');
      if (!head) throw new Error('change_feed_head row missing: run the migrations');
      const result = await tx.execute(sql`
        with batch as (
          select id, ${head.last}::bigint + row_number() over (order by id) as seq
          from change_feed where sequence is null order by id limit ${PUBLISH_BATCH}
        ), numbered as (
          update change_feed c set sequence = batch.seq from batch where c.id = batch.id
          returning c.sequence
        )
        update change_feed_head set last_sequence = (select max(sequence) from numbered)
        where id = 1 and exists (select 1 from numbered)
        returning (select count(*) from numbered) as n`);
      return Number(rowsOf<{ n: number | string }>(result)[0]?.n ?? 0);
    });
    total += numbered;
    if (numbered < PUBLISH_BATCH) return total;
  }
}

/** The entry's state, from the instance stored under its SOP Instance UID now. */
const STATE = sql<ChangeRow['state']>`case
  when ${instances.id} is null then 'deleted'
  when ${changeFeed.action} <> 'delete' and ${instances.id} = ${changeFeed.instanceId}
    and ${instances.version} = ${changeFeed.instanceVersion} then 'current'
  else 'replaced' end`;

function selectChanges(db: Db, includeMetadata: boolean, where: SQL | undefined) {
  return db
    .select({
      sequence: sql<number>`${changeFeed.sequence}`.mapWith(Number),
      action: changeFeed.action,
      studyInstanceUid: changeFeed.studyInstanceUid,
      seriesInstanceUid: changeFeed.seriesInstanceUid,
      sopInstanceUid: changeFeed.sopInstanceUid,
      at: changeFeed.at,
      state: STATE,
      modality: changeFeed.modality,
      sopClassUid: changeFeed.sopClassUid,
      metadata: includeMetadata
        ? sql`case when ${STATE} = 'current' then ${instances.metadata} end`
        : sql`null`,
    })
    .from(changeFeed)
    .leftJoin(
      instances,
      and(
        eq(instances.partitionKey, changeFeed.partitionKey),
        eq(instances.sopInstanceUid, changeFeed.sopInstanceUid),
      ),
    )
    .where(where);
}

/** Published entries after `query.after`, in sequence order (change_feed_sequence_uq). */
export async function readChanges(db: Db, query: ChangeQuery): Promise<ChangeRow[]> {
  const rows = await selectChanges(
    db,
    query.includeMetadata,
    and(gt(changeFeed.sequence, query.after), patientIdIn(changeFeed.patientId, query.patientIds)),
  )
    .orderBy(asc(changeFeed.sequence))
    .limit(query.limit);
  return rows;
}

/** The newest published entry (within the scope), if any. */
export async function latestChange(
  db: Db,
  options: { includeMetadata: boolean; patientIds?: readonly string[] | undefined },
): Promise<ChangeRow | undefined> {
  const [row] = await selectChanges(
    db,
    options.includeMetadata,
    and(
      sql`${changeFeed.sequence} is not null`,
      patientIdIn(changeFeed.patientId, options.patientIds),
    ),
  )
    .orderBy(desc(changeFeed.sequence))
    .limit(1);
  return row;
}

/** The highest sequence given out so far (0: none); cheap, for pollers. */
export async function lastSequence(db: Db): Promise<number> {
  const [head] = await db
    .select({ last: changeFeedHead.lastSequence })
    .from(changeFeedHead)
    .where(eq(changeFeedHead.id, 1));
  return Number(head?.last ?? 0);
}
