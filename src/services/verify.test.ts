import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findInstance } from '../index/current-instance.repository.js';
import { newBlobKey } from '../storage/keys.js';
import { VerifyStorage, type VerifyOptions } from './verify.js';
import {
  blobKeys,
  bodyOf,
  openServiceFixture,
  readAll,
  testInstance,
  type ServiceFixture,
} from './testing/service-fixture.js';

let f: ServiceFixture;
let verify: VerifyStorage;
const keys: string[] = [];
beforeAll(async () => {
  f = await openServiceFixture();
  verify = new VerifyStorage({ db: f.db, stores: f.stores, log: f.log });
  for (const instance of [testInstance(), testInstance()]) {
    await f.storeInstances.storeOne(bodyOf(instance.bytes));
    keys.push((await findInstance(f.db, instance.sopInstanceUid))!.blobKey);
  }
});
afterAll(() => f.close());

const options = (o: Partial<VerifyOptions> = {}): VerifyOptions => ({
  checksums: true,
  removeOrphans: false,
  concurrency: 2,
  ...o,
});

/** Puts `bytes` under `key` in the fixture's store (replacing what is there). */
async function putRaw(key: string, bytes: Buffer): Promise<void> {
  if ((await blobKeys(f.store)).includes(key)) await f.store.delete(key);
  await f.store.put(key, Readable.from([bytes]));
}

// The tests run in order over one index and store: clean, then an orphan, then damage.
describe('VerifyStorage.run', () => {
  it('reports a consistent index and store as ok', async () => {
    const report = await verify.run(options());
    expect(report).toMatchObject({ instances: 2, blobsListed: 2, orphans: 0, ok: true });
    expect(report.problems).toEqual([]);
  });

  it('finds an unreferenced blob as an orphan, and removes it only when asked', async () => {
    const orphan = newBlobKey();
    await putRaw(orphan, Buffer.from('not referenced'));
    const found = await verify.run(options());
    expect(found).toMatchObject({ orphans: 1, orphansRemoved: 0, ok: false });
    expect(found.problems).toEqual([{ kind: 'orphan', tier: 'memory', key: orphan }]);
    expect(await blobKeys(f.store)).toContain(orphan);
    const removed = await verify.run(options({ removeOrphans: true }));
    expect(removed).toMatchObject({ orphans: 1, orphansRemoved: 1, ok: true });
    expect(await blobKeys(f.store)).not.toContain(orphan);
  });

  it('finds a missing blob, and a same-size altered blob only when checksums are checked', async () => {
    const [altered, missing] = keys as [string, string];
    const original = await readAll(f.store, altered);
    await putRaw(altered, Buffer.alloc(original.length, 0x55));
    await f.store.delete(missing);
    const full = await verify.run(options());
    expect(full).toMatchObject({ missing: 1, checksumMismatches: 1, sizeMismatches: 0, ok: false });
    expect(full.problems).toEqual(
      expect.arrayContaining([
        { kind: 'missing', tier: 'memory', key: missing },
        { kind: 'checksum-mismatch', tier: 'memory', key: altered },
      ]),
    );
    const sizesOnly = await verify.run(options({ checksums: false }));
    expect(sizesOnly).toMatchObject({ missing: 1, checksumMismatches: 0, ok: false });
    await putRaw(altered, Buffer.alloc(original.length + 1));
    expect(await verify.run(options({ checksums: false }))).toMatchObject({ sizeMismatches: 1 });
  });
});
