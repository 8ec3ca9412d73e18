import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findInstance } from '../src/index/current-instance.repository.js';
import { makeInstance, makeSameUids } from './helpers/make-dicom.js';
import { stow } from './helpers/multipart.js';
import { readBlob, startTestServer, testDb, type TestServer } from './helpers/server.js';

/** STOW_DUPLICATE_POLICY=replace: a different object under a stored UID becomes a new version. */
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({
    STOW_DUPLICATE_POLICY: 'replace',
    SWEEP_DELETE_GRACE_SECONDS: '1',
  });
});
afterAll(async () => {
  await server?.close();
});

describe(`STOW-RS replace policy (${testDb})`, () => {
  it('stores the new version; the old bytes stay readable for the grace period, then go', async () => {
    const first = makeInstance();
    expect((await stow(`${server.base}/studies`, [{ body: first.bytes }])).status).toBe(200);
    const before = (await findInstance(server.database.db, first.sopInstanceUid))!;

    const second = makeSameUids(first);
    const response = await stow(`${server.base}/studies`, [{ body: second.bytes }]);
    expect(response.status).toBe(200);

    const after = (await findInstance(server.database.db, first.sopInstanceUid))!;
    expect(after.version).toBe(2);
    expect(after.blobKey).not.toBe(before.blobKey);
    expect((await readBlob(server, after.blobKey)).equals(second.bytes)).toBe(true);
    // A reader that resolved the old version before the switch still gets its exact bytes.
    expect((await readBlob(server, before.blobKey)).equals(first.bytes)).toBe(true);

    // Once the grace period has passed, the sweeper removes the old version's blob.
    await sleep(1100);
    await server.services.maintenance.sweeper.sweep();
    expect(await server.store.exists(before.blobKey)).toBe(false);
    expect(await server.store.exists(after.blobKey)).toBe(true);
  });

  it('within one request, parts commit in order: the last of two versions wins', async () => {
    const first = makeInstance();
    const second = makeSameUids(first);
    const response = await stow(`${server.base}/studies`, [
      { body: first.bytes },
      { body: second.bytes },
    ]);
    expect(response.status).toBe(200);
    const row = (await findInstance(server.database.db, first.sopInstanceUid))!;
    expect(row.version).toBe(2);
    expect((await readBlob(server, row.blobKey)).equals(second.bytes)).toBe(true);
  });

  it('moves an instance re-sent under another series, dropping the emptied series', async () => {
    const first = makeInstance();
    await stow(`${server.base}/studies`, [{ body: first.bytes }]);
    const moved = makeInstance({
      sopInstanceUid: first.sopInstanceUid,
      studyInstanceUid: first.studyInstanceUid,
    });
    expect((await stow(`${server.base}/studies`, [{ body: moved.bytes }])).status).toBe(200);
    // The old series had only this instance: deleting it now finds nothing.
    const response = await fetch(
      `${server.base}/studies/${first.studyInstanceUid}/series/${first.seriesInstanceUid}`,
      { method: 'DELETE' },
    );
    expect(response.status).toBe(404);
  });
});
