import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findInstance } from '../src/index/current-instance.repository.js';
import { blobJournal } from '../src/index/schema.js';
import { makeInstance } from './helpers/make-dicom.js';
import { multipartRelated, stow } from './helpers/multipart.js';
import { RawConnection } from './helpers/raw-http.js';
import { startTestServer, testDb, type TestServer } from './helpers/server.js';

/**
 * STOW_MAX_CONCURRENT_UPLOADS(_PER_CLIENT) and HTTP_MAX_CONNECTIONS_PER_CLIENT: an upload over a
 * cap is refused before its body is read (429 per client, 503 overall, both with Retry-After),
 * nothing of it is stored, and the upload holding the slot completes.
 */
let perClient: TestServer;
let overall: TestServer;
beforeAll(async () => {
  perClient = await startTestServer({
    STOW_MAX_CONCURRENT_UPLOADS: '0',
    STOW_MAX_CONCURRENT_UPLOADS_PER_CLIENT: '1',
    HTTP_MAX_CONNECTIONS_PER_CLIENT: '3',
  });
  overall = await startTestServer({
    STOW_MAX_CONCURRENT_UPLOADS: '1',
    STOW_MAX_CONCURRENT_UPLOADS_PER_CLIENT: '0',
  });
});
afterAll(async () => {
  await perClient?.close();
  await overall?.close();
});

/** Starts an upload and returns once the server is storing its part (it holds a slot). */
async function startSlowUpload(server: TestServer) {
  const instance = makeInstance({ pixelBytes: 512 * 1024 });
  const { body, contentType } = multipartRelated([{ body: instance.bytes }]);
  const connection = await RawConnection.open(server.url);
  await connection.write(
    `POST /dicom-web/studies HTTP/1.1\r\nHost: test\r\nContent-Type: ${contentType}\r\n` +
      `Content-Length: ${body.length}\r\n\r\n`,
  );
  await connection.write(body.subarray(0, 64 * 1024));
  const deadline = Date.now() + 10_000;
  while ((await server.database.db.select().from(blobJournal)).length === 0) {
    if (Date.now() > deadline) throw new Error('the first upload never started storing');
    await sleep(20);
  }
  return {
    instance,
    finish: async () => {
      await connection.write(body.subarray(64 * 1024));
      const answer = await connection.nextResponse();
      connection.destroy();
      return answer;
    },
  };
}

async function expectRefused(server: TestServer, status: number, code: string): Promise<void> {
  const refused = makeInstance();
  const response = await stow(`${server.base}/studies`, [{ body: refused.bytes }]);
  expect(response.status).toBe(status);
  expect(response.contentType).toBe('application/problem+json');
  expect(response.json.code).toBe(code);
  expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
  expect(await findInstance(server.database.db, refused.sopInstanceUid)).toBeUndefined();
}

describe(`upload and connection caps (${testDb})`, () => {
  it('a second concurrent upload from the same client: 429 with Retry-After; the first completes', async () => {
    const first = await startSlowUpload(perClient);
    await expectRefused(perClient, 429, 'web.client_uploads_busy');
    const answer = await first.finish();
    expect(answer.status).toBe(200);
    expect(await findInstance(perClient.database.db, first.instance.sopInstanceUid)).toBeDefined();
    // The slot is free again.
    const next = makeInstance();
    expect((await stow(`${perClient.base}/studies`, [{ body: next.bytes }])).status).toBe(200);
  });

  it('a second concurrent upload over the overall cap: 503 with Retry-After; the first completes', async () => {
    const first = await startSlowUpload(overall);
    await expectRefused(overall, 503, 'web.uploads_busy');
    expect((await first.finish()).status).toBe(200);
    expect(await findInstance(overall.database.db, first.instance.sopInstanceUid)).toBeDefined();
  });

  it('connections over the per-client cap are closed unanswered; other clients are not affected', async () => {
    // Loopback sources of their own, so the test's other connections do not count.
    const client = '127.0.0.2';
    const open = await Promise.all([1, 2, 3].map(() => RawConnection.open(perClient.url, client)));
    const extra = await RawConnection.open(perClient.url, client);
    await extra.waitClosed();
    for (const connection of open) {
      await connection.write('GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n');
      expect((await connection.nextResponse()).status).toBe(200);
    }
    const other = await RawConnection.open(perClient.url, '127.0.0.3');
    await other.write('GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n');
    expect((await other.nextResponse()).status).toBe(200);
    other.destroy();

    open[0]!.destroy();
    // The server sees the close a moment after the client: retry until the slot is free.
    const deadline = Date.now() + 10_000;
    for (;;) {
      const again = await RawConnection.open(perClient.url, client);
      await again.write('GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n');
      const status = await again.nextResponse().then(
        (r) => r.status,
        () => undefined,
      );
      again.destroy();
      if (status === 200) break;
      if (Date.now() > deadline) throw new Error('no connection slot freed up');
      await sleep(20);
    }
    for (const connection of open) connection.destroy();
  });
});
