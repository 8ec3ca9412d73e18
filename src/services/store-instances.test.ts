import { createHash } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claimDueBlobs } from '../index/blob-journal.repository.js';
import { blobJournal } from '../index/schema.js';
import { findInstance } from '../index/current-instance.repository.js';
import { FailureReason } from './outcomes.js';
import {
  blobKeys,
  bodyOf,
  openServiceFixture,
  readAll,
  testInstance,
  type ServiceFixture,
} from './testing/service-fixture.js';

let f: ServiceFixture;
beforeAll(async () => {
  f = await openServiceFixture();
});
afterAll(() => f.close());

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

describe('StoreInstances.storeOne', () => {
  it('stores a new instance: outcome created, one index row, the blob byte-identical, no journal row left', async () => {
    const instance = testInstance();
    const outcome = await f.storeInstances.storeOne(bodyOf(instance.bytes));
    expect(outcome).toEqual({
      ok: true,
      result: 'created',
      studyInstanceUid: instance.studyInstanceUid,
      seriesInstanceUid: instance.seriesInstanceUid,
      sopInstanceUid: instance.sopInstanceUid,
      sopClassUid: instance.sopClassUid,
    });
    const row = await findInstance(f.db, instance.sopInstanceUid);
    expect(row).toMatchObject({ sha256: sha256(instance.bytes), storageTier: 'memory' });
    expect((await readAll(f.store, row!.blobKey)).equals(Buffer.from(instance.bytes))).toBe(true);
    expect(await f.db.select().from(blobJournal)).toEqual([]);
  });

  it('answers an identical second copy as a duplicate and keeps one blob', async () => {
    const instance = testInstance();
    await f.storeInstances.storeOne(bodyOf(instance.bytes));
    const keysBefore = await blobKeys(f.store);
    const again = await f.storeInstances.storeOne(bodyOf(instance.bytes));
    expect(again).toMatchObject({ ok: true, result: 'duplicate' });
    // The second upload's blob is gone at once (delete grace 0, swept now).
    await f.sweeper.sweep();
    expect((await blobKeys(f.store)).sort()).toEqual(keysBefore.sort());
  });

  it('refuses different content under a stored SOP Instance UID (policy reject) and keeps the first', async () => {
    const first = testInstance();
    await f.storeInstances.storeOne(bodyOf(first.bytes));
    const other = testInstance({ ...first, pixels: [9, 9, 9, 9] });
    const outcome = await f.storeInstances.storeOne(bodyOf(other.bytes));
    expect(outcome).toMatchObject({
      ok: false,
      reason: FailureReason.DuplicateSopInstance,
      sopInstanceUid: first.sopInstanceUid,
    });
    expect((await findInstance(f.db, first.sopInstanceUid))?.sha256).toBe(sha256(first.bytes));
  });

  it('refuses a part of another study than the URL names, storing nothing', async () => {
    const instance = testInstance();
    const keysBefore = await blobKeys(f.store);
    const outcome = await f.storeInstances.storeOne(bodyOf(instance.bytes), {
      studyInstanceUid: '1.2.3.4',
    });
    expect(outcome).toMatchObject({ ok: false, sopInstanceUid: instance.sopInstanceUid });
    expect(await findInstance(f.db, instance.sopInstanceUid)).toBeUndefined();
    await f.sweeper.sweep();
    expect(await blobKeys(f.store)).toEqual(keysBefore);
  });

  it('refuses bytes that are not Part 10 (Cannot Understand) and a truncated instance, leaving no blob and no journal row', async () => {
    const keysBefore = await blobKeys(f.store);
    const garbage = await f.storeInstances.storeOne(bodyOf(new Uint8Array(300).fill(7)));
    expect(garbage).toMatchObject({ ok: false, reason: FailureReason.CannotUnderstand });
    const instance = testInstance();
    const truncated = await f.storeInstances.storeOne(
      bodyOf(instance.bytes.subarray(0, instance.bytes.length - 3)),
    );
    expect(truncated).toMatchObject({ ok: false });
    expect(await findInstance(f.db, instance.sopInstanceUid)).toBeUndefined();
    await f.sweeper.sweep();
    expect(await blobKeys(f.store)).toEqual(keysBefore);
    expect(await f.db.select().from(blobJournal)).toEqual([]);
  });

  it('refuses an instance over the size limit with Out of Resources', async () => {
    const keysBefore = await blobKeys(f.store);
    const instance = testInstance();
    const outcome = await f.storeWith({ maxInstanceBytes: 200 }).storeOne(bodyOf(instance.bytes));
    expect(outcome).toMatchObject({ ok: false, reason: FailureReason.OutOfResources });
    expect(await findInstance(f.db, instance.sopInstanceUid)).toBeUndefined();
    await f.sweeper.sweep();
    expect(await blobKeys(f.store)).toEqual(keysBefore);
  });

  it('commits more instances of a known series, and follows changed series attributes', async () => {
    const first = testInstance();
    const same = {
      studyInstanceUid: first.studyInstanceUid,
      seriesInstanceUid: first.seriesInstanceUid,
    };
    await f.storeInstances.storeOne(bodyOf(first.bytes));
    const second = testInstance(same);
    expect(await f.storeInstances.storeOne(bodyOf(second.bytes))).toMatchObject({
      ok: true,
      result: 'created',
    });
    const row = await findInstance(f.db, second.sopInstanceUid);
    expect(row).toMatchObject({ sha256: sha256(second.bytes), storageTier: 'memory' });
    expect((await readAll(f.store, row!.blobKey)).equals(Buffer.from(second.bytes))).toBe(true);
    expect(await f.db.select().from(blobJournal)).toEqual([]);
  });

  it('fails an upload whose pending row the sweeper claimed (grace over) and keeps no row', async () => {
    const first = testInstance();
    await f.storeInstances.storeOne(bodyOf(first.bytes));
    const late = testInstance({
      studyInstanceUid: first.studyInstanceUid,
      seriesInstanceUid: first.seriesInstanceUid,
    });
    // The body arrives only after the sweeper turned the due pending row into a delete row.
    const body = new PassThrough();
    const outcome = f.storeWith({ pendingGraceSeconds: 0 }).storeOne(body);
    while ((await f.db.select().from(blobJournal)).length === 0) await delay(5);
    await claimDueBlobs(f.db, 10);
    body.end(Buffer.from(late.bytes));
    expect(await outcome).toMatchObject({ ok: false, reason: FailureReason.ProcessingFailure });
    expect(await findInstance(f.db, late.sopInstanceUid)).toBeUndefined();
    await f.sweeper.sweep();
    expect(await f.db.select().from(blobJournal)).toEqual([]);
  });

  it('replaces a stored instance under policy replace and deletes the old blob', async () => {
    const replacing = f.storeWith({ duplicatePolicy: 'replace' });
    const first = testInstance();
    await replacing.storeOne(bodyOf(first.bytes));
    const oldKey = (await findInstance(f.db, first.sopInstanceUid))!.blobKey;
    const second = testInstance({ ...first, pixels: [5, 6, 7, 8] });
    const outcome = await replacing.storeOne(bodyOf(second.bytes));
    expect(outcome).toMatchObject({ ok: true, result: 'replaced' });
    const row = await findInstance(f.db, first.sopInstanceUid);
    expect(row?.sha256).toBe(sha256(second.bytes));
    await f.sweeper.sweep();
    const keys = await blobKeys(f.store);
    expect(keys).toContain(row!.blobKey);
    expect(keys).not.toContain(oldKey);
  });
});
