import { readdir } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findInstance } from '../src/index/current-instance.repository.js';
import { blobJournal } from '../src/index/schema.js';
import { makeInstance } from './helpers/make-dicom.js';
import { multipartRelated, stow } from './helpers/multipart.js';
import { RawConnection } from './helpers/raw-http.js';
import { readBlob, startTestServer, testDb, type TestServer } from './helpers/server.js';

/**
 * HTTP_IDLE_TIMEOUT_SECONDS: an upload whose client stops sending is ended — 408, connection
 * closed, the part in flight discarded (no temp file, no pending row) — while a download to a
 * reader that stops reading is never cut.
 */
let server: TestServer;
const keeper = makeInstance();
const large = makeInstance({ pixelBytes: 8 * 1024 * 1024 });

beforeAll(async () => {
  server = await startTestServer({ HTTP_IDLE_TIMEOUT_SECONDS: '1' });
  expect((await stow(`${server.base}/studies`, [{ body: keeper.bytes }])).status).toBe(200);
  expect((await stow(`${server.base}/studies`, [{ body: large.bytes }])).status).toBe(200);
});
afterAll(async () => {
  await server?.close();
});

async function leftovers(): Promise<{ temp: string[]; journal: number }> {
  const temp = await readdir(join(server.dataDir, 'blobs', '.tmp')).catch(() => []);
  const journal = await server.database.db.select().from(blobJournal);
  return { temp, journal: journal.length };
}

describe(`idle request bodies (${testDb})`, () => {
  it.each(['multipart/related', 'application/dicom'])(
    'a STOW sent as %s that stalls mid-instance gets 408 and a closed connection; nothing of it is kept',
    async (form) => {
      const sent = makeInstance({ pixelBytes: 1024 * 1024 });
      const { body, contentType } =
        form === 'application/dicom'
          ? { body: Buffer.from(sent.bytes), contentType: form }
          : multipartRelated([{ body: sent.bytes }]);
      const connection = await RawConnection.open(server.url);
      await connection.write(
        `POST /dicom-web/studies HTTP/1.1\r\nHost: test\r\nContent-Type: ${contentType}\r\n` +
          `Content-Length: ${body.length}\r\n\r\n`,
      );
      await connection.write(body.subarray(0, 256 * 1024)); // then nothing more

      const answer = await connection.nextResponse();
      expect(answer.status).toBe(408);
      expect(answer.headers['content-type']).toBe('application/problem+json');
      expect(answer.headers['connection']).toBe('close');
      expect(JSON.parse(answer.body).code).toBe('web.request_idle');
      await connection.waitClosed();

      // The abandoned part's blob is discarded right away (poll: the cleanup may trail the answer).
      const deadline = Date.now() + 10_000;
      while (JSON.stringify(await leftovers()) !== JSON.stringify({ temp: [], journal: 0 })) {
        if (Date.now() > deadline)
          throw new Error(`left behind: ${JSON.stringify(await leftovers())}`);
        await sleep(50);
      }
      expect(await findInstance(server.database.db, sent.sopInstanceUid)).toBeUndefined();
      const kept = await findInstance(server.database.db, keeper.sopInstanceUid);
      expect((await readBlob(server, kept!.blobKey)).equals(keeper.bytes)).toBe(true);
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    },
  );

  it('a download whose reader pauses longer than the idle timeout still completes', async () => {
    const url = `${server.base}/studies/${large.studyInstanceUid}/series/${large.seriesInstanceUid}/instances/${large.sopInstanceUid}`;
    const received = await new Promise<number>((resolve, reject) => {
      const req = request(url, { headers: { Accept: 'application/dicom' } }, (res) => {
        res.pause(); // socket buffers fill, the server waits on us
        let bytes = 0;
        void sleep(2500).then(() => {
          res.on('data', (chunk: Buffer) => (bytes += chunk.length));
          res.on('end', () => resolve(bytes));
          res.on('error', reject);
          res.resume();
        });
      });
      req.on('error', reject);
      req.end();
    });
    expect(received).toBe(large.bytes.length);
  });
});
