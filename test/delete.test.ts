import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findInstance } from '../src/index/current-instance.repository.js';
import { makeInstance, newUid } from './helpers/make-dicom.js';
import { stow } from './helpers/multipart.js';
import { startTestServer, testDb, type TestServer } from './helpers/server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.close();
});

async function storeSeries(study: string, series: string, count: number) {
  const instances = Array.from({ length: count }, () =>
    makeInstance({ studyInstanceUid: study, seriesInstanceUid: series }),
  );
  const response = await stow(
    `${server.base}/studies`,
    instances.map((i) => ({ body: i.bytes })),
  );
  expect(response.status).toBe(200);
  return instances;
}

async function blobKeys(): Promise<Set<string>> {
  const keys = new Set<string>();
  for await (const key of server.store.list()) keys.add(key);
  return keys;
}

const del = (path: string) => fetch(`${server.base}${path}`, { method: 'DELETE' });

describe(`DELETE (${testDb})`, () => {
  it('deletes one instance: row and blob gone, siblings kept', async () => {
    const study = newUid();
    const series = newUid();
    const [a, b] = await storeSeries(study, series, 2);
    const keyA = (await findInstance(server.database.db, a!.sopInstanceUid))!.blobKey;
    const response = await del(`/studies/${study}/series/${series}/instances/${a!.sopInstanceUid}`);
    expect(response.status).toBe(204);
    expect(await findInstance(server.database.db, a!.sopInstanceUid)).toBeUndefined();
    expect(await findInstance(server.database.db, b!.sopInstanceUid)).toBeDefined();
    expect((await blobKeys()).has(keyA)).toBe(false);
  });

  it('deletes a series and a study with all their blobs', async () => {
    const study = newUid();
    const s1 = newUid();
    const s2 = newUid();
    const first = await storeSeries(study, s1, 2);
    const second = await storeSeries(study, s2, 2);
    const keyOf = async (sop: string) => (await findInstance(server.database.db, sop))!.blobKey;
    const firstKeys = await Promise.all(first.map((i) => keyOf(i.sopInstanceUid)));
    const secondKeys = await Promise.all(second.map((i) => keyOf(i.sopInstanceUid)));

    expect((await del(`/studies/${study}/series/${s1}`)).status).toBe(204);
    let keys = await blobKeys();
    expect(firstKeys.some((k) => keys.has(k))).toBe(false);
    expect(secondKeys.every((k) => keys.has(k))).toBe(true);

    expect((await del(`/studies/${study}`)).status).toBe(204);
    keys = await blobKeys();
    expect(secondKeys.some((k) => keys.has(k))).toBe(false);
    for (const i of [...first, ...second]) {
      expect(await findInstance(server.database.db, i.sopInstanceUid)).toBeUndefined();
    }
    // The study is gone: deleting it again finds nothing, and it can be stored anew.
    expect((await del(`/studies/${study}`)).status).toBe(404);
    await storeSeries(study, s1, 1);
  });

  it('answers 404 problem+json for an unknown study and 400 for a malformed UID', async () => {
    const missing = await del(`/studies/${newUid()}`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toBe('application/problem+json');
    expect((await del('/studies/not-a-uid')).status).toBe(400);
  });
});
