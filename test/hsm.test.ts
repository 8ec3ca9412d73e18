import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { findInstance } from '../src/index/current-instance.repository.js';
import { FakeClock } from '../src/lib/clock.js';
import { createLogger } from '../src/lib/log.js';
import type { BlobStore } from '../src/storage/blob-store.js';
import { BlobOfflineError, StorageUnavailableError } from '../src/storage/errors.js';
import {
  daysAgo,
  keysIn,
  policy,
  readInstance,
  setTimes,
  startTieredServer,
  stowMany,
  tierOf,
  worker,
  type TieredServer,
} from './helpers/hsm.js';
import { testDb } from './helpers/server.js';

let server: TieredServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const store = (s: TieredServer, tier: string) => s.stores.get(tier)!;

describe(`HSM migration (${testDb})`, () => {
  it('moves exactly the instances not accessed for the policy days; never-read ones count from storage', async () => {
    const clock = new FakeClock();
    server = await startTieredServer({}, {}, clock);
    const [old, recent, never] = await stowMany(server, 3);
    const now = clock.now();
    await setTimes(server, old!.sopInstanceUid, { lastAccessedAt: daysAgo(now, 40) });
    await setTimes(server, recent!.sopInstanceUid, { lastAccessedAt: daysAgo(now, 10) });
    const hsm = worker(server, clock, {
      policies: [policy({ from: 'hot', to: 'warm', afterDaysSinceLastAccess: 30 })],
    });

    const first = await hsm.runCycle('test');
    expect(first).toMatchObject({ migrated: 1, failed: 0 });
    expect(await tierOf(server, old!.sopInstanceUid)).toBe('warm');
    expect(await tierOf(server, recent!.sopInstanceUid)).toBe('hot');
    expect(await tierOf(server, never!.sopInstanceUid)).toBe('hot');

    clock.advanceDays(25); // recent: last read 35 days ago; never: stored 25 days ago
    expect((await hsm.runCycle('test')).migrated).toBe(1);
    expect(await tierOf(server, recent!.sopInstanceUid)).toBe('warm');
    expect(await tierOf(server, never!.sopInstanceUid)).toBe('hot');

    clock.advanceDays(6);
    expect((await hsm.runCycle('test')).migrated).toBe(1);
    expect(await tierOf(server, never!.sopInstanceUid)).toBe('warm');
    for (const i of [old!, recent!, never!]) {
      expect((await readInstance(server, i.sopInstanceUid)).equals(i.bytes)).toBe(true);
    }
    // Source blobs are gone (delete grace 0), one copy each in warm.
    expect(await keysIn(store(server, 'hot'))).toEqual([]);
    expect(await keysIn(store(server, 'warm'))).toHaveLength(3);
  });

  it('the server runs cycles by itself every migration.intervalSeconds', async () => {
    const clock = new FakeClock();
    // The policy of the STRATA_CONFIG file, applied by the server's own background service.
    server = await startTieredServer(
      {
        policies: [{ from: 'hot', to: 'warm', afterDaysSinceStored: 30 }],
        migration: { intervalSeconds: 1, leaseSeconds: 600 },
      },
      {},
      clock,
    );
    const [one] = await stowMany(server, 1);
    clock.advanceDays(31);
    const deadline = Date.now() + 30_000;
    while ((await tierOf(server, one!.sopInstanceUid)) !== 'warm') {
      if (Date.now() > deadline) throw new Error('no interval cycle moved the instance in 30 s');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const cycles = await server.services.maintenance.hsm.recentCycles(50);
    expect(cycles.some((c) => c.trigger === 'interval' && c.migrated === 1)).toBe(true);
    expect((await readInstance(server, one!.sopInstanceUid)).equals(one!.bytes)).toBe(true);
  });

  it('with both ages set, moves only instances old enough by both', async () => {
    const clock = new FakeClock();
    server = await startTieredServer({}, {}, clock);
    const [both, onlyStored, onlyAccess] = await stowMany(server, 3);
    const now = clock.now();
    await setTimes(server, both!.sopInstanceUid, {
      storedAt: daysAgo(now, 100),
      lastAccessedAt: daysAgo(now, 40),
    });
    await setTimes(server, onlyStored!.sopInstanceUid, {
      storedAt: daysAgo(now, 100),
      lastAccessedAt: daysAgo(now, 5),
    });
    await setTimes(server, onlyAccess!.sopInstanceUid, {
      storedAt: daysAgo(now, 50),
      lastAccessedAt: daysAgo(now, 45),
    });
    const hsm = worker(server, clock, {
      policies: [
        policy({ from: 'hot', to: 'cold', afterDaysSinceStored: 90, afterDaysSinceLastAccess: 30 }),
      ],
    });
    expect((await hsm.runCycle('test')).migrated).toBe(1);
    expect(await tierOf(server, both!.sopInstanceUid)).toBe('cold');
    expect(await tierOf(server, onlyStored!.sopInstanceUid)).toBe('hot');
    expect(await tierOf(server, onlyAccess!.sopInstanceUid)).toBe('hot');
  });

  it('per-cycle limits on instances and bytes hold, oldest access first', async () => {
    const clock = new FakeClock();
    server = await startTieredServer({}, {}, clock);
    const all = await stowMany(server, 6);
    const now = clock.now();
    for (const [i, instance] of all.entries()) {
      await setTimes(server, instance.sopInstanceUid, { lastAccessedAt: daysAgo(now, 100 - i) });
    }
    const sizes = await Promise.all(
      all.map(async (i) => (await findInstance(server!.database.db, i.sopInstanceUid))!.size),
    );
    const byCount = worker(server, clock, {
      policies: [
        policy({ from: 'hot', to: 'warm', afterDaysSinceLastAccess: 1, maxInstancesPerCycle: 2 }),
      ],
    });
    expect((await byCount.runCycle('test')).migrated).toBe(2);
    expect(await tierOf(server, all[0]!.sopInstanceUid)).toBe('warm');
    expect(await tierOf(server, all[1]!.sopInstanceUid)).toBe('warm');
    expect(await tierOf(server, all[2]!.sopInstanceUid)).toBe('hot');

    // Room for two and a half instances: two move, the claimed third is released for later.
    const byBytes = worker(server, clock, {
      policies: [
        policy({
          from: 'hot',
          to: 'warm',
          afterDaysSinceLastAccess: 1,
          maxBytesPerCycle: sizes[2]! + sizes[3]! + Math.floor(sizes[4]! / 2),
        }),
      ],
    });
    const report = await byBytes.runCycle('test');
    expect(report).toMatchObject({ migrated: 2, bytes: sizes[2]! + sizes[3]!, skipped: 2 });
    expect(await tierOf(server, all[2]!.sopInstanceUid)).toBe('warm');
    expect(await tierOf(server, all[3]!.sopInstanceUid)).toBe('warm');
    expect(await tierOf(server, all[4]!.sopInstanceUid)).toBe('hot');
    // Released claims are claimable again at once.
    expect((await byBytes.runCycle('test')).migrated).toBe(2);
    expect(await keysIn(store(server, 'hot'))).toEqual([]);
  });

  it('STOW → hot → warm → cold keeps the bytes identical in every tier; stats and totals follow', async () => {
    const clock = new FakeClock();
    server = await startTieredServer({}, {}, clock);
    const all = await stowMany(server, 4, 20_000);
    const hsm = worker(server, clock, {
      policies: [
        policy({ from: 'hot', to: 'warm', afterDaysSinceStored: 30 }),
        policy({ from: 'warm', to: 'cold', afterDaysSinceStored: 90 }),
      ],
    });
    const stats = async () =>
      Object.fromEntries((await hsm.statistics()).map((s) => [s.tier, s.instances]));
    expect(await stats()).toEqual({ hot: 4 });

    clock.advanceDays(31);
    const toWarm = await hsm.runCycle('test');
    expect(toWarm.transitions.map((t) => [t.from, t.to, t.migrated])).toEqual([
      ['hot', 'warm', 4],
      ['warm', 'cold', 0],
    ]);
    expect(await stats()).toEqual({ warm: 4 });
    for (const i of all)
      expect((await readInstance(server, i.sopInstanceUid)).equals(i.bytes)).toBe(true);

    clock.advanceDays(60);
    expect((await hsm.runCycle('test')).migrated).toBe(4);
    const cold = (await hsm.statistics())[0]!;
    expect(cold).toMatchObject({ tier: 'cold', instances: 4, studies: 4, series: 4, patients: 1 });
    expect(cold.bytes).toBe(all.reduce((n, i) => n + i.bytes.length, 0));
    for (const i of all)
      expect((await readInstance(server, i.sopInstanceUid)).equals(i.bytes)).toBe(true);
    expect(await keysIn(store(server, 'hot'))).toEqual([]);
    expect(await keysIn(store(server, 'warm'))).toEqual([]);

    const totals = await hsm.totals();
    expect(totals).toMatchObject({ cycles: 2, migrated: 8, failed: 0, bytes: 2 * cold.bytes });
    const verify = await server.services.maintenance.verify.run({
      checksums: true,
      removeOrphans: false,
      concurrency: 4,
    });
    expect(verify).toMatchObject({ ok: true, instances: 4, blobsListed: 4, orphans: 0 });
  });

  it('reads of the instances being moved all succeed while the migration runs', async () => {
    const clock = new FakeClock();
    server = await startTieredServer({}, { SWEEP_DELETE_GRACE_SECONDS: '30' }, clock);
    const all = await stowMany(server, 12, 50_000);
    // A delete grace protects reads that looked the old key up just before the switch.
    const withGrace = worker(
      server,
      clock,
      { policies: [policy({ from: 'hot', to: 'warm', afterDaysSinceStored: 1, concurrency: 3 })] },
      { deleteGraceSeconds: 30 },
    );
    clock.advanceDays(2);
    let stop = false;
    let reads = 0;
    const readers = Array.from({ length: 6 }, async () => {
      while (!stop) {
        for (const i of all) {
          const bytes = await readInstance(server!, i.sopInstanceUid);
          expect(bytes.equals(i.bytes)).toBe(true);
          reads++;
        }
      }
    });
    const report = await withGrace.runCycle('test');
    stop = true;
    await Promise.all(readers);
    expect(report.migrated).toBe(12);
    expect(reads).toBeGreaterThan(12);
    for (const i of all) expect(await tierOf(server, i.sopInstanceUid)).toBe('warm');
  });

  it('two workers on one database never move the same instance twice', async () => {
    const clock = new FakeClock();
    server = await startTieredServer({}, {}, clock);
    const all = await stowMany(server, 30);
    const options = {
      policies: [policy({ from: 'hot', to: 'warm', afterDaysSinceStored: 1, concurrency: 4 })],
    };
    const a = worker(server, clock, options, { name: 'a' });
    const b = worker(server, clock, options, { name: 'b' });
    clock.advanceDays(2);
    const [ra, rb] = await Promise.all([a.runCycle('test'), b.runCycle('test')]);
    expect(ra.migrated + rb.migrated).toBe(30);
    expect(ra.failed + rb.failed).toBe(0);
    // Exactly one copy per instance in warm, none left in hot.
    expect(await keysIn(store(server, 'warm'))).toHaveLength(30);
    expect(await keysIn(store(server, 'hot'))).toEqual([]);
    for (const i of all)
      expect((await readInstance(server, i.sopInstanceUid)).equals(i.bytes)).toBe(true);
    expect((await a.totals()).migrated).toBe(30);
  });

  it('a failing target tier leaves every instance readable where it was and reports keys and codes only', async () => {
    const clock = new FakeClock();
    server = await startTieredServer({}, {}, clock);
    const all = await stowMany(server, 3);
    const warm = store(server, 'warm');
    const broken: BlobStore = Object.assign(Object.create(warm) as BlobStore, {
      name: 'warm',
      put: (key: string, body: Readable) => {
        body.destroy();
        return Promise.reject(new StorageUnavailableError(`injected failure for ${key}`));
      },
    });
    const stores = new Map(server.stores);
    stores.set('warm', broken);
    const lines: string[] = [];
    const hsm = worker(
      server,
      clock,
      { policies: [policy({ from: 'hot', to: 'warm', afterDaysSinceStored: 1 })] },
      { stores, log: createLogger('info', (line) => lines.push(line)) },
    );
    clock.advanceDays(2);
    const report = await hsm.runCycle('test');
    expect(report).toMatchObject({ migrated: 0, failed: 3 });
    // One log line per cycle, a warning when anything failed, with keys and codes only.
    expect(lines).toHaveLength(1);
    const logged = JSON.parse(lines[0]!);
    expect(logged).toMatchObject({
      level: 'warn',
      msg: 'hsm cycle finished',
      migrated: 0,
      failed: 3,
    });
    expect(logged.failures).toHaveLength(3);
    for (const i of all) expect(lines[0]).not.toContain(i.sopInstanceUid);
    const failures = report.transitions[0]!.failures;
    expect(failures.map((f) => [f.step, f.code])).toEqual(
      Array(3).fill(['copy', 'storage.unavailable']),
    );
    const text = JSON.stringify(report);
    for (const i of all) {
      expect(text).not.toContain(i.sopInstanceUid);
      expect(await tierOf(server, i.sopInstanceUid)).toBe('hot');
      expect((await readInstance(server, i.sopInstanceUid)).equals(i.bytes)).toBe(true);
    }
    expect(await keysIn(warm)).toEqual([]);
    // Released: a healthy worker moves them at once.
    const healthy = worker(server, clock, {
      policies: [policy({ from: 'hot', to: 'warm', afterDaysSinceStored: 1 })],
    });
    expect((await healthy.runCycle('test')).migrated).toBe(3);
  });

  it('a damaged source is never propagated: checksum mismatch fails the move and keeps the original', async () => {
    const clock = new FakeClock();
    server = await startTieredServer({}, {}, clock);
    const [instance] = await stowMany(server, 1);
    const hot = store(server, 'hot');
    const row = (await findInstance(server.database.db, instance!.sopInstanceUid))!;
    const flipped = Buffer.from(instance!.bytes);
    flipped[flipped.length - 1] = flipped.at(-1)! ^ 0xff;
    const damaged: BlobStore = Object.assign(Object.create(hot) as BlobStore, {
      name: 'hot',
      get: () => Promise.resolve(Readable.from([flipped])),
    });
    const stores = new Map(server.stores);
    stores.set('hot', damaged);
    const hsm = worker(
      server,
      clock,
      { policies: [policy({ from: 'hot', to: 'warm', afterDaysSinceStored: 1 })] },
      { stores },
    );
    clock.advanceDays(2);
    const report = await hsm.runCycle('test');
    expect(report.transitions[0]!.failures).toEqual([
      { key: row.blobKey, step: 'copy', code: 'hsm.verify_mismatch' },
    ]);
    expect(await tierOf(server, instance!.sopInstanceUid)).toBe('hot');
    expect(await keysIn(store(server, 'warm'))).toEqual([]);
  });
});

describe(`HSM recall from offline tiers (${testDb})`, () => {
  it('moves into an offline tier without reading it back (size check; a read would start a restore)', async () => {
    const clock = new FakeClock();
    server = await startTieredServer({}, {}, clock);
    const all = await stowMany(server, 2);
    const cold = store(server, 'cold');
    const gets: string[] = [];
    const glacier: BlobStore = Object.assign(Object.create(cold) as BlobStore, {
      name: 'cold',
      put: (key: string, body: Readable, options?: Parameters<BlobStore['put']>[2]) =>
        cold.put(key, body, options),
      stat: (key: string) => cold.stat(key),
      get: (key: string) => {
        gets.push(key);
        return Promise.reject(new BlobOfflineError(key, 3600, true));
      },
    });
    const stores = new Map(server.stores);
    stores.set('cold', glacier);
    const hsm = worker(
      server,
      clock,
      {
        tiers: [
          { name: 'hot', offline: false },
          { name: 'warm', offline: false },
          { name: 'cold', offline: true },
        ],
        policies: [policy({ from: 'hot', to: 'cold', afterDaysSinceStored: 1 })],
      },
      { stores },
    );
    clock.advanceDays(2);
    expect(await hsm.runCycle('test')).toMatchObject({ migrated: 2, failed: 0 });
    expect(gets).toEqual([]);
    for (const i of all) expect(await tierOf(server, i.sopInstanceUid)).toBe('cold');
  });

  it('an offline read asks for a restore; a recently accessed instance is recalled to hot once readable', async () => {
    const clock = new FakeClock();
    server = await startTieredServer({}, {}, clock);
    const [accessed, untouched] = await stowMany(server, 2);
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
        maxInstancesPerCycle: 100,
        concurrency: 2,
      },
    };
    const archive = worker(server, clock, {
      ...options,
      policies: [policy({ from: 'hot', to: 'cold', afterDaysSinceStored: 30 })],
    });
    clock.advanceDays(31);
    // Both were stored 31 days ago and never read: both go to the offline tier.
    expect((await archive.runCycle('test')).migrated).toBe(2);

    // The cold tier behaves like Glacier: reads fail until a restore was requested.
    const cold = store(server, 'cold');
    const restored = new Set<string>();
    const restoreRequests: string[] = [];
    const glacier: BlobStore & { requestRestore(key: string): Promise<void> } = Object.assign(
      Object.create(cold) as BlobStore,
      {
        name: 'cold',
        get: (key: string) =>
          restored.has(key)
            ? cold.get(key)
            : Promise.reject(new BlobOfflineError(key, 3600, restoreRequests.includes(key))),
        requestRestore: (key: string) => {
          restoreRequests.push(key);
          return Promise.resolve();
        },
      },
    );
    const stores = new Map(server.stores);
    stores.set('cold', glacier);
    const recaller = worker(server, clock, { ...options, policies: [] }, { stores });

    // A retrieve of `accessed` (WADO records the access even when the read fails with 503).
    await setTimes(server, accessed!.sopInstanceUid, { lastAccessedAt: clock.now() });
    const waiting = await recaller.runCycle('test');
    expect(waiting.transitions).toEqual([
      expect.objectContaining({ kind: 'recall', from: 'cold', to: 'hot', migrated: 0, skipped: 1 }),
    ]);
    const key = (await findInstance(server.database.db, accessed!.sopInstanceUid))!.blobKey;
    expect(restoreRequests).toEqual([key]);
    expect(await tierOf(server, accessed!.sopInstanceUid)).toBe('cold');

    restored.add(key); // the restore finished
    expect((await recaller.runCycle('test')).migrated).toBe(1);
    expect(await tierOf(server, accessed!.sopInstanceUid)).toBe('hot');
    expect(await tierOf(server, untouched!.sopInstanceUid)).toBe('cold');
    expect((await readInstance(server, accessed!.sopInstanceUid)).equals(accessed!.bytes)).toBe(
      true,
    );

    // No ping-pong: the archive policy does not take it back while the access is recent.
    expect((await archive.runCycle('test')).migrated).toBe(0);
    clock.advanceDays(31);
    expect((await archive.runCycle('test')).migrated).toBe(1);
  });
});
