import { request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blobJournal } from '../src/index/schema.js';
import { findInstance } from '../src/index/current-instance.repository.js';
import { makeInstance } from './helpers/make-dicom.js';
import { blobCount, startTestServer, testDb, type TestServer } from './helpers/server.js';

/** A client that hangs up mid-upload leaves nothing behind and does not hurt the server. */
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.close();
});

describe(`STOW-RS interrupted by the client (${testDb})`, () => {
  it('leaves no index row, no blob and no pending journal entry', async () => {
    const instance = makeInstance({ pixelBytes: 4 * 1024 * 1024 });
    const blobsBefore = await blobCount(server);
    const boundary = 'abort-test';
    const req = request(`${server.base}/studies`, {
      method: 'POST',
      headers: {
        'Content-Type': `multipart/related; type="application/dicom"; boundary=${boundary}`,
      },
    });
    req.on('error', () => {});
    req.write(`--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`);
    req.write(instance.bytes.subarray(0, 1024 * 1024));
    // Hang up only once the write has begun (its pending journal row exists): otherwise the
    // cleanup poll below would pass on a server that never started writing.
    const started = Date.now() + 10_000;
    while ((await server.database.db.select().from(blobJournal)).length === 0) {
      if (Date.now() > started) throw new Error('the upload never reached the blob store');
      await sleep(20);
    }
    req.destroy();

    // The server notices the hang-up and cleans up; poll with a deadline.
    const deadline = Date.now() + 10_000;
    for (;;) {
      const pending = await server.database.db.select().from(blobJournal);
      if (pending.length === 0 && (await blobCount(server)) === blobsBefore) break;
      if (Date.now() > deadline) {
        throw new Error(`cleanup did not happen: ${pending.length} journal rows left`);
      }
      await sleep(100);
    }
    expect(await findInstance(server.database.db, instance.sopInstanceUid)).toBeUndefined();
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });
});
