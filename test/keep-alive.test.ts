import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeInstance } from './helpers/make-dicom.js';
import { multipartRelated } from './helpers/multipart.js';
import { RawConnection, type RawResponse } from './helpers/raw-http.js';
import { startTestServer, testDb, type TestServer } from './helpers/server.js';

/**
 * An answer given before the request body was read leaves the rest of the body on the
 * connection. The client must get the whole answer, never a reset, and then either the next
 * request on the same connection is answered (small rest, drained) or the answer said
 * `Connection: close` and the connection ends cleanly.
 */
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ STOW_MAX_PARTS: '1' });
});
afterAll(async () => {
  await server?.close();
});

const healthz = 'GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n';

function post(contentType: string, body: Uint8Array): Buffer {
  const head =
    `POST /dicom-web/studies HTTP/1.1\r\nHost: test\r\nContent-Type: ${contentType}\r\n` +
    `Content-Length: ${body.length}\r\n\r\n`;
  return Buffer.concat([Buffer.from(head), body]);
}

/** A client that finished sending sees a clean close (FIN), never a reset; others can connect. */
/** The next request is answered on the same connection, or the answer said to reconnect. */
async function expectNextAnswered(connection: RawConnection, refused: RawResponse): Promise<void> {
  if (refused.headers['connection'] === 'close') {
    await expectClosedCleanly(connection);
  } else {
    expect((await connection.nextResponse()).status).toBe(200);
    connection.destroy();
  }
}

async function expectClosedCleanly(connection: RawConnection): Promise<void> {
  await connection.waitClosed();
  expect(connection.error).toBeUndefined();
  expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
}

describe(`keep-alive after an early refusal (${testDb})`, () => {
  it('#hardening: junk sent as bare application/dicom, then a request on the same connection', async () => {
    const connection = await RawConnection.open(server.url);
    await connection.write(post('application/dicom', randomBytes(2 * 1024 * 1024)));
    await connection.write(healthz);
    const refused = await connection.nextResponse();
    expect(refused.status).toBe(409);
    expect(JSON.parse(refused.body)['00081198']).toBeDefined();
    await expectNextAnswered(connection, refused);
  });

  it('more parts than STOW_MAX_PARTS: the whole 202 for the part stored, then the next request', async () => {
    const parts = [1, 2, 3].map(() => ({ body: makeInstance().bytes }));
    const { body, contentType } = multipartRelated(parts);
    const connection = await RawConnection.open(server.url);
    await connection.write(post(contentType, body));
    await connection.write(healthz);
    const refused = await connection.nextResponse();
    // The first part was stored before the limit was met: the answer says so (web/stow-partial.ts).
    expect(refused.status).toBe(202);
    const dataset = JSON.parse(refused.body) as Record<string, { Value?: unknown[] }>;
    expect(dataset['00081199']?.Value).toHaveLength(1);
    expect(dataset['00081198']?.Value).toEqual([
      expect.objectContaining({ '00081197': { vr: 'US', Value: [0xa700] } }),
    ]);
    await expectNextAnswered(connection, refused);
  });

  it('a small body refused with 415 is drained: the next request is answered on the same connection', async () => {
    const connection = await RawConnection.open(server.url);
    await connection.write(post('text/plain', randomBytes(64 * 1024)));
    await connection.write(healthz);
    const refused = await connection.nextResponse();
    expect(refused.status).toBe(415);
    expect(JSON.parse(refused.body).code).toBe('web.unsupported_media_type');
    expect(refused.headers['connection']).not.toBe('close');
    const next = await connection.nextResponse();
    expect(next.status).toBe(200);
    expect(JSON.parse(next.body)).toEqual({ status: 'ok' });
    connection.destroy();
  });

  it('a large body refused with 415 gets its whole answer with Connection: close, then a clean close', async () => {
    const connection = await RawConnection.open(server.url);
    // Not awaited: the server stops reading long before 8 MiB, so this write never completes.
    void connection.write(post('text/plain', randomBytes(8 * 1024 * 1024)));
    const refused = await connection.nextResponse();
    expect(refused.status).toBe(415);
    expect(refused.headers['connection']).toBe('close');
    expect(JSON.parse(refused.body).code).toBe('web.unsupported_media_type');
    // The answer came whole; the client, still sending megabytes it was told to stop, may see
    // its write fail when the server closes after the grace period.
    await connection.waitClosed();
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });
});
