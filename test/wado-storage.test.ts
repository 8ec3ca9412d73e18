/**
 * WADO-RS and storage: offline tiers answer 503 + Retry-After and still count as an access (the
 * HSM recall policy relies on it), a client hang-up stops the storage reads, and a series is
 * served in instance order. PGlite and PostgreSQL.
 */
import type { Readable } from 'node:stream';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { instances } from '../src/index/schema.js';
import type { BlobStore, GetOptions } from '../src/storage/blob-store.js';
import { BlobOfflineError } from '../src/storage/errors.js';
import { makeInstance, newUid, type GeneratedInstance } from './helpers/make-dicom.js';
import { stow } from './helpers/multipart.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { get, splitMultipart } from './helpers/wado-multipart.js';

let server: TestServer;
let original: BlobStore;
let tier: string;
const opened: Readable[] = [];
let offline = false;

beforeAll(async () => {
  server = await startTestServer();
  [tier, original] = [...server.stores.entries()][0]!;
  // The tier as the services see it: counts reads, or behaves like an offline archive.
  const wrapped: BlobStore = Object.assign(Object.create(original) as BlobStore, {
    get: async (key: string, options?: GetOptions) => {
      if (offline) throw new BlobOfflineError(key, 3600, true);
      const stream = await original.get(key, options);
      opened.push(stream);
      return stream;
    },
  });
  (server.stores as Map<string, BlobStore>).set(tier, wrapped);
});

afterAll(async () => {
  (server?.stores as Map<string, BlobStore> | undefined)?.set(tier, original);
  await server?.close();
});

function url(i: GeneratedInstance): string {
  return `${server.base}/studies/${i.studyInstanceUid}/series/${i.seriesInstanceUid}/instances/${i.sopInstanceUid}`;
}

async function lastAccessed(sopInstanceUid: string): Promise<Date | null> {
  const [row] = await server.database.db
    .select({ at: instances.lastAccessedAt })
    .from(instances)
    .where(eq(instances.sopInstanceUid, sopInstanceUid));
  return row?.at ?? null;
}

describe('WADO-RS and storage tiers', () => {
  it('answers 503 with Retry-After for an offline tier and still records the access', async () => {
    const instance = makeInstance();
    expect((await stow(`${server.base}/studies`, [{ body: instance.bytes }])).status).toBe(200);
    expect(await lastAccessed(instance.sopInstanceUid)).toBeNull();
    offline = true;
    try {
      const frames = await get(`${url(instance)}/frames/1`, { Accept: 'application/octet-stream' });
      expect(frames.status).toBe(503);
      expect(frames.headers.get('retry-after')).toBe('3600');
      expect(JSON.parse(frames.body.toString()).code).toBe('storage.offline');
      const whole = await get(url(instance));
      expect(whole.status).toBe(503);
      // Metadata comes from the index: still served while the bytes are offline.
      expect((await get(`${url(instance)}/metadata`)).status).toBe(200);
    } finally {
      offline = false;
    }
    await server.services.retrieve.access.flush();
    expect(await lastAccessed(instance.sopInstanceUid)).toBeInstanceOf(Date);
  });

  it('serves a series in instance-number order, metadata and instances alike', async () => {
    const study = newUid();
    const series = newUid();
    const made = [3, 1, 2].map((n) =>
      makeInstance({
        studyInstanceUid: study,
        seriesInstanceUid: series,
        elements: { '00200013': { vr: 'IS', value: String(n) } },
      }),
    );
    await stow(
      `${server.base}/studies`,
      made.map((m) => ({ body: m.bytes })),
    );
    const metadata = await get(`${server.base}/studies/${study}/series/${series}/metadata`);
    const datasets = JSON.parse(metadata.body.toString()) as { '00200013': { Value: number[] } }[];
    expect(datasets.map((d) => d['00200013'].Value[0])).toEqual([1, 2, 3]);
    const r = await get(`${server.base}/studies/${study}/series/${series}`, {
      Accept: 'multipart/related; type="application/dicom"; transfer-syntax=*',
    });
    const parts = splitMultipart(r.body, r.contentType);
    expect(
      parts.map((p) => p.body.equals(made.find((m) => p.body.equals(m.bytes))!.bytes)),
    ).toEqual([true, true, true]);
    expect(parts[0]!.body.equals(made[1]!.bytes)).toBe(true);
  });

  it('stops reading storage when the client hangs up mid-study', async () => {
    const study = newUid();
    const series = newUid();
    const count = 40;
    const made = Array.from({ length: count }, () =>
      makeInstance({ studyInstanceUid: study, seriesInstanceUid: series, pixelBytes: 1 << 20 }),
    );
    for (let i = 0; i < count; i += 10)
      await stow(
        `${server.base}/studies`,
        made.slice(i, i + 10).map((m) => ({ body: m.bytes })),
      );
    opened.length = 0;
    const controller = new AbortController();
    const response = await fetch(`${server.base}/studies/${study}`, {
      headers: { Accept: 'multipart/related; type="application/dicom"; transfer-syntax=*' },
      signal: controller.signal,
    });
    const reader = response.body!.getReader();
    await reader.read();
    controller.abort();
    const deadline = Date.now() + 5000;
    while (opened.some((s) => !s.destroyed) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    expect(
      opened.every((s) => s.destroyed),
      'every opened blob stream is released',
    ).toBe(true);
    expect(opened.length, 'the hang-up stopped the study before its end').toBeLessThan(count);
    // The server is still up.
    expect((await get(`${server.base}/studies/${study}/metadata`)).status).toBe(200);
  }, 60_000);
});
