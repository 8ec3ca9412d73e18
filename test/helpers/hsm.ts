import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq } from 'drizzle-orm';
import { findInstance } from '../../src/index/current-instance.repository.js';
import { instances } from '../../src/index/schema.js';
import type { Clock } from '../../src/lib/clock.js';
import { createLogger, type Logger } from '../../src/lib/log.js';
import type { TierPolicy } from '../../src/services/hsm-policy.js';
import { SweepBlobs } from '../../src/services/sweep-blobs.js';
import { MigrateTiers, type MigrateTiersOptions } from '../../src/services/migrate-tiers.js';
import type { BlobStore } from '../../src/storage/blob-store.js';
import { makeInstance, type GeneratedInstance } from './make-dicom.js';
import { stow } from './multipart.js';
import { startTestServer, type TestServer } from './server.js';

/** A server whose STRATA_CONFIG lists three fs tiers (hot, warm, cold) under its own dir. */
export interface TieredServer extends TestServer {
  tierDir: string;
}

export async function startTieredServer(
  file: Record<string, unknown> = {},
  env: Record<string, string> = {},
  clock?: Clock,
): Promise<TieredServer> {
  const tierDir = await mkdtemp(join(tmpdir(), 'strata-tiers-'));
  const config = {
    tiers: [
      { name: 'hot', backend: { kind: 'fs', root: 'hot' } },
      { name: 'warm', backend: { kind: 'fs', root: 'warm' } },
      { name: 'cold', backend: { kind: 'fs', root: 'cold' } },
    ],
    migration: { intervalSeconds: 0, leaseSeconds: 600 },
    ...file,
  };
  const path = join(tierDir, 'strata.json');
  await writeFile(path, JSON.stringify(config));
  const server = await startTestServer(
    { STRATA_CONFIG: path, SWEEP_DELETE_GRACE_SECONDS: '0', ...env },
    clock ? { clock } : {},
  );
  return {
    ...server,
    tierDir,
    close: async () => {
      await server.close();
      await rm(tierDir, { recursive: true, force: true });
    },
  };
}

export const policy = (p: Partial<TierPolicy> & Pick<TierPolicy, 'from' | 'to'>): TierPolicy => ({
  afterDaysSinceLastAccess: undefined,
  afterDaysSinceStored: undefined,
  maxInstancesPerCycle: 1000,
  maxBytesPerCycle: undefined,
  concurrency: 4,
  ...p,
});

/** A migration worker on the server's database and tiers, with its own policies. */
export function worker(
  server: TestServer,
  clock: Clock,
  options: Partial<MigrateTiersOptions>,
  extra: {
    stores?: ReadonlyMap<string, BlobStore>;
    name?: string;
    deleteGraceSeconds?: number;
    log?: Logger;
  } = {},
): MigrateTiers {
  return new MigrateTiers({
    db: server.database.db,
    stores: extra.stores ?? server.stores,
    // The sweeper deletes from the same stores the worker moves between.
    sweeper: extra.stores
      ? new SweepBlobs({
          db: server.database.db,
          stores: extra.stores,
          log: createLogger('silent'),
        })
      : server.services.maintenance.sweeper,
    log: extra.log ?? createLogger('silent'),
    clock,
    options: {
      tiers: [
        { name: 'hot', offline: false },
        { name: 'warm', offline: false },
        { name: 'cold', offline: false },
      ],
      policies: [],
      migration: { intervalSeconds: 0, leaseSeconds: 600 },
      recall: undefined,
      ...options,
    },
    pendingGraceSeconds: 3600,
    deleteGraceSeconds: extra.deleteGraceSeconds ?? 0,
    worker: extra.name ?? 'test',
  });
}

/** STOWs `n` fresh instances (one study) and returns them. */
export async function stowMany(
  server: TestServer,
  n: number,
  pixelBytes = 64,
): Promise<GeneratedInstance[]> {
  const all = Array.from({ length: n }, () => makeInstance({ pixelBytes }));
  const response = await stow(
    `${server.base}/studies`,
    all.map((i) => ({ body: i.bytes })),
  );
  if (response.status !== 200) throw new Error(`STOW answered ${response.status}`);
  return all;
}

export async function tierOf(server: TestServer, sopInstanceUid: string): Promise<string> {
  const row = await findInstance(server.database.db, sopInstanceUid);
  if (!row) throw new Error('instance not indexed');
  return row.storageTier;
}

/** The bytes of an instance, read from its recorded tier the way WADO does. */
export async function readInstance(server: TestServer, sopInstanceUid: string): Promise<Buffer> {
  const row = await findInstance(server.database.db, sopInstanceUid);
  if (!row) throw new Error('instance not indexed');
  const store = server.stores.get(row.storageTier);
  if (!store) throw new Error(`no store for tier ${row.storageTier}`);
  const chunks: Buffer[] = [];
  for await (const chunk of await store.get(row.blobKey)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export async function setTimes(
  server: TestServer,
  sopInstanceUid: string,
  times: { lastAccessedAt?: Date | null; storedAt?: Date },
): Promise<void> {
  await server.database.db
    .update(instances)
    .set(times)
    .where(eq(instances.sopInstanceUid, sopInstanceUid));
}

export async function keysIn(store: BlobStore): Promise<string[]> {
  const keys: string[] = [];
  for await (const key of store.list()) keys.push(key);
  return keys.sort();
}

export const DAY = 86_400_000;
export const daysAgo = (now: Date, days: number) => new Date(now.getTime() - days * DAY);
