import { afterEach, describe, expect, it } from 'vitest';
import { findInstance } from '../src/index/current-instance.repository.js';
import { FakeClock } from '../src/lib/clock.js';
import type { BlobStore } from '../src/storage/blob-store.js';
import { BlobOfflineError } from '../src/storage/errors.js';
import type { GeneratedInstance } from './helpers/make-dicom.js';
import {
  daysAgo,
  policy,
  setTimes,
  startTieredServer,
  stowMany,
  tierOf,
  worker,
  type TieredServer,
} from './helpers/hsm.js';
import { testDb } from './helpers/server.js';

/** HSM seen by a DICOMweb client: WADO-RS instance retrieves through every tier and state. */
let server: TieredServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function retrieve(s: TieredServer, i: GeneratedInstance) {
  const response = await fetch(
    `${s.base}/studies/${i.studyInstanceUid}/series/${i.seriesInstanceUid}/instances/${i.sopInstanceUid}`,
    { headers: { Accept: 'application/dicom; transfer-syntax=*' } },
  );
  return { response, body: Buffer.from(await response.arrayBuffer()) };
}

async function expectIdentical(s: TieredServer, i: GeneratedInstance) {
  const { response, body } = await retrieve(s, i);
  expect(response.status).toBe(200);
  expect(body.equals(i.bytes)).toBe(true);
}

describe(`HSM through WADO-RS (${testDb})`, () => {
  it('STOW → hot → warm → cold: WADO returns identical bytes from every tier', async () => {
    const clock = new FakeClock();
    server = await startTieredServer({}, {}, clock);
    const all = await stowMany(server, 3, 30_000);
    const hsm = worker(server, clock, {
      policies: [
        policy({ from: 'hot', to: 'warm', afterDaysSinceStored: 30 }),
        policy({ from: 'warm', to: 'cold', afterDaysSinceStored: 90 }),
      ],
    });
    for (const [days, tier] of [
      [0, 'hot'],
      [31, 'warm'],
      [60, 'cold'],
    ] as const) {
      clock.advanceDays(days);
      await hsm.runCycle('test');
      for (const i of all) {
        expect(await tierOf(server, i.sopInstanceUid)).toBe(tier);
        await expectIdentical(server, i);
      }
    }
  });

  it('concurrent WADO retrieves of the instances being moved all succeed', async () => {
    const clock = new FakeClock();
    server = await startTieredServer({}, {}, clock);
    const all = await stowMany(server, 10, 40_000);
    const hsm = worker(
      server,
      clock,
      { policies: [policy({ from: 'hot', to: 'warm', afterDaysSinceStored: 1, concurrency: 2 })] },
      { deleteGraceSeconds: 30 },
    );
    clock.advanceDays(2);
    let stop = false;
    const statuses: number[] = [];
    const readers = Array.from({ length: 4 }, async () => {
      while (!stop) {
        for (const i of all) {
          const { response, body } = await retrieve(server!, i);
          statuses.push(response.status);
          expect(body.equals(i.bytes)).toBe(true);
        }
      }
    });
    const report = await hsm.runCycle('test');
    stop = true;
    await Promise.all(readers);
    expect(report.migrated).toBe(10);
    expect(statuses.length).toBeGreaterThan(10);
    expect(new Set(statuses)).toEqual(new Set([200]));
    for (const i of all) await expectIdentical(server, i);
  });

  it('an offline tier answers 503 with Retry-After and starts the restore; the access brings the instance back to hot', async () => {
    const clock = new FakeClock();
    server = await startTieredServer({}, {}, clock);
    const [wanted, other] = await stowMany(server, 2);
    for (const i of [wanted!, other!]) {
      await setTimes(server, i.sopInstanceUid, { storedAt: daysAgo(clock.now(), 400) });
    }
    const options = {
      tiers: [
        { name: 'hot', offline: false },
        { name: 'warm', offline: false },
        { name: 'cold', offline: true },
      ],
      recall: {
        onAccess: true,
        toTier: 'hot',
        accessedWithinDays: 1,
        maxInstancesPerCycle: 10,
        concurrency: 1,
      },
    };
    const hsm = worker(server, clock, {
      ...options,
      policies: [policy({ from: 'hot', to: 'cold', afterDaysSinceStored: 365 })],
    });
    expect((await hsm.runCycle('test')).migrated).toBe(2);

    // The cold tier now behaves like S3 Glacier / Azure Archive: reads need a restore first.
    const cold = server.stores.get('cold')!;
    const restoring = new Set<string>();
    let restored = false;
    const glacier = Object.assign(Object.create(cold) as BlobStore, {
      name: 'cold',
      get: async (key: string, options?: Parameters<BlobStore['get']>[1]) => {
        if (restored) return cold.get(key, options);
        const started = restoring.has(key);
        restoring.add(key);
        throw new BlobOfflineError(key, 14_400, started);
      },
      requestRestore: (key: string) => Promise.resolve(restoring.add(key)),
      close: () => cold.close(),
    });
    // Swap the live tier: WADO and the worker look stores up per request.
    (server.stores as Map<string, BlobStore>).set('cold', glacier);

    const offline = await retrieve(server, wanted!);
    expect(offline.response.status).toBe(503);
    expect(offline.response.headers.get('retry-after')).toBe('14400');
    expect(offline.response.headers.get('content-type')).toContain('application/problem+json');
    const problem = JSON.parse(offline.body.toString('utf8'));
    expect(problem.code).toBe('storage.offline');
    expect(problem.detail).not.toContain(wanted!.sopInstanceUid);
    const key = (await findInstance(server.database.db, wanted!.sopInstanceUid))!.blobKey;
    expect([...restoring]).toEqual([key]);
    // The retrieve was recorded as an access although it failed (WADO flushes in batches).
    await server.services.retrieve.access.flush();

    // Restore still running: the recall waits; once done, the next cycle brings it back.
    const waiting = await hsm.runCycle('test');
    expect(waiting.transitions.find((t) => t.kind === 'recall')).toMatchObject({
      migrated: 0,
      skipped: 1,
    });
    restored = true;
    const recalled = await hsm.runCycle('test');
    expect(recalled.transitions.find((t) => t.kind === 'recall')).toMatchObject({ migrated: 1 });
    expect(await tierOf(server, wanted!.sopInstanceUid)).toBe('hot');
    expect(await tierOf(server, other!.sopInstanceUid)).toBe('cold');
    await expectIdentical(server, wanted!);
  });
});
