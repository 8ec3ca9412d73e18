import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordPendingBlob, scheduleBlobDeletion } from '../index/blob-journal.repository.js';
import { blobJournal } from '../index/schema.js';
import type { BlobStore } from '../storage/blob-store.js';
import { StorageUnavailableError } from '../storage/errors.js';
import { newBlobKey } from '../storage/keys.js';
import { MemoryBlobStore } from '../storage/memory-blob-store.js';
import { SweepBlobs } from './sweep-blobs.js';
import { blobKeys, openServiceFixture, type ServiceFixture } from './testing/service-fixture.js';

/** A tier whose deletes fail, as an unreachable object store's would. */
class FailingDeletes extends MemoryBlobStore {
  override delete(): Promise<void> {
    return Promise.reject(new StorageUnavailableError('delete refused'));
  }
}

let f: ServiceFixture;
let broken: FailingDeletes;
let sweeper: SweepBlobs;
beforeAll(async () => {
  f = await openServiceFixture();
  broken = new FailingDeletes('broken');
  const stores = new Map<string, BlobStore>([...f.stores, [broken.name, broken]]);
  sweeper = new SweepBlobs({ db: f.db, stores, log: f.log, batchSize: 2 });
});
afterAll(() => f.close());

async function put(store: BlobStore): Promise<{ blobKey: string; storageTier: string }> {
  const blobKey = newBlobKey();
  await store.put(blobKey, Readable.from([Buffer.from('bytes')]));
  return { blobKey, storageTier: store.name };
}

describe('SweepBlobs.sweep', () => {
  it('deletes every due blob (over several batches) and forgets its journal rows', async () => {
    const due = [await put(f.store), await put(f.store), await put(f.store)];
    await scheduleBlobDeletion(f.db, due, 0);
    expect(await sweeper.sweep()).toEqual({ deleted: 3, failed: 0 });
    expect(await blobKeys(f.store)).toEqual([]);
    expect(await f.db.select().from(blobJournal)).toEqual([]);
  });

  it('leaves blobs whose grace has not passed: a pending upload, a recent replacement', async () => {
    const uploading = await put(f.store);
    const replaced = await put(f.store);
    await recordPendingBlob(f.db, uploading, 3600);
    await scheduleBlobDeletion(f.db, [replaced], 3600);
    expect(await sweeper.sweep()).toEqual({ deleted: 0, failed: 0 });
    expect((await blobKeys(f.store)).sort()).toEqual([uploading.blobKey, replaced.blobKey].sort());
    expect(await f.db.select().from(blobJournal)).toHaveLength(2);
  });

  it('keeps the journal row of a blob whose delete failed, so a later sweep retries it', async () => {
    const stuck = await put(broken);
    await scheduleBlobDeletion(f.db, [stuck], 0);
    expect(await sweeper.sweep()).toEqual({ deleted: 0, failed: 1 });
    expect(await blobKeys(broken)).toEqual([stuck.blobKey]);
    const rows = await f.db.select().from(blobJournal);
    expect(rows.map((r) => r.blobKey)).toContain(stuck.blobKey);
  });
});
