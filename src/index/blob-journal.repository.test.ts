import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  claimDueBlobs,
  claimOrphan,
  recordPendingBlob,
  scheduleBlobDeletion,
} from './blob-journal.repository.js';
import { openDb, type Database } from './db.js';
import { migrateDb } from './migrate.js';

let database: Database;
beforeAll(async () => {
  database = await openDb({});
  await migrateDb(database);
});
afterAll(() => database.close());

const blob = (blobKey: string) => ({ blobKey, storageTier: 'fs' });

describe('claimOrphan', () => {
  it('schedules an unreferenced key for deletion now, once', async () => {
    const entry = await claimOrphan(database.db, blob('aa/orphan'));
    expect(entry).toMatchObject({ blobKey: 'aa/orphan', storageTier: 'fs', kind: 'delete' });
    expect(await claimDueBlobs(database.db, 10)).toEqual([entry]);
    // Already scheduled: a second verify (or the sweeper) owns it.
    expect(await claimOrphan(database.db, blob('aa/orphan'))).toBeUndefined();
  });

  it('leaves a key with a pending row alone, however old, and a key scheduled for deletion', async () => {
    await recordPendingBlob(database.db, blob('bb/uploading'), 0);
    expect(await claimOrphan(database.db, blob('bb/uploading'))).toBeUndefined();
    await scheduleBlobDeletion(database.db, [blob('cc/replaced')], 600);
    expect(await claimOrphan(database.db, blob('cc/replaced'))).toBeUndefined();
    // Referenced in another tier's journal: keys are never shared, so it is not ours to delete.
    expect(
      await claimOrphan(database.db, { blobKey: 'bb/uploading', storageTier: 's3' }),
    ).toBeUndefined();
  });
});
