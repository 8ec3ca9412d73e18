/**
 * #14: the change feed's safe watermark on PostgreSQL. A writer that inserted its outbox row
 * first but commits last must not be skipped by a consumer that already read past a later
 * commit: sequences are given only to committed rows, so the late entry appears after the
 * entries the consumer has read, and reading on from its offset finds it.
 */
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeInstance, newUid } from './helpers/make-dicom.js';
import { stow } from './helpers/multipart.js';
import { startTestServer, testDb, type TestServer } from './helpers/server.js';

let server: TestServer;
let sql: postgres.Sql;

beforeAll(async () => {
  if (testDb !== 'postgres') return;
  server = await startTestServer();
  sql = postgres(server.env['DATABASE_URL']!, { max: 2, onnotice: () => {} });
});
afterAll(async () => {
  await sql?.end();
  await server?.close();
});

const feed = async (offset: number): Promise<any[]> =>
  (await (
    await fetch(`${server.base}/changefeed?offset=${offset}&limit=50&includeMetadata=false`)
  ).json()) as any[];

describe.runIf(testDb === 'postgres')('#14: change feed watermark (postgres)', () => {
  it('a change committed late is numbered after what a consumer read, never skipped', async () => {
    const late = { study: newUid(), series: newUid(), sop: newUid() };
    // A writer's transaction inserts its outbox row (taking the lower id) and stays open.
    const reserved = await sql.reserve();
    await reserved`begin`;
    await reserved`
      insert into change_feed (action, study_instance_uid, series_instance_uid, sop_instance_uid,
        instance_id, instance_version, patient_id)
      values ('create', ${late.study}, ${late.series}, ${late.sop}, -1, 1, 'PID-1')`;

    // Meanwhile a STOW commits: its entry is in the feed at once; the open one is not.
    const early = makeInstance();
    expect((await stow(`${server.base}/studies`, [{ body: early.bytes }])).status).toBe(200);
    const before = await feed(0);
    expect(before.map((e) => e.SopInstanceUid)).toEqual([early.sopInstanceUid]);
    const consumerOffset = before.at(-1).Sequence;

    await reserved`commit`;
    reserved.release();

    // The consumer reads on from where it was and finds the late change after the early one.
    const after = await feed(consumerOffset);
    expect(after.map((e) => e.SopInstanceUid)).toEqual([late.sop]);
    expect(after[0].Sequence).toBeGreaterThan(consumerOffset);
    expect((await feed(0)).map((e) => e.SopInstanceUid)).toEqual([early.sopInstanceUid, late.sop]);
  });

  it('numbers concurrent commits without gaps or repeats', async () => {
    const start = (await feed(0)).at(-1)?.Sequence ?? 0;
    const instances = Array.from({ length: 12 }, () => makeInstance());
    await Promise.all(
      instances.map(async (i) => {
        expect((await stow(`${server.base}/studies`, [{ body: i.bytes }])).status).toBe(200);
        // Readers publish while writers commit.
        await feed(start);
      }),
    );
    const entries = await feed(start);
    expect(new Set(entries.map((e) => e.SopInstanceUid))).toEqual(
      new Set(instances.map((i) => i.sopInstanceUid)),
    );
    expect(entries.map((e) => e.Sequence)).toEqual(
      Array.from({ length: 12 }, (_, k) => start + 1 + k),
    );
  });
});
