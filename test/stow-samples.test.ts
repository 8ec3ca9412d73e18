import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findInstance } from '../src/index/current-instance.repository.js';
import { stow } from './helpers/multipart.js';
import { get } from './helpers/wado-multipart.js';
import { sampleBytes, samples, samplesAvailable } from './helpers/samples.js';
import { readBlob, startTestServer, testDb, type TestServer } from './helpers/server.js';

/**
 * Every real file of ../shared/dicom-samples through STOW-RS: `store` files are stored and their
 * bytes come back identical from the storage layer (preamble zeroed); `reject` files get a
 * failure and leave what is stored untouched; `either` files must not crash or store garbage.
 */
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.close();
});

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const zeroPreamble = (bytes: Buffer) => {
  const copy = Buffer.from(bytes);
  if (copy.subarray(128, 132).toString('latin1') === 'DICM') copy.fill(0, 0, 128);
  return copy;
};

/**
 * What WADO-RS serves for the instance a STOW response references (its RetrieveURL, PS3.18
 * 10.5.3.1.2), as stored (no transcoding).
 */
async function retrieveReferenced(json: any): Promise<Buffer> {
  const referenced = json['00081199'].Value as any[];
  expect(referenced).toHaveLength(1);
  const url = referenced[0]['00081190'].Value[0] as string;
  const r = await get(url, { Accept: 'application/dicom; transfer-syntax=*' });
  expect(r.status).toBe(200);
  return r.body;
}

// Good files first: the truncated sample shares its SOP Instance UID with a good one.
const ordered = [...samples].sort((a, b) => rank(a.expect) - rank(b.expect));
function rank(expectation: string): number {
  return expectation === 'store' ? 0 : expectation === 'either' ? 1 : 2;
}

describe.skipIf(!samplesAvailable)(`STOW-RS of every sample file (${testDb})`, () => {
  for (const s of ordered) {
    it(`${s.expect}: ${s.file}`, async () => {
      const bytes = sampleBytes(s.file);
      const response = await stow(`${server.base}/studies`, [{ body: bytes }]);
      if (s.expect === 'store') {
        expect(response.status).toBe(200);
        const row = await findInstance(server.database.db, s.sop_instance!);
        expect(row).toBeDefined();
        const expected = zeroPreamble(bytes);
        const stored = await readBlob(server, row!.blobKey);
        expect(stored.length).toBe(expected.length);
        expect(sha256(stored)).toBe(sha256(expected));
        expect(sha256(await retrieveReferenced(response.json))).toBe(sha256(expected));
        return;
      }
      if (s.expect === 'reject') {
        expect(response.status).toBe(409);
        const failed = response.json['00081198'].Value as any[];
        expect(failed).toHaveLength(1);
        expect([0xc000, 0xa900]).toContain(failed[0]['00081197'].Value[0]);
        if (s.sop_instance) {
          // A refused object never replaces what is stored under its UID.
          const good = samples.find(
            (o) => o.expect === 'store' && o.sop_instance === s.sop_instance,
          );
          if (good) {
            const row = await findInstance(server.database.db, s.sop_instance);
            expect(row?.sha256).toBe(sha256(zeroPreamble(sampleBytes(good.file))));
          }
        }
        return;
      }
      expect([200, 409]).toContain(response.status);
      if (response.status === 200) {
        // Stored: then it must come back whole, byte for byte (a preamble, if any, zeroed).
        expect(sha256(await retrieveReferenced(response.json))).toBe(sha256(zeroPreamble(bytes)));
      } else {
        // Refused: one failure, and nothing indexed under the UID it carries.
        expect(response.json['00081198'].Value).toHaveLength(1);
        expect(response.json['00081199']).toBeUndefined();
        if (s.sop_instance) {
          expect(await findInstance(server.database.db, s.sop_instance)).toBeUndefined();
        }
      }
    });
  }
});
