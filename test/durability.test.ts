import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDb, type Database } from '../src/index/db.js';
import { findInstance } from '../src/index/current-instance.repository.js';
import { blobJournal } from '../src/index/schema.js';
import { FsBlobStore } from '../src/storage/fs-blob-store.js';
import { startChildServer } from './helpers/child-server.js';
import { makeInstance } from './helpers/make-dicom.js';
import { stow } from './helpers/multipart.js';
import { freshDatabase, readBlob, testDb } from './helpers/server.js';

/**
 * Kill the server (SIGKILL, like a power cut) at each named point of the write path, restart
 * it, and check: every acknowledged instance survives with its bytes, the interrupted one is
 * either wholly there (after commit) or wholly absent with its blob swept (before commit).
 */
let dataDir: string;
let database: { url: string | undefined; drop(): Promise<void> };

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'strata-durability-'));
  database = await freshDatabase();
});
afterAll(async () => {
  await database?.drop();
  await rm(dataDir, { recursive: true, force: true });
});

const baseEnv = () => ({
  DATA_DIR: dataDir,
  SWEEP_INTERVAL_SECONDS: '0',
  // Uploads interrupted by the crash are reconciled at the next start.
  SWEEP_PENDING_GRACE_SECONDS: '0',
  ...(database.url ? { DATABASE_URL: database.url } : {}),
});

/** Opens index and storage directly while no server runs (PGlite allows one process). */
async function inspect<T>(fn: (db: Database, store: FsBlobStore) => Promise<T>): Promise<T> {
  const db = await openDb({ url: database.url, pgliteDir: join(dataDir, 'index') });
  const store = await FsBlobStore.open({ root: join(dataDir, 'blobs') });
  try {
    return await fn(db, store);
  } finally {
    await store.close();
    await db.close();
  }
}

async function listBlobs(store: FsBlobStore): Promise<string[]> {
  const keys: string[] = [];
  for await (const key of store.list()) keys.push(key);
  return keys;
}

/**
 * With a pending grace of 0 s, a server's own start-up sweep expires any upload already in flight
 * (the upload then fails with "outlived its pending grace period", never acknowledged): every
 * upload here waits for that sweep, so the only interruption is the crash under test.
 */
const startupSweepDone = /"msg":"start-up sweep finished"/;

describe(`durability under SIGKILL (${testDb})`, () => {
  const acknowledged: ReturnType<typeof makeInstance>[] = [];

  it.each(['after-blob-write', 'before-commit', 'after-commit'] as const)(
    'crash %s: acknowledged instances survive, nothing half-written is visible',
    async (point) => {
      // 1. A healthy server acknowledges one instance.
      const healthy = await startChildServer(baseEnv());
      await healthy.waitForLog(startupSweepDone);
      const kept = makeInstance();
      expect((await stow(`${healthy.base}/studies`, [{ body: kept.bytes }])).status).toBe(200);
      acknowledged.push(kept);
      await healthy.stop();

      // 2. A server that dies at `point` while storing the next one.
      const doomed = await startChildServer({ ...baseEnv(), STRATA_TEST_CRASH_AT: point });
      await doomed.waitForLog(startupSweepDone);
      const victim = makeInstance();
      await expect(stow(`${doomed.base}/studies`, [{ body: victim.bytes }])).rejects.toThrow();
      expect((await doomed.exited).signal).toBe('SIGKILL');

      // 3. Restart: the start-up sweep reconciles, then stop and look inside.
      const restarted = await startChildServer(baseEnv());
      await restarted.waitForLog(startupSweepDone);
      await restarted.stop();

      await inspect(async (db, store) => {
        const blobs = await listBlobs(store);
        for (const instance of acknowledged) {
          const row = await findInstance(db.db, instance.sopInstanceUid);
          expect(row).toBeDefined();
          expect((await readBlob({ store }, row!.blobKey)).equals(instance.bytes)).toBe(true);
        }
        const victimRow = await findInstance(db.db, victim.sopInstanceUid);
        if (point === 'after-commit') {
          expect(victimRow).toBeDefined();
          expect(blobs).toContain(victimRow!.blobKey);
          acknowledged.push(victim);
        } else {
          expect(victimRow).toBeUndefined();
        }
        // One blob per indexed instance: the interrupted upload's blob was swept.
        expect(blobs).toHaveLength(acknowledged.length);
        expect(await db.db.select().from(blobJournal)).toEqual([]);
      });
      // No temporary file of the interrupted write survives a restart.
      const tmp = await readdir(join(dataDir, 'blobs', '.tmp')).catch(() => []);
      expect(tmp).toEqual([]);
    },
  );
});
