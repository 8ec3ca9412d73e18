import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findInstance } from '../src/index/current-instance.repository.js';
import { FakeClock } from '../src/lib/clock.js';
import { createLogger } from '../src/lib/log.js';
import { VerifyStorage } from '../src/services/verify.js';
import { AzureBlobStore } from '../src/storage/azure-blob-store.js';
import type { BlobStore } from '../src/storage/blob-store.js';
import { EncryptedBlobStore } from '../src/storage/encrypted-blob-store.js';
import { S3BlobStore } from '../src/storage/s3-blob-store.js';
import {
  startAzureEmulator,
  uniqueContainerName,
  type AzureEmulator,
} from '../src/storage/testing/azure-emulator.js';
import {
  startS3Emulator,
  uniqueBucketName,
  type S3Emulator,
} from '../src/storage/testing/s3-emulator.js';
import {
  daysAgo,
  keysIn,
  policy,
  setTimes,
  startTieredServer,
  stowMany,
  tierOf,
  worker,
  type TieredServer,
} from './helpers/hsm.js';
import type { GeneratedInstance } from './helpers/make-dicom.js';
import { testDb } from './helpers/server.js';

/**
 * fs hot → S3 warm (s3rver) → Azure cold (azurite), real SDK clients against emulators the test
 * starts itself: bytes identical in every tier, multipart/block paths taken, verify clean.
 */
const MiB = 1024 * 1024;
let s3: S3Emulator;
let azure: AzureEmulator;
let server: TieredServer;
let stores: Map<string, BlobStore>;

beforeAll(async () => {
  [s3, azure] = await Promise.all([startS3Emulator(), startAzureEmulator()]);
  server = await startTieredServer();
  const bucket = uniqueBucketName('hsm');
  await s3.createBucket(bucket);
  stores = new Map<string, BlobStore>([
    ['hot', server.stores.get('hot')!],
    [
      'warm',
      new S3BlobStore({
        name: 'warm',
        bucket,
        region: s3.region,
        endpoint: s3.endpoint,
        forcePathStyle: true,
        credentials: s3.credentials,
        prefix: 'strata/',
        // Small parts, so a 2.5 MiB instance goes up in several multipart parts.
        partSizeBytes: 5 * MiB,
        multipartThresholdBytes: 1 * MiB,
        maxAttempts: 2,
      }),
    ],
    [
      'cold',
      new AzureBlobStore({
        name: 'cold',
        container: uniqueContainerName('hsm'),
        connectionString: azure.connectionString,
        prefix: 'strata/',
        blockSizeBytes: 1 * MiB,
        concurrency: 2,
        maxRetries: 1,
      }),
    ],
  ]);
}, 120_000);
afterAll(async () => {
  await stores?.get('warm')?.close();
  await stores?.get('cold')?.close();
  await server?.close();
  await Promise.all([s3?.stop(), azure?.stop()]);
});

