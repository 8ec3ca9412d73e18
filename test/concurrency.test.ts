import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { instances, series, studies } from '../src/index/schema.js';
import { makeInstance, newUid } from './helpers/make-dicom.js';
import { stow } from './helpers/multipart.js';
import { blobCount, startTestServer, testDb, type TestServer } from './helpers/server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.close();
});

describe(`concurrent STOW (${testDb})`, () => {
  it('parallel requests of overlapping series index every instance exactly once', async () => {
    const study = newUid();
    const seriesUids = [newUid(), newUid(), newUid()];
    const pool = Array.from({ length: 24 }, (_, i) =>
      makeInstance({ studyInstanceUid: study, seriesInstanceUid: seriesUids[i % 3] }),
    );
    // Eight requests, each with an overlapping window of the pool: every instance is sent by
    // two or three requests at the same time.
    const requests = Array.from({ length: 8 }, (_, r) =>
      Array.from({ length: 8 }, (_, k) => pool[(r * 3 + k) % pool.length]!),
    );
    const responses = await Promise.all(
      requests.map((batch) =>
        stow(
          `${server.base}/studies/${study}`,
          batch.map((i) => ({ body: i.bytes })),
        ),
      ),
    );
    for (const response of responses) expect(response.status).toBe(200);

    const db = server.database.db;
    const rows = await db
      .select({ sop: instances.sopInstanceUid, n: sql<number>`count(*)::int` })
      .from(instances)
      .innerJoin(studies, sql`${studies.id} = ${instances.studyFk}`)
      .where(sql`${studies.studyInstanceUid} = ${study}`)
      .groupBy(instances.sopInstanceUid);
    expect(rows).toHaveLength(pool.length);
    expect(rows.every((r) => Number(r.n) === 1)).toBe(true);
    const seriesRows = await db
      .select({ uid: series.seriesInstanceUid })
      .from(series)
      .innerJoin(studies, sql`${studies.id} = ${series.studyFk}`)
      .where(sql`${studies.studyInstanceUid} = ${study}`);
    expect(seriesRows.map((r) => r.uid).sort()).toEqual([...seriesUids].sort());

    // Every sent copy beyond the first was recognised as a duplicate: one blob per instance.
    expect(await blobCount(server)).toBe(pool.length);
  });
});
