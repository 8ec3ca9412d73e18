import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findInstance } from '../index/current-instance.repository.js';
import { blobJournal } from '../index/schema.js';
import { DeleteInstances } from './delete-instances.js';
import { MemoryAuditSink } from '../audit/testing/memory-sink.js';
import { InvalidUidError, ResourceNotFoundError } from './errors.js';
import {
  blobKeys,
  bodyOf,
  openServiceFixture,
  testInstance,
  testUid,
  TEST_ACTOR,
  type ServiceFixture,
} from './testing/service-fixture.js';

let f: ServiceFixture;
let deleter: DeleteInstances;
beforeAll(async () => {
  f = await openServiceFixture();
  deleter = new DeleteInstances({ db: f.db, sweeper: f.sweeper, audit: new MemoryAuditSink() });
});
afterAll(() => f.close());

async function stored(spec: Parameters<typeof testInstance>[0] = {}) {
  const instance = testInstance(spec);
  expect(await f.storeInstances.storeOne(bodyOf(instance.bytes))).toMatchObject({ ok: true });
  const row = await findInstance(f.db, instance.sopInstanceUid);
  return { ...instance, blobKey: row!.blobKey };
}

describe('DeleteInstances.delete', () => {
  it('deletes one instance: its row and its blob, and leaves its series sibling', async () => {
    const one = await stored();
    const sibling = await stored({
      studyInstanceUid: one.studyInstanceUid,
      seriesInstanceUid: one.seriesInstanceUid,
    });
    const n = await deleter.delete(
      {
        studyInstanceUid: one.studyInstanceUid,
        seriesInstanceUid: one.seriesInstanceUid,
        sopInstanceUid: one.sopInstanceUid,
      },
      TEST_ACTOR,
    );
    expect(n).toBe(1);
    expect(await findInstance(f.db, one.sopInstanceUid)).toBeUndefined();
    expect(await findInstance(f.db, sibling.sopInstanceUid)).toBeDefined();
    const keys = await blobKeys(f.store);
    expect(keys).not.toContain(one.blobKey);
    expect(keys).toContain(sibling.blobKey);
    expect(await f.db.select().from(blobJournal)).toEqual([]);
  });

  it('deletes a whole study across its series and counts the instances', async () => {
    const study = testUid();
    const parts = [
      await stored({ studyInstanceUid: study }),
      await stored({ studyInstanceUid: study }),
      await stored({ studyInstanceUid: study }),
    ];
    expect(await deleter.delete({ studyInstanceUid: study }, TEST_ACTOR)).toBe(3);
    const keys = await blobKeys(f.store);
    for (const p of parts) {
      expect(await findInstance(f.db, p.sopInstanceUid)).toBeUndefined();
      expect(keys).not.toContain(p.blobKey);
    }
  });

  it('throws ResourceNotFoundError when nothing matches and InvalidUidError for a malformed UID', async () => {
    await expect(
      deleter.delete({ studyInstanceUid: testUid() }, TEST_ACTOR),
    ).rejects.toBeInstanceOf(ResourceNotFoundError);
    await expect(
      deleter.delete({ studyInstanceUid: testUid(), seriesInstanceUid: '1..2' }, TEST_ACTOR),
    ).rejects.toBeInstanceOf(InvalidUidError);
  });
});
