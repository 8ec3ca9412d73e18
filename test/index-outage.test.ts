import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IndexUnavailableError } from '../src/index/errors.js';
import { makeInstance } from './helpers/make-dicom.js';
import { multipartRelated, stow } from './helpers/multipart.js';
import { Relay } from './helpers/relay.js';
import { blobCount, freshDatabase, startTestServer, type TestServer } from './helpers/server.js';

/**
 * PostgreSQL going away mid-service: STOW answers 503 problem+json (retry is safe), nothing is
 * half-stored, and service resumes when the database is back. The outage is real: a TCP relay
 * between server and database that the test closes. PostgreSQL only (PGlite is in-process).
 */
const enabled = process.env['STRATA_TEST_DB'] === 'postgres';
const ADMIN_TOKEN = 'outage-test-admin-token';

/** Starts a relay in front of a fresh database and a server that reaches it through it. */
async function serverBehindRelay(env: Record<string, string>) {
  const database = await freshDatabase();
  const url = new URL(database.url!);
  const relay = await Relay.start({ host: url.hostname, port: Number(url.port || 5432) });
  url.port = String(relay.port);
  url.hostname = '127.0.0.1';
  const server = await startTestServer({ DATABASE_URL: url.toString(), ...env });
  return {
    relay,
    server,
    close: async () => {
      await server.close();
      await relay.close();
      await database.drop();
    },
  };
}

describe.runIf(enabled)('index outage (postgres)', () => {
  let setup: Awaited<ReturnType<typeof serverBehindRelay>>;
  let relay: Relay;
  let server: TestServer;

  beforeAll(async () => {
    setup = await serverBehindRelay({ ADMIN_TOKEN });
    ({ relay, server } = setup);
  });
  afterAll(() => setup?.close());

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

  it('answers 503 problem+json with Retry-After on every route family while it is cut', async () => {
    const stored = makeInstance();
    expect((await stow(`${server.base}/studies`, [{ body: stored.bytes }])).status).toBe(200);
    const study = `${server.base}/studies/${stored.studyInstanceUid}`;
    const series = `${study}/series/${stored.seriesInstanceUid}`;
    const instance = `${series}/instances/${stored.sopInstanceUid}`;
    const admin = { Authorization: `Bearer ${ADMIN_TOKEN}` };
    const dicom = { Accept: 'multipart/related; type="application/dicom"' };
    const body = () => multipartRelated([{ body: makeInstance().bytes }]);
    const requests: [string, string, RequestInit?][] = [
      ['STOW', `${server.base}/studies`, { method: 'POST', ...stowInit(body()) }],
      ['STOW study', study, { method: 'POST', ...stowInit(body()) }],
      ['QIDO studies', `${server.base}/studies`],
      ['QIDO series', `${server.base}/series`],
      ['QIDO instances', `${server.base}/instances`],
      ['QIDO study series', `${study}/series`],
      ['QIDO study instances', `${study}/instances`],
      ['QIDO series instances', `${series}/instances`],
      ['WADO study', study, { headers: dicom }],
      ['WADO series', series, { headers: dicom }],
      ['WADO instance', instance, { headers: dicom }],
      ['metadata study', `${study}/metadata`],
      ['metadata series', `${series}/metadata`],
      ['metadata instance', `${instance}/metadata`],
      ['frames', `${instance}/frames/1`],
      ['bulk data', `${instance}/bulkdata/7FE00010`],
      ['rendered study', `${study}/rendered`],
      ['rendered instance', `${instance}/rendered`],
      ['rendered frame', `${instance}/frames/1/rendered`],
      ['thumbnail series', `${series}/thumbnail`],
      ['thumbnail instance', `${instance}/thumbnail`],
      ['DELETE instance', instance, { method: 'DELETE' }],
      ['DELETE study', study, { method: 'DELETE' }],
      ['admin stats', `${server.url}/admin/hsm/stats`, { headers: admin }],
      ['admin cycles', `${server.url}/admin/hsm/cycles`, { headers: admin }],
    ];

    await relay.close();
    const answers = [];
    for (const [name, url, init] of requests) {
      const response = await fetch(url, { ...init, signal: AbortSignal.timeout(20_000) });
      const text = await response.text();
      const code =
        response.headers.get('content-type') === 'application/problem+json'
          ? (JSON.parse(text) as { code: string }).code
          : text.slice(0, 80);
      answers.push([name, response.status, code, response.headers.get('retry-after')]);
    }
    const ready = await fetch(`${server.url}/readyz`, { signal: AbortSignal.timeout(20_000) });
    const live = await fetch(`${server.url}/healthz`, { signal: AbortSignal.timeout(20_000) });
    await relay.open();

    // Readiness names the index; liveness does not depend on it (no restart for an outage).
    expect(ready.status).toBe(503);
    expect(((await ready.json()) as { checks: unknown[] }).checks).toContainEqual({
      name: 'index',
      ok: false,
      code: 'index.unavailable',
    });
    expect(live.status).toBe(200);

    expect(answers).toEqual(requests.map(([name]) => [name, 503, 'index.unavailable', '5']));
    // Nothing was deleted while the database was away, and it serves again.
    const after = await fetch(`${instance}/metadata`);
    expect(after.status).toBe(200);
  });
});