async function read(tier: string, key: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of await stores.get(tier)!.get(key)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

describe(`HSM over S3 and Azure emulators (${testDb})`, () => {
  it('fs → S3 → Azure keeps bytes identical, leaves no source blobs and verifies clean', async () => {
    const clock = new FakeClock();
    const all = [
      ...(await stowMany(server, 1, Math.round(2.5 * MiB))),
      ...(await stowMany(server, 3)),
    ];
    const hsm = worker(
      server,
      clock,
      {
        policies: [
          policy({ from: 'hot', to: 'warm', afterDaysSinceStored: 30 }),
          policy({ from: 'warm', to: 'cold', afterDaysSinceStored: 90 }),
        ],
      },
      { stores },
    );
    for (const [days, tier] of [
      [31, 'warm'],
      [60, 'cold'],
    ] as const) {
      clock.advanceDays(days);
      const report = await hsm.runCycle('test');
      expect(report, JSON.stringify(report.transitions)).toMatchObject({ migrated: 4, failed: 0 });
      for (const i of all) {
        const row = (await findInstance(server.database.db, i.sopInstanceUid))!;
        expect(row.storageTier).toBe(tier);
        expect((await read(tier, row.blobKey)).equals(i.bytes)).toBe(true);
      }
    }
    expect(await keysIn(stores.get('hot')!)).toEqual([]);
    expect(await keysIn(stores.get('warm')!)).toEqual([]);
    expect(await keysIn(stores.get('cold')!)).toHaveLength(4);
    const verify = new VerifyStorage({
      db: server.database.db,
      stores,
      log: createLogger('silent'),
    });
    expect(
      await verify.run({ checksums: true, removeOrphans: false, concurrency: 4 }),
    ).toMatchObject({
      ok: true,
      instances: 4,
      blobsListed: 4,
    });
  });
});

/**
 * A real offline tier: Azure Archive in azurite, configured through STRATA_CONFIG like an
 * operator would. Azurite refuses reads of archived blobs (409 BlobArchived) as Azure does, but
 * finishes a rehydration at once, so the whole cycle runs: archive, 503 + Retry-After and the
 * rehydration the read started, then the recall that brings the instance back to hot.
 */
describe(`HSM with an Azure Archive tier (${testDb})`, () => {
  let archived: TieredServer | undefined;
  afterAll(async () => {
    await archived?.close();
  });

  const retrieve = async (s: TieredServer, i: GeneratedInstance) => {
    const response = await fetch(
      `${s.base}/studies/${i.studyInstanceUid}/series/${i.seriesInstanceUid}/instances/${i.sopInstanceUid}`,
      { headers: { Accept: 'application/dicom; transfer-syntax=*' } },
    );
    return { response, body: Buffer.from(await response.arrayBuffer()) };
  };

  it('WADO answers 503 with Retry-After and starts the rehydration; recall brings it back to hot', async () => {
    const clock = new FakeClock();
    archived = await startTieredServer(
      {
        tiers: [
          { name: 'hot', backend: { kind: 'fs', root: 'hot' } },
          {
            name: 'archive',
            offline: true,
            backend: {
              kind: 'azure',
              connectionString: azure.connectionString,
              container: uniqueContainerName('archive'),
              accessTier: 'Archive',
              maxRetries: 1,
            },
          },
        ],
        policies: [{ from: 'hot', to: 'archive', afterDaysSinceStored: 30 }],
        recall: { toTier: 'hot', accessedWithinDays: 1 },
      },
      {},
      clock,
    );
    const [wanted, other] = await stowMany(archived, 2);
    // Age by back-dating (not by moving the clock): WADO records accesses at database time.
    for (const i of [wanted!, other!]) {
      await setTimes(archived, i.sopInstanceUid, { storedAt: daysAgo(clock.now(), 31) });
    }
    expect(await archived.services.maintenance.hsm.runCycle('test')).toMatchObject({
      migrated: 2,
      failed: 0,
    });
    expect(await tierOf(archived, wanted!.sopInstanceUid)).toBe('archive');

    const offline = await retrieve(archived, wanted!);
    expect(offline.response.status).toBe(503);
    // Standard-priority rehydration completes within 15 hours (azure-blob-store.ts).
    expect(offline.response.headers.get('retry-after')).toBe(String(15 * 3600));
    expect(JSON.parse(offline.body.toString('utf8'))).toMatchObject({ code: 'storage.offline' });
    await archived.services.retrieve.access.flush();

    // The read started the rehydration; the next cycle recalls only the instance asked for.
    const report = await archived.services.maintenance.hsm.runCycle('test');
    expect(report.transitions.find((t) => t.kind === 'recall')).toMatchObject({
      from: 'archive',
      to: 'hot',
      migrated: 1,
    });
    expect(await tierOf(archived, wanted!.sopInstanceUid)).toBe('hot');
    expect(await tierOf(archived, other!.sopInstanceUid)).toBe('archive');
    const back = await retrieve(archived, wanted!);
    expect(back.response.status).toBe(200);
    expect(back.body.equals(wanted!.bytes)).toBe(true);
    expect((await retrieve(archived, other!)).response.status).toBe(503);
  });
});

/**
 * The whole path an operator configures: STRATA_CONFIG with fs hot, S3 warm (s3rver) and Azure
 * cold (azurite), ENCRYPTION_KEY on, the server's own HSM service — STOW in, and WADO-RS returns
 * the same bytes from every tier while the objects at rest are ciphertext.
 */
describe(`STOW → migrate → WADO through S3 and Azure tiers, encrypted (${testDb})`, () => {
  let tiered: TieredServer | undefined;
  afterAll(async () => {
    await tiered?.close();
  });

  it('WADO returns identical bytes from each tier; at rest every copy is ciphertext', async () => {
    const clock = new FakeClock();
    const bucket = uniqueBucketName('e2e');
    await s3.createBucket(bucket);
    tiered = await startTieredServer(
      {
        tiers: [
          { name: 'hot', backend: { kind: 'fs', root: 'hot' } },
          {
            name: 'warm',
            backend: {
              kind: 's3',
              bucket,
              region: s3.region,
              endpoint: s3.endpoint,
              forcePathStyle: true,
              credentials: s3.credentials,
              storageClass: 'STANDARD_IA',
              partSizeBytes: 5 * MiB,
              multipartThresholdBytes: 1 * MiB,
              maxAttempts: 2,
            },
          },
          {
            name: 'cold',
            backend: {
              kind: 'azure',
              connectionString: azure.connectionString,
              container: uniqueContainerName('e2e'),
              accessTier: 'Cool',
              blockSizeBytes: 1 * MiB,
              maxRetries: 1,
            },
          },
        ],
        policies: [
          { from: 'hot', to: 'warm', afterDaysSinceStored: 30 },
          { from: 'warm', to: 'cold', afterDaysSinceStored: 90 },
        ],
      },
      { ENCRYPTION_KEY: randomBytes(32).toString('base64') },
      clock,
    );
    const all = [
      ...(await stowMany(tiered, 1, Math.round(2.5 * MiB))),
      ...(await stowMany(tiered, 2)),
    ];
    const wado = async (i: GeneratedInstance) => {
      const response = await fetch(
        `${tiered!.base}/studies/${i.studyInstanceUid}/series/${i.seriesInstanceUid}/instances/${i.sopInstanceUid}`,
        { headers: { Accept: 'application/dicom; transfer-syntax=*' } },
      );
      expect(response.status).toBe(200);
      return Buffer.from(await response.arrayBuffer());
    };
    for (const [days, tier] of [
      [0, 'hot'],
      [31, 'warm'],
      [60, 'cold'],
    ] as const) {
      clock.advanceDays(days);
      if (days > 0) {
        expect(await tiered.services.maintenance.hsm.runCycle('test')).toMatchObject({
          migrated: 3,
          failed: 0,
        });
      }
      for (const i of all) {
        expect(await tierOf(tiered, i.sopInstanceUid)).toBe(tier);
        expect((await wado(i)).equals(i.bytes)).toBe(true);
        // The tier's store wraps the encrypted one (metrics wrap every tier); the encrypted
        // store's inner store holds the ciphertext.
        const row = (await findInstance(tiered.database.db, i.sopInstanceUid))!;
        let store = tiered.stores.get(tier) as unknown as { inner: BlobStore };
        while (!(store instanceof EncryptedBlobStore)) {
          store = store.inner as unknown as { inner: BlobStore };
        }
        const inner = store.inner;
        const chunks: Buffer[] = [];
        for await (const c of await inner.get(row.blobKey)) chunks.push(c as Buffer);
        const atRest = Buffer.concat(chunks);
        expect(atRest.subarray(0, 4).toString('latin1')).toBe('STRE');
        expect(atRest.includes(i.bytes.subarray(128, 1024))).toBe(false);
      }
    }
    expect(await keysIn(tiered.stores.get('hot')!)).toEqual([]);
    expect(await keysIn(tiered.stores.get('warm')!)).toEqual([]);
    const verify = await tiered.services.maintenance.verify.run({
      checksums: true,
      removeOrphans: false,
      concurrency: 4,
    });
    expect(verify).toMatchObject({ ok: true, instances: 3, blobsListed: 3 });
  });
});
