import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordPendingBlob } from './blob-journal.repository.js';
import { openDb, type Database } from './db.js';
import { commitInstances } from './instance-batch.js';
import type { InstanceRecord } from './instance-insert.js';
import type { CommitOptions } from './instances.repository.js';
import { migrateDb } from './migrate.js';
import { rowsOf } from './rows.js';

let database: Database;
let transactions = 0;
beforeAll(async () => {
  database = await openDb({});
  await migrateDb(database);
  const transaction = database.db.transaction.bind(database.db);
  // Counts the transactions the batch opens (the one-by-one path opens its own too).
  database.db.transaction = ((...args: Parameters<typeof transaction>) => {
    transactions++;
    return transaction(...args);
  }) as typeof transaction;
});
afterAll(() => database.close());

let n = 0;
const options: CommitOptions = { duplicatePolicy: 'replace', deleteGraceSeconds: 0 };

/** A record whose blob has its pending row, as the write path leaves it before the commit. */
async function record(
  study: string,
  series: string,
  sop = `1.2.9.${++n}`,
  sha256 = `sha-${n}`,
  patientName = 'DOE^JANE',
): Promise<InstanceRecord> {
  const blobKey = `ab/key-${++n}`;
  await recordPendingBlob(database.db, { blobKey, storageTier: 'fs' }, 3600);
  const ui = (v: string) => ({ vr: 'UI', Value: [v] });
  return {
    studyInstanceUid: study,
    seriesInstanceUid: series,
    sopInstanceUid: sop,
    sopClassUid: '1.2.840.10008.5.1.4.1.1.7',
    transferSyntaxUid: '1.2.840.10008.1.2.1',
    blobKey,
    storageTier: 'fs',
    size: 100,
    sha256,
    datasetOffset: 0,
    deflated: false,
    pixelData: null,
    bulkData: [],
    metadata: {
      '00080016': ui('1.2.840.10008.5.1.4.1.1.7'),
      '00080018': ui(sop),
      '00100010': { vr: 'PN', Value: [{ Alphabetic: patientName }] },
      '00100020': { vr: 'LO', Value: ['PID-1'] },
      '0020000D': ui(study),
      '0020000E': ui(series),
    },
  };
}

const kinds = (results: PromiseSettledResult<{ kind: string }>[]) =>
  results.map((r) => (r.status === 'fulfilled' ? r.value.kind : 'error'));

const stored = async (series: string) =>
  rowsOf<{ sop: string; sha: string }>(
    await database.db.execute(sql`
      select i.sop_instance_uid as sop, i.sha256 as sha from instances i
      join series s on s.id = i.series_fk where s.series_instance_uid = ${series}
      order by i.sop_instance_uid`),
  );

describe('commitInstances', () => {
  it('#13: new instances of a known series commit in one transaction', async () => {
    const first = await record('1.2.7.1', '1.2.8.1');
    expect(kinds(await commitInstances(database.db, [first], options))).toEqual(['created']);
    const batch = await Promise.all([1, 2, 3, 4].map(() => record('1.2.7.1', '1.2.8.1')));
    transactions = 0;
    expect(kinds(await commitInstances(database.db, batch, options))).toEqual([
      'created',
      'created',
      'created',
      'created',
    ]);
    expect(transactions).toBe(1);
    expect((await stored('1.2.8.1')).map((r) => r.sop).sort()).toEqual(
      [first, ...batch].map((r) => r.sopInstanceUid).sort(),
    );
    const pending = rowsOf(
      await database.db.execute(sql`select 1 from blob_journal where kind = 'pending'
        and blob_key in (${sql.join(
          batch.map((r) => sql`${r.blobKey}`),
          sql`, `,
        )})`),
    );
    expect(pending).toEqual([]);
  });

  it('#13: a batch with new parents, a duplicate and a replace gives what one-by-one gives', async () => {
    const a = await record('1.2.7.2', '1.2.8.2');
    await commitInstances(database.db, [a], options);
    const fresh = await record('1.2.7.2', '1.2.8.2');
    const duplicate = await record('1.2.7.2', '1.2.8.2', a.sopInstanceUid, a.sha256);
    const newSeries = await record('1.2.7.2', '1.2.8.3');
    const sameSeriesAgain = await record('1.2.7.2', '1.2.8.3');
    const replace = await record('1.2.7.2', '1.2.8.2', fresh.sopInstanceUid, 'sha-new');
    const results = await commitInstances(
      database.db,
      [fresh, duplicate, newSeries, sameSeriesAgain, replace],
      options,
    );
    // One SOP Instance UID twice in the batch (fresh, then its replace): one-by-one from the start.
    expect(kinds(results)).toEqual(['created', 'duplicate', 'created', 'created', 'replaced']);
    expect(await stored('1.2.8.2')).toEqual(
      [
        { sop: a.sopInstanceUid, sha: a.sha256 },
        { sop: fresh.sopInstanceUid, sha: 'sha-new' },
      ].sort((x, y) => x.sop.localeCompare(y.sop)),
    );
    expect(await stored('1.2.8.3')).toHaveLength(2);
  });

  it('#13: a record the one statement declines rolls the batch back; nothing is written twice', async () => {
    const a = await record('1.2.7.4', '1.2.8.4');
    await commitInstances(database.db, [a], options);
    const ok = await record('1.2.7.4', '1.2.8.4');
    // Another patient name changes the study attributes: the one statement declines it.
    const changed = await record('1.2.7.4', '1.2.8.4', undefined, undefined, 'ROE^RICHARD');
    const after = await record('1.2.7.4', '1.2.8.4');
    const results = await commitInstances(database.db, [ok, changed, after], options);
    expect(kinds(results)).toEqual(['created', 'created', 'created']);
    expect(await stored('1.2.8.4')).toHaveLength(4);
    const feed = rowsOf<{ count: number }>(
      await database.db.execute(
        sql`select count(*)::int as count from change_feed where series_instance_uid = '1.2.8.4'`,
      ),
    );
    expect(feed).toEqual([{ count: 4 }]);
  });
});
