import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { findInstance } from '../src/index/current-instance.repository.js';
import { FakeClock } from '../src/lib/clock.js';
import { createLogger } from '../src/lib/log.js';
import { VerifyStorage } from '../src/services/verify.js';
import type { BlobStore } from '../src/storage/blob-store.js';
import { EncryptedBlobStore } from '../src/storage/encrypted-blob-store.js';
import { blobPath } from '../src/storage/fs-paths.js';
import {
  keysIn,
  policy,
  startTieredServer,
  stowMany,
  worker,
  type TieredServer,
} from './helpers/hsm.js';
import { testDb } from './helpers/server.js';

/**
 * HSM through encryption at rest: the warm and cold tiers are wrapped in EncryptedBlobStore
 * (as compose-storage does for every tier when a key is configured). The index's size and
 * SHA-256 are of the plaintext, so copy, read-back verify and `strata verify` work unchanged,
 * while the bytes on disk are ciphertext.
 */
let server: TieredServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe(`HSM through encryption at rest (${testDb})`, () => {
  it('hot → encrypted warm → encrypted cold: plaintext identical, ciphertext on disk, verify clean until a byte at rest is flipped', async () => {
    const clock = new FakeClock();
    server = await startTieredServer({}, {}, clock);
    const all = await stowMany(server, 3, 150_000);
    const keys = new Map([
      ['k1', randomBytes(32)],
      ['k2', randomBytes(32)],
    ]);
    const encrypted = (tier: string, activeKeyId: string) =>
      new EncryptedBlobStore(server!.stores.get(tier)!, { activeKeyId, keys });
    // Warm seals with k1, cold with k2 (a rotated key): both stay readable.
    const stores = new Map<string, BlobStore>([
      ['hot', server.stores.get('hot')!],
      ['warm', encrypted('warm', 'k1')],
      ['cold', encrypted('cold', 'k2')],
    ]);
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
      expect(await hsm.runCycle('test')).toMatchObject({ migrated: 3, failed: 0 });
      for (const i of all) {
        const row = (await findInstance(server.database.db, i.sopInstanceUid))!;
        expect(row.storageTier).toBe(tier);
        const chunks: Buffer[] = [];
        for await (const c of await stores.get(tier)!.get(row.blobKey)) chunks.push(c as Buffer);
        expect(Buffer.concat(chunks).equals(i.bytes)).toBe(true);
        // At rest: not the plaintext, and the DICM magic is nowhere near its place.
        const atRest = await readFile(blobPath(join(server.tierDir, tier), row.blobKey));
        expect(atRest.equals(i.bytes)).toBe(false);
        expect(atRest.includes(i.bytes.subarray(128, 4096))).toBe(false);
      }
    }
    expect(await keysIn(stores.get('warm')!)).toEqual([]);
    const verify = new VerifyStorage({
      db: server.database.db,
      stores,
      log: createLogger('silent'),
    });
    expect(
      await verify.run({ checksums: true, removeOrphans: false, concurrency: 4 }),
    ).toMatchObject({
      ok: true,
      instances: 3,
      blobsListed: 3,
    });

    // One ciphertext byte flipped at rest: the GCM tag catches it, verify counts it as damage.
    const row = (await findInstance(server.database.db, all[1]!.sopInstanceUid))!;
    const path = blobPath(join(server.tierDir, 'cold'), row.blobKey);
    const atRest = await readFile(path);
    atRest[atRest.length - 40] = atRest[atRest.length - 40]! ^ 0x01;
    await writeFile(path, atRest);
    const damaged = await verify.run({ checksums: true, removeOrphans: false, concurrency: 4 });
    expect(damaged).toMatchObject({ ok: false, checksumMismatches: 1, errors: 0 });
    expect(damaged.problems).toEqual([
      { kind: 'checksum-mismatch', tier: 'cold', key: row.blobKey },
    ]);
  });
});