function stowInit(multipart: { body: Buffer; contentType: string }): RequestInit {
  return { body: multipart.body, headers: { 'Content-Type': multipart.contentType } };
}

describe.runIf(enabled)('index stall (postgres)', () => {
  let setup: Awaited<ReturnType<typeof serverBehindRelay>>;
  let relay: Relay;
  let server: TestServer;

  beforeAll(async () => {
    setup = await serverBehindRelay({ DATABASE_QUERY_TIMEOUT_MS: '1000' });
    ({ relay, server } = setup);
  });
  afterAll(() => {
    relay?.resume();
    return setup?.close();
  });

  const get = (url: string, headers: Record<string, string> = {}) =>
    // The deadline only stops a hanging test; the server must answer well within it.
    fetch(url, { headers, signal: AbortSignal.timeout(20_000) });

  it('fails QIDO and WADO with 503 while the database stalls, and serves again after', async () => {
    const stored = makeInstance();
    expect((await stow(`${server.base}/studies`, [{ body: stored.bytes }])).status).toBe(200);
    const instance = [
      `${server.base}/studies/${stored.studyInstanceUid}`,
      `series/${stored.seriesInstanceUid}/instances/${stored.sopInstanceUid}`,
    ].join('/');
    const dicom = { Accept: 'multipart/related; type="application/dicom"' };

    relay.stall();
    let answers: Response[];
    let ready: Response;
    try {
      answers = [
        await get(`${server.base}/studies`),
        await get(instance, dicom),
        await get(`${instance}/metadata`),
      ];
      ready = await get(`${server.url}/readyz`);
    } finally {
      relay.resume();
    }

    for (const response of answers) {
      expect(response.status).toBe(503);
      expect(response.headers.get('retry-after')).toBe('5');
      expect(((await response.json()) as { code: string }).code).toBe('index.unavailable');
    }
    // Readiness names the stalled index (whichever bound, its own or the query timeout, fired).
    expect(ready.status).toBe(503);
    expect(((await ready.json()) as { checks: unknown[] }).checks).toContainEqual(
      expect.objectContaining({ name: 'index', ok: false }),
    );
    expect((await get(`${server.base}/studies`)).status).toBe(200);
    const again = await get(instance, dicom);
    expect(again.status).toBe(200);
    expect(Buffer.from(await again.arrayBuffer()).includes(stored.bytes.subarray(132))).toBe(true);
  });

  it('lets PostgreSQL cancel a statement slower than the timeout (SQLSTATE 57014)', async () => {
    const error: unknown = await server.database.db.execute(sql`select pg_sleep(10)`).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(IndexUnavailableError);
    expect(((error as Error).cause as { code?: string }).code).toBe('57014');
  });
});
