/**
 * UIDs with a leading zero in a component (`1.2.840.01.…`), as ultrasound and RTSTRUCT files
 * from real equipment carry them: PS3.5 §9.1 forbids them, but an archive must still store such
 * data and let it be found and retrieved (STOW, QIDO values and WADO path segments alike).
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

/** A fresh UID with components `01` and `007`, like those seen in ultrasound files. */
const leadingZeroUid = () => `1.2.840.01.007.${newUid().slice('2.25.'.length, 40)}`;

describe('UIDs with leading-zero components', () => {
  const instance = makeInstance({
    studyInstanceUid: leadingZeroUid(),
    seriesInstanceUid: leadingZeroUid(),
    sopInstanceUid: leadingZeroUid(),
  });
  const { studyInstanceUid: study, seriesInstanceUid: series, sopInstanceUid: sop } = instance;
  const instanceUrl = () => `${server.base}/studies/${study}/series/${series}/instances/${sop}`;

  it('are stored by STOW-RS, also under POST /studies/{study}', async () => {
    const response = await stow(`${server.base}/studies/${study}`, [{ body: instance.bytes }]);
    expect(response.status).toBe(200);
    expect(response.json['00081199'].Value[0]['00081155'].Value).toEqual([sop]);
    expect(await storedBytes(server, sop)).toEqual(instance.bytes);
  });

  it('are found by QIDO-RS, as match values and in the path', async () => {
    const studies = await get(`${server.base}/studies?StudyInstanceUID=${study}`);
    expect(studies.status).toBe(200);
    expect(JSON.parse(studies.body.toString())[0]['0020000D'].Value).toEqual([study]);
    const instances = await get(
      `${server.base}/studies/${study}/series/${series}/instances?SOPInstanceUID=${sop}`,
    );
    expect(instances.status).toBe(200);
    expect(JSON.parse(instances.body.toString())[0]['00080018'].Value).toEqual([sop]);
  });

  it('are retrieved by WADO-RS: the stored bytes and the metadata', async () => {
    const bytes = await get(instanceUrl(), { Accept: 'application/dicom; transfer-syntax=*' });
    expect(bytes.status).toBe(200);
    expect(bytes.body.equals(instance.bytes)).toBe(true);
    const metadata = await get(`${instanceUrl()}/metadata`);
    expect(metadata.status).toBe(200);
    expect(JSON.parse(metadata.body.toString())[0]['00080018'].Value).toEqual([sop]);
  });

  it('still refuses path-like, over-long and empty UIDs with 400', async () => {
    for (const bad of ['1..2', '1.2%2F..%2F3', `1.${'2'.repeat(64)}`, '1.2.x']) {
      const response = await get(`${server.base}/studies/${bad}/series`);
      expect(response.status, bad).toBe(400);
      expect(JSON.parse(response.body.toString()).code).toBe('service.invalid_uid');
    }
    const query = await get(`${server.base}/studies?StudyInstanceUID=1.2.`);
    expect(query.status).toBe(400);
  });
});
