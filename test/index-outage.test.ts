import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeInstance } from './helpers/make-dicom.js';
import { stow } from './helpers/multipart.js';
import { Relay } from './helpers/relay.js';
import { blobCount, freshDatabase, startTestServer, type TestServer } from './helpers/server.js';

/**
 * PostgreSQL going away mid-service: STOW answers 503 problem+json (retry is safe), nothing is
 * half-stored, and service resumes when the database is back. The outage is real: a TCP relay
 * between server and database that the test closes. PostgreSQL only (PGlite is in-process).
 */
const enabled = process.env['STRATA_TEST_DB'] === 'postgres';

describe.runIf(enabled)('index outage (postgres)', () => {
  let relay: Relay;
  let server: TestServer;
  let database: Awaited<ReturnType<typeof freshDatabase>>;

  beforeAll(async () => {
    database = await freshDatabase();
    const url = new URL(database.url!);
    relay = await Relay.start({ host: url.hostname, port: Number(url.port || 5432) });
    url.port = String(relay.port);
    url.hostname = '127.0.0.1';
    server = await startTestServer({ DATABASE_URL: url.toString() });
  });
  afterAll(async () => {
    await server?.close();
    await relay?.close();
    await database?.drop();
  });

  it('answers 503 while the database is unreachable, and recovers', async () => {
    const before = makeInstance();
    expect((await stow(`${server.base}/studies`, [{ body: before.bytes }])).status).toBe(200);
    const blobs = await blobCount(server);

    await relay.close();
    const during = await stow(`${server.base}/studies`, [{ body: makeInstance().bytes }]);
    expect(during.status).toBe(503);
    expect(during.contentType).toBe('application/problem+json');
    expect(during.json.code).toBe('index.unavailable');
    expect(await blobCount(server)).toBe(blobs);

    await relay.open();
    const after = makeInstance();
    expect((await stow(`${server.base}/studies`, [{ body: after.bytes }])).status).toBe(200);
  });
});
