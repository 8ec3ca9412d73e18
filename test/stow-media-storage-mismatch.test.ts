/**
 * Files whose meta MediaStorageSOPInstanceUID (0002,0003) differs from the dataset's
 * SOPInstanceUID (0008,0018), as a Siemens MR, a waveform, an RT plan and an ISO 2022 file from
 * the field do: stored as sent, indexed by the dataset's UID, and the sender is warned
 * (WarningReason B007, PS3.18 Table I.2-1) with 202 (PS3.18 Table 10.5.3-1) instead of a 409.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeInstance, newUid } from './helpers/make-dicom.js';
import { stow } from './helpers/multipart.js';
import { startTestServer, storedBytes, type TestServer } from './helpers/server.js';
import { get } from './helpers/wado-multipart.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.close();
});

describe('MediaStorageSOPInstanceUID differing from SOPInstanceUID', () => {
  const metaUid = newUid();
  const mismatched = makeInstance({ mediaStorageSopInstanceUid: metaUid });
  const clean = makeInstance({ studyInstanceUid: mismatched.studyInstanceUid });
  const { studyInstanceUid: study, seriesInstanceUid: series, sopInstanceUid: sop } = mismatched;

  it('is stored with WarningReason B007 beside a clean instance, and the answer is 202', async () => {
    const response = await stow(`${server.base}/studies`, [
      { body: clean.bytes },
      { body: mismatched.bytes },
    ]);
    expect(response.status).toBe(202);
    expect(response.json['00081198']).toBeUndefined();
    const items = response.json['00081199'].Value as Record<string, { Value?: unknown[] }>[];
    expect(items.map((i) => i['00081155']?.Value?.[0])).toEqual([clean.sopInstanceUid, sop]);
    expect(items[0]?.['00081196']).toBeUndefined();
    expect(items[1]?.['00081196']).toEqual({ vr: 'US', Value: [0xb007] });
  });

  it('keeps the bytes as sent and serves them unchanged', async () => {
    expect(await storedBytes(server, sop)).toEqual(mismatched.bytes);
    const retrieved = await get(
      `${server.base}/studies/${study}/series/${series}/instances/${sop}`,
      {
        Accept: 'application/dicom; transfer-syntax=*',
      },
    );
    expect(retrieved.status).toBe(200);
    expect(retrieved.body.equals(mismatched.bytes)).toBe(true);
  });

  it("is found by QIDO under the dataset's SOPInstanceUID, not the meta's", async () => {
    const byDataset = await get(`${server.base}/instances?SOPInstanceUID=${sop}`);
    expect(byDataset.status).toBe(200);
    expect(JSON.parse(byDataset.body.toString())[0]['00080018'].Value).toEqual([sop]);
    expect((await get(`${server.base}/instances?SOPInstanceUID=${metaUid}`)).status).toBe(204);
  });

  it('warns again, with 202, when the same file is sent twice', async () => {
    const response = await stow(`${server.base}/studies`, [{ body: mismatched.bytes }]);
    expect(response.status).toBe(202);
    expect(response.json['00081199'].Value[0]['00081196']).toEqual({ vr: 'US', Value: [0xb007] });
  });
});
